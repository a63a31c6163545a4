#pragma once
// Definitions of the elementwise SIMD kernels: included only by the per-ISA
// translation units that instantiate them (see elementwise_kernel.hpp).

#include <cstddef>
#include <type_traits>

#include <xsimd/xsimd.hpp>

#include "gradlab/kernels/activation_formulas.hpp"
#include "gradlab/kernels/simd/elementwise_kernel.hpp"

namespace gradlab::simd {

namespace detail {

// out[i] = f(x[i]), the lanes computed as U (T itself, or double for float
// gelu: batches of U are loaded from and stored to T arrays, converting).
template <class Arch, class U, class T, class F>
inline void map_unary(const T* x, T* out, std::size_t n, F f) {
    using B = xsimd::batch<U, Arch>;
    constexpr std::size_t L = B::size;
    std::size_t i = 0;
    for (; i + L <= n; i += L) f(B::load_unaligned(x + i)).store_unaligned(out + i);
    if (i < n) {  // plain loops, not std::copy: no std:: symbol may come from an ISA library
        alignas(64) T buffer[L] = {};
        for (std::size_t j = 0; j < n - i; ++j) buffer[j] = x[i + j];
        f(B::load_unaligned(buffer)).store_unaligned(buffer);
        for (std::size_t j = 0; j < n - i; ++j) out[i + j] = buffer[j];
    }
}

// out[i] = f(x[i], y[i])
template <class Arch, class T, class F>
inline void map_binary(const T* x, const T* y, T* out, std::size_t n, F f) {
    using B = xsimd::batch<T, Arch>;
    constexpr std::size_t L = B::size;
    std::size_t i = 0;
    for (; i + L <= n; i += L) f(B::load_unaligned(x + i), B::load_unaligned(y + i)).store_unaligned(out + i);
    if (i < n) {
        alignas(64) T first[L] = {};
        alignas(64) T second[L] = {};
        for (std::size_t j = 0; j < n - i; ++j) {
            first[j] = x[i + j];
            second[j] = y[i + j];
        }
        f(B::load_aligned(first), B::load_aligned(second)).store_aligned(first);
        for (std::size_t j = 0; j < n - i; ++j) out[i + j] = first[j];
    }
}

// gelu of float inputs, computed in double: x^2 is exact, x / sqrt 2 is
// rounded 29 bits below float's last place (its amplification by up to x^2 =
// 200 before gelu underflows in float does not reach it), and xsimd's double
// erfc, though off by up to 3e5 double ulps near 10 (measured), is then off
// by less than 1e-3 float ulps. The store rounds once to float.
constexpr double inv_sqrt2 = 0.70710678118654752440;
constexpr double inv_sqrt_2pi = 0.39894228040143267794;

template <class A>
inline xsimd::batch<double, A> gelu_of_floats(const xsimd::batch<double, A>& x) {
    using D = xsimd::batch<double, A>;
    const D y = D(0.5) * x * xsimd::erfc(x * D(-inv_sqrt2));
    return xsimd::select(xsimd::isinf(x), xsimd::select(x > D(0.0), x, D(-0.0)), y);
}

template <class A>
inline xsimd::batch<double, A> gelu_derivative_of_floats(const xsimd::batch<double, A>& x) {
    using D = xsimd::batch<double, A>;
    const D phi = xsimd::exp(D(-0.5) * x * x) * D(inv_sqrt_2pi);
    const D d = D(0.5) * xsimd::erfc(x * D(-inv_sqrt2)) + x * phi;
    return xsimd::select(xsimd::isinf(x), xsimd::select(x > D(0.0), D(1.0), D(-0.0)), d);
}

}  // namespace detail

template <class Arch, class T>
void linear_kernel(linear_op op, T a, const T* x, const T* y, T* out, std::size_t n) {
    using B = xsimd::batch<T, Arch>;
    const B factor(a);
    switch (op) {
        case linear_op::add: return detail::map_binary<Arch>(x, y, out, n, [](B u, B v) { return u + v; });
        case linear_op::scale: return detail::map_unary<Arch, T>(x, out, n, [factor](B u) { return factor * u; });
        case linear_op::axpy:
            return detail::map_binary<Arch>(x, y, out, n, [factor](B u, B v) { return rounded(factor * u) + v; });
        case linear_op::hadamard: return detail::map_binary<Arch>(x, y, out, n, [](B u, B v) { return u * v; });
    }
}

template <class Arch, class T>
void exponential_kernel(const T* x, T* out, std::size_t n) {
    using B = xsimd::batch<T, Arch>;
    detail::map_unary<Arch, T>(x, out, n, [](B v) { return formulas::exp_of(v); });
}

template <class Arch, class T>
void activation_forward_kernel(activation_kind kind, T parameter, const T* x, T* y, std::size_t n) {
    namespace f = formulas;
    using B = xsimd::batch<T, Arch>;
    const B p(parameter);
    const auto map = [&](auto fn) { detail::map_unary<Arch, T>(x, y, n, fn); };
    switch (kind) {
        case activation_kind::identity: return map([](B v) { return v; });
        case activation_kind::sigmoid: return map([](B v) { return f::sigmoid(v); });
        case activation_kind::tanh: return map([](B v) { return f::tanh(v); });
        case activation_kind::relu: return map([](B v) { return f::relu(v); });
        case activation_kind::leaky_relu:
        case activation_kind::prelu: return map([p](B v) { return f::leaky_relu(v, p); });
        case activation_kind::elu: return map([p](B v) { return f::elu(v, p); });
        case activation_kind::softplus: return map([](B v) { return f::softplus(v); });
        case activation_kind::gelu:
            if constexpr (std::is_same_v<T, float>)
                detail::map_unary<Arch, double>(x, y, n,
                                                [](xsimd::batch<double, Arch> v) { return detail::gelu_of_floats(v); });
            return;  // double: not reached (see the declaration)
    }
}

template <class Arch, class T>
void activation_derivative_kernel(activation_kind kind, T parameter, const T* x, const T* y, T* d, std::size_t n) {
    namespace f = formulas;
    using B = xsimd::batch<T, Arch>;
    const B p(parameter);
    const auto of_x = [&](auto fn) { detail::map_unary<Arch, T>(x, d, n, fn); };
    const auto of_y = [&](auto fn) { detail::map_unary<Arch, T>(y, d, n, fn); };
    switch (kind) {
        case activation_kind::identity: return of_x([](B v) { return f::identity_derivative(v); });
        case activation_kind::sigmoid: return of_y([](B v) { return f::sigmoid_derivative_from_output(v); });
        case activation_kind::tanh: return of_y([](B v) { return f::tanh_derivative_from_output(v); });
        case activation_kind::relu: return of_x([](B v) { return f::relu_derivative(v); });
        case activation_kind::leaky_relu:
        case activation_kind::prelu: return of_x([p](B v) { return f::leaky_relu_derivative(v, p); });
        case activation_kind::elu: return of_x([p](B v) { return f::elu_derivative(v, p); });
        case activation_kind::softplus: return of_x([](B v) { return f::sigmoid(v); });
        case activation_kind::gelu:
            if constexpr (std::is_same_v<T, float>)
                detail::map_unary<Arch, double>(
                    x, d, n, [](xsimd::batch<double, Arch> v) { return detail::gelu_derivative_of_floats(v); });
            return;  // double: not reached
    }
}

}  // namespace gradlab::simd

// Instantiated per instruction set in src/kernels/simd/elementwise_<isa>.cpp.
#define GRADLAB_INSTANTIATE_ELEMENTWISE_FOR(ARCH, T)                                                                \
    template void gradlab::simd::linear_kernel<ARCH, T>(linear_op, T, const T*, const T*, T*, std::size_t);         \
    template void gradlab::simd::exponential_kernel<ARCH, T>(const T*, T*, std::size_t);                            \
    template void gradlab::simd::activation_forward_kernel<ARCH, T>(activation_kind, T, const T*, T*, std::size_t); \
    template void gradlab::simd::activation_derivative_kernel<ARCH, T>(activation_kind, T, const T*, const T*, T*,  \
                                                                       std::size_t);
#define GRADLAB_INSTANTIATE_ELEMENTWISE(ARCH)        \
    GRADLAB_INSTANTIATE_ELEMENTWISE_FOR(ARCH, float) \
    GRADLAB_INSTANTIATE_ELEMENTWISE_FOR(ARCH, double)
