#pragma once

#include <stdexcept>

#include "gradlab/nn/layer_norm.hpp"

namespace gradlab::nn {

template <scalar_type T>
layer_norm<T>::layer_norm(std::size_t width, const layer_norm_spec& spec, arithmetic<T>& a)
    : a_(a),
      width_(width),
      epsilon_(a.number(spec.epsilon)),
      one_(a.number("1")),
      width_value_(a.ratio(static_cast<long>(width), 1)),
      minus_width_(a.ratio(-static_cast<long>(width), 1)),
      minus_mean_(a.zero()),
      variance_(a.zero()),
      minus_mean_g_x_hat_(a.zero()),
      sum_over_batch_(a) {
    if (width == 0) throw std::invalid_argument("layer_norm layer: the width must be positive");
    if (spec.affine) affine_.emplace(width, a);
}

template <scalar_type T>
void layer_norm<T>::collect_parameters(std::vector<parameter<T>*>& out) {
    if (affine_) affine_->collect_parameters(out);
}

template <scalar_type T>
matrix_view<const typename layer_norm<T>::value> layer_norm<T>::forward(matrix_view<const value> x, pass_mode) {
    const std::size_t n = x.rows();
    const auto x_hat = rows_of(x_hat_, n, width_, a_);
    const auto squares = rows_of(scratch_, n, width_, a_);
    const auto inv_std = rows_of(inv_std_, n, 1, a_);
    const auto one = [](value& v) { return std::span<value>(&v, 1); };
    for (std::size_t r = 0; r < n; ++r) {
        a_.sum(x.row(r), minus_mean_);
        a_.divide(one(minus_mean_), std::span(&minus_width_, 1), one(minus_mean_));
        a_.add_scalar(x.row(r), minus_mean_, x_hat.row(r));
        a_.multiply(x_hat.row(r), x_hat.row(r), squares.row(r));
        a_.sum(squares.row(r), variance_);
        a_.divide(one(variance_), std::span(&width_value_, 1), one(variance_));
        a_.add_scalar(one(variance_), epsilon_, inv_std.row(r));
        a_.square_root(inv_std.row(r), inv_std.row(r));
        a_.divide(std::span(&one_, 1), inv_std.row(r), inv_std.row(r));
        a_.scale(inv_std(r, 0), x_hat.row(r), x_hat.row(r));
    }
    if (!affine_) return x_hat;
    return affine_->forward(x_hat);
}

template <scalar_type T>
matrix_view<const typename layer_norm<T>::value> layer_norm<T>::backward(matrix_view<const value> dy,
                                                                          bool need_input_gradient) {
    const std::size_t n = dy.rows();
    const auto x_hat = x_hat_.row_range(0, n);
    const auto products = rows_of(scratch_, n, width_, a_);
    if (affine_) affine_->backward(dy, x_hat, products, sum_over_batch_);
    if (!need_input_gradient) return {};

    const auto dx = rows_of(dx_, n, width_, a_);
    const auto one = [](value& v) { return std::span<value>(&v, 1); };
    for (std::size_t r = 0; r < n; ++r) {
        const auto g = dx.row(r);
        if (affine_) a_.multiply(dy.row(r), affine_->gamma().value.elements(), g);
        else a_.copy(dy.row(r), g);
        a_.sum(g, minus_mean_);
        a_.divide(one(minus_mean_), std::span(&minus_width_, 1), one(minus_mean_));
        a_.multiply(g, x_hat.row(r), products.row(r));
        a_.sum(products.row(r), minus_mean_g_x_hat_);
        a_.divide(one(minus_mean_g_x_hat_), std::span(&minus_width_, 1), one(minus_mean_g_x_hat_));
        a_.add_scalar(g, minus_mean_, g);
        a_.axpy(minus_mean_g_x_hat_, x_hat.row(r), g, g);
        a_.scale(inv_std_(r, 0), g, g);
    }
    return dx;
}

}  // namespace gradlab::nn
