#pragma once

#include <stdexcept>
#include <string>

#include "gradlab/nn/residual.hpp"
#include "network_impl.hpp"

namespace gradlab::nn {

template <scalar_type T>
residual<T>::residual(std::size_t width, const residual_spec& spec, arithmetic<T>& a, activation next_activation)
    : a_(a), in_(width), out_(width) {
    if (spec.body.empty()) throw std::invalid_argument("residual block: the body is empty");
    for (std::size_t j = 0; j < spec.body.size(); ++j) {
        const bool last = j + 1 == spec.body.size();
        body_.push_back(make_layer(spec.body[j], out_, a, last ? next_activation : activation_after(spec.body, j)));
        out_ = body_.back()->output_width();
    }
    if (out_ != in_) projection_ = std::make_unique<dense<T>>(in_, out_, false, a, next_activation);
}

template <scalar_type T>
void residual<T>::collect_parameters(std::vector<parameter<T>*>& out) {
    for (std::size_t j = 0; j < body_.size(); ++j)
        collect_with_prefix(*body_[j], "body." + std::to_string(j) + ".", out);
    if (projection_) collect_with_prefix(*projection_, "projection.", out);
}

template <scalar_type T>
matrix_view<const typename residual<T>::value> residual<T>::forward(matrix_view<const value> x, pass_mode mode) {
    matrix_view<const value> f = x;
    for (auto& l : body_) f = l->forward(f, mode);
    const auto skip = projection_ ? projection_->forward(x, mode) : x;
    const auto y = rows_of(y_, x.rows(), out_, a_);
    a_.add(skip.elements(), f.elements(), y.elements());
    return y;
}

template <scalar_type T>
matrix_view<const typename residual<T>::value> residual<T>::backward(matrix_view<const value> dy,
                                                                      bool need_input_gradient) {
    matrix_view<const value> d = dy;
    for (std::size_t j = body_.size(); j-- > 0;) d = body_[j]->backward(d, j > 0 || need_input_gradient);
    const auto skip = projection_ ? projection_->backward(dy, need_input_gradient) : dy;
    if (!need_input_gradient) return {};
    const auto dx = rows_of(dx_, dy.rows(), in_, a_);
    a_.add(skip.elements(), d.elements(), dx.elements());
    return dx;
}

}  // namespace gradlab::nn
