// Elementwise ops and activations for float128: the scalar formulas on
// Boost.Multiprecision's float128 (libquadmath), split over OpenMP threads
// (an exp or erfc costs about a microsecond; the result does not depend on
// the thread count).

#include <cstddef>

#include "activation_scalar.hpp"
#include "elementwise_dispatch.hpp"
#include "gradlab/kernels/activation.hpp"
#include "gradlab/kernels/elementwise.hpp"

namespace gradlab {

namespace {

// out[i] = op(i) for every element, over the threads when there are enough.
template <class Op>
void for_each_element(std::size_t n, std::size_t parallel_from, Op op) {
    const auto count = static_cast<std::ptrdiff_t>(n);
#pragma omp parallel for schedule(static) if (n >= parallel_from)
    for (std::ptrdiff_t i = 0; i < count; ++i) op(static_cast<std::size_t>(i));
}

// Plain arithmetic is a few nanoseconds: threads pay off only for long arrays.
constexpr std::size_t arithmetic_parallel_from = 1 << 14;
constexpr std::size_t function_parallel_from = 64;

void require_sizes(const char* function, std::size_t x, std::size_t y, std::size_t out) {
    kernels_detail::require_same_size(function, x, y);
    kernels_detail::require_same_size(function, x, out);
}

}  // namespace

void add(std::span<const float128> x, std::span<const float128> y, std::span<float128> out) {
    require_sizes("add", x.size(), y.size(), out.size());
    for_each_element(x.size(), arithmetic_parallel_from, [&](std::size_t i) { out[i] = x[i] + y[i]; });
}

void scale(const float128& a, std::span<const float128> x, std::span<float128> out) {
    kernels_detail::require_same_size("scale", x.size(), out.size());
    for_each_element(x.size(), arithmetic_parallel_from, [&](std::size_t i) { out[i] = a * x[i]; });
}

void axpy(const float128& a, std::span<const float128> x, std::span<const float128> y, std::span<float128> out) {
    require_sizes("axpy", x.size(), y.size(), out.size());
    // binary128 arithmetic is software: nothing contracts the two roundings
    for_each_element(x.size(), arithmetic_parallel_from, [&](std::size_t i) {
        const float128 product = a * x[i];
        out[i] = product + y[i];
    });
}

void hadamard(std::span<const float128> x, std::span<const float128> y, std::span<float128> out) {
    require_sizes("hadamard", x.size(), y.size(), out.size());
    for_each_element(x.size(), arithmetic_parallel_from, [&](std::size_t i) { out[i] = x[i] * y[i]; });
}

void exponential(std::span<const float128> x, std::span<float128> out) {
    kernels_detail::require_same_size("exponential", x.size(), out.size());
    for_each_element(x.size(), function_parallel_from, [&](std::size_t i) { out[i] = exp(x[i]); });
}

void activation_forward(const activation& f, std::span<const float128> x, std::span<float128> y) {
    kernels_detail::require_same_size("activation_forward", x.size(), y.size());
    kernels_detail::forward_scalar<float128>(f.kind, float128(f.parameter), x, y, true);
}

void activation_derivative(const activation& f, std::span<const float128> x, std::span<const float128> y,
                           std::span<float128> d) {
    require_sizes("activation_derivative", x.size(), y.size(), d.size());
    kernels_detail::derivative_scalar<float128>(f.kind, float128(f.parameter), x, y, d, true);
}

}  // namespace gradlab
