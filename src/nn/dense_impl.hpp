#pragma once

#include "gradlab/nn/dense.hpp"

namespace gradlab::nn {

template <scalar_type T>
dense<T>::dense(std::size_t in, std::size_t out, bool bias, arithmetic<T>& a, activation next_activation)
    : a_(a), in_(in), out_(out), has_bias_(bias), one_(a.number("1")), zero_(a.zero()), sum_over_batch_(a) {
    if (in == 0 || out == 0)
        throw std::invalid_argument("dense layer: widths must be positive, got in " + std::to_string(in) + ", out " +
                                    std::to_string(out));
    weight_ = {"weight", parameter_role::weight, a.matrix_of(out, in), a.matrix_of(out, in), next_activation, in, out};
    if (bias) bias_ = {"bias", parameter_role::bias, a.matrix_of(1, out), a.matrix_of(1, out), {}, in, out};
}

template <scalar_type T>
void dense<T>::collect_parameters(std::vector<parameter<T>*>& out) {
    out.push_back(&weight_);
    if (has_bias_) out.push_back(&bias_);
}

template <scalar_type T>
matrix_view<const typename dense<T>::value> dense<T>::forward(matrix_view<const value> x, pass_mode) {
    x_ = x;
    const auto z = rows_of(z_, x.rows(), out_, a_);
    if (has_bias_)
        for (std::size_t r = 0; r < z.rows(); ++r) a_.copy(bias_.value.elements(), z.row(r));
    a_.gemm(gemm_layout::nt, one_, x, weight_.value, has_bias_ ? one_ : zero_, z);
    return z;
}

template <scalar_type T>
matrix_view<const typename dense<T>::value> dense<T>::backward(matrix_view<const value> dy,
                                                                bool need_input_gradient) {
    a_.gemm(gemm_layout::tn, one_, dy, x_, zero_, weight_.gradient);
    if (has_bias_) sum_over_batch_(dy, bias_.gradient.elements());
    if (!need_input_gradient) return {};
    const auto dx = rows_of(dx_, dy.rows(), in_, a_);
    a_.gemm(gemm_layout::nn, one_, dy, weight_.value, zero_, dx);
    return dx;
}

}  // namespace gradlab::nn
