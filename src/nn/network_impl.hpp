#pragma once

#include <stdexcept>
#include <string>

#include "gradlab/nn/activation_layer.hpp"
#include "gradlab/nn/batch_norm.hpp"
#include "gradlab/nn/dense.hpp"
#include "gradlab/nn/layer_norm.hpp"
#include "gradlab/nn/network.hpp"
#include "gradlab/nn/residual.hpp"

namespace gradlab::nn {

namespace network_detail {

template <class... F>
struct overloaded : F... {
    using F::operator()...;
};

}  // namespace network_detail

template <scalar_type T>
std::unique_ptr<layer<T>> make_layer(const layer_spec& spec, std::size_t input_width, arithmetic<T>& a,
                                     activation next_activation) {
    using network_detail::overloaded;
    return std::visit(
        overloaded{
            [&](const dense_spec& s) -> std::unique_ptr<layer<T>> {
                return std::make_unique<dense<T>>(input_width, s.out, s.bias, a, next_activation);
            },
            [&](const activation_spec& s) -> std::unique_ptr<layer<T>> {
                return std::make_unique<activation_layer<T>>(input_width, s.function, a);
            },
            [&](const batch_norm_spec& s) -> std::unique_ptr<layer<T>> {
                return std::make_unique<batch_norm<T>>(input_width, s, a);
            },
            [&](const layer_norm_spec& s) -> std::unique_ptr<layer<T>> {
                return std::make_unique<layer_norm<T>>(input_width, s, a);
            },
            [&](const residual_spec& s) -> std::unique_ptr<layer<T>> {
                return std::make_unique<residual<T>>(input_width, s, a, next_activation);
            },
        },
        spec.settings);
}

// The activation right after layer i of `layers` (identity when none follows):
// the initialisers' gain for a Dense layer.
inline activation activation_after(const std::vector<layer_spec>& layers, std::size_t i) {
    if (i + 1 < layers.size())
        if (const auto* f = std::get_if<activation_spec>(&layers[i + 1].settings)) return f->function;
    return {};
}

// Prefixes the names of the parameters `collect` adds to `out`.
template <scalar_type T>
void collect_with_prefix(layer<T>& l, const std::string& prefix, std::vector<parameter<T>*>& out) {
    const std::size_t first = out.size();
    l.collect_parameters(out);
    for (std::size_t p = first; p < out.size(); ++p) out[p]->name = prefix + out[p]->name;
}

template <scalar_type T>
network<T>::network(const model_spec& spec, arithmetic<T>& a) : a_(a), input_width_(spec.input_dim) {
    if (spec.input_dim == 0) throw std::invalid_argument("model: input_dim must be positive");
    std::size_t width = spec.input_dim;
    for (std::size_t i = 0; i < spec.layers.size(); ++i) {
        layers_.push_back(make_layer(spec.layers[i], width, a, activation_after(spec.layers, i)));
        width = layers_.back()->output_width();
        first_parameter_.push_back(parameters_.size());
        collect_with_prefix(*layers_.back(), "layers." + std::to_string(i) + ".", parameters_);
    }
    first_parameter_.push_back(parameters_.size());
}

template <scalar_type T>
std::span<parameter<T>* const> network<T>::parameters_of(std::size_t i) const {
    if (i >= layers_.size()) throw std::out_of_range("model: no layer " + std::to_string(i));
    return std::span(parameters_).subspan(first_parameter_[i], first_parameter_[i + 1] - first_parameter_[i]);
}

template <scalar_type T>
parameter<T>& network<T>::parameter_named(std::string_view name) {
    for (auto* p : parameters_)
        if (p->name == name) return *p;
    throw std::out_of_range("model: no parameter named '" + std::string(name) + "'");
}

template <scalar_type T>
matrix_view<const typename network<T>::value> network<T>::forward(matrix_view<const value> x, pass_mode mode) {
    if (x.cols() != input_width_)
        throw std::invalid_argument("model: a batch of " + std::to_string(x.cols()) + " features for input_dim " +
                                    std::to_string(input_width_));
    for (std::size_t i = 0; i < layers_.size(); ++i) {
        const auto input = x;
        x = layers_[i]->forward(x, mode);
        if (observer_) observer_->forward_done(i, *layers_[i], input, x);
    }
    return x;
}

template <scalar_type T>
void network<T>::backward(matrix_view<const value> doutput) {
    for (std::size_t i = layers_.size(); i-- > 0;) {
        const auto dy = doutput;
        doutput = layers_[i]->backward(doutput, i > 0);
        if (observer_) observer_->backward_done(i, *layers_[i], dy, doutput);
    }
}

}  // namespace gradlab::nn
