#pragma once
// Activations one element at a time: the scalar reference (isa::generic) for
// float and double, double gelu at every level, and float128.

#include <cstddef>
#include <span>

#include "gradlab/kernels/activation.hpp"
#include "gradlab/kernels/activation_formulas.hpp"

namespace gradlab::kernels_detail {

template <class T>
T forward_one(activation_kind kind, const T& p, const T& x) {
    namespace f = formulas;
    switch (kind) {
        case activation_kind::identity: return x;
        case activation_kind::sigmoid: return f::sigmoid(x);
        case activation_kind::tanh: return f::tanh(x);
        case activation_kind::relu: return f::relu(x);
        case activation_kind::leaky_relu:
        case activation_kind::prelu: return f::leaky_relu(x, p);
        case activation_kind::elu: return f::elu(x, p);
        case activation_kind::gelu: return f::gelu(x);
        case activation_kind::softplus: return f::softplus(x);
    }
    return x;
}

template <class T>
T derivative_one(activation_kind kind, const T& p, const T& x, const T& y) {
    namespace f = formulas;
    switch (kind) {
        case activation_kind::identity: return f::identity_derivative(x);
        case activation_kind::sigmoid: return f::sigmoid_derivative_from_output(y);
        case activation_kind::tanh: return f::tanh_derivative_from_output(y);
        case activation_kind::relu: return f::relu_derivative(x);
        case activation_kind::leaky_relu:
        case activation_kind::prelu: return f::leaky_relu_derivative(x, p);
        case activation_kind::elu: return f::elu_derivative(x, p);
        case activation_kind::gelu: return f::gelu_derivative(x);
        case activation_kind::softplus: return f::sigmoid(x);
    }
    return x;
}

// `parallel`: split the elements over OpenMP threads (float128, where each
// costs microseconds); the result does not depend on the thread count.
template <class T>
void forward_scalar(activation_kind kind, const T& p, std::span<const T> x, std::span<T> y, bool parallel) {
    const auto n = static_cast<std::ptrdiff_t>(x.size());
#pragma omp parallel for schedule(static) if (parallel && n >= 64)
    for (std::ptrdiff_t i = 0; i < n; ++i) y[i] = forward_one(kind, p, x[i]);
}

template <class T>
void derivative_scalar(activation_kind kind, const T& p, std::span<const T> x, std::span<const T> y, std::span<T> d,
                       bool parallel) {
    const auto n = static_cast<std::ptrdiff_t>(x.size());
#pragma omp parallel for schedule(static) if (parallel && n >= 64)
    for (std::ptrdiff_t i = 0; i < n; ++i) d[i] = derivative_one(kind, p, x[i], y[i]);
}

}  // namespace gradlab::kernels_detail
