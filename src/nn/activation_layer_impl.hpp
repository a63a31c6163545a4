#pragma once

#include "gradlab/nn/activation_layer.hpp"

namespace gradlab::nn {

template <scalar_type T>
activation_layer<T>::activation_layer(std::size_t width, activation f, arithmetic<T>& a)
    : a_(a), width_(width), f_(f), zero_(a.zero()), minus_infinity_(a.number("-inf")) {
    if (width == 0) throw std::invalid_argument("activation layer: the width must be positive");
    if (learnable()) {
        slope_ = {"weight", parameter_role::slope, a.matrix_of(1, 1), a.matrix_of(1, 1), {}, 1, 1};
        // The initial slope as the spec gives it; init.hpp may set it again.
        slope_.value(0, 0) = a.number(to_shortest_decimal(f.parameter, binary64()));
    }
}

template <scalar_type T>
void activation_layer<T>::collect_parameters(std::vector<parameter<T>*>& out) {
    if (learnable()) out.push_back(&slope_);
}

template <scalar_type T>
matrix_view<const typename activation_layer<T>::value> activation_layer<T>::forward(matrix_view<const value> x,
                                                                                    pass_mode) {
    x_ = x;
    const auto y = rows_of(y_, x.rows(), width_, a_);
    if (learnable()) a_.select_scaled(x.elements(), x.elements(), slope_.value(0, 0), y.elements());
    else a_.activation_forward(f_, x.elements(), y.elements());
    return y;
}

template <scalar_type T>
matrix_view<const typename activation_layer<T>::value> activation_layer<T>::backward(matrix_view<const value> dy,
                                                                                     bool need_input_gradient) {
    const auto dx = rows_of(dx_, dy.rows(), width_, a_);
    if (learnable()) {
        // dL/da = sum of min(x, 0) dy
        const auto t = rows_of(scratch_, dy.rows(), width_, a_);
        a_.clamp(x_.elements(), minus_infinity_, zero_, t.elements());
        a_.multiply(t.elements(), dy.elements(), t.elements());
        a_.sum(t.elements(), slope_.gradient(0, 0));
        if (!need_input_gradient) return {};
        a_.select_scaled(x_.elements(), dy.elements(), slope_.value(0, 0), dx.elements());
        return dx;
    }
    if (!need_input_gradient) return {};
    a_.activation_derivative(f_, x_.elements(), y_.row_range(0, dy.rows()).elements(), dx.elements());
    a_.multiply(dx.elements(), dy.elements(), dx.elements());
    return dx;
}

}  // namespace gradlab::nn
