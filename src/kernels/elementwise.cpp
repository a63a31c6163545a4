// add, scale, axpy, Hadamard and e^x for fp32, fp64 and the emulated formats.

#include "gradlab/kernels/elementwise.hpp"

#include <algorithm>
#include <cmath>

#include "elementwise_dispatch.hpp"
#include "gradlab/kernels/activation_formulas.hpp"
#include "gradlab/kernels/simd/elementwise_kernel.hpp"
#include "gradlab/scalar/round_array.hpp"

namespace gradlab {

namespace {

using simd::linear_op;

constexpr const char* name_of(linear_op op) {
    switch (op) {
        case linear_op::add: return "add";
        case linear_op::scale: return "scale";
        case linear_op::axpy: return "axpy";
        case linear_op::hadamard: return "hadamard";
    }
    return "?";
}

// out = op(a, x, y); y is empty for scale.
template <class T>
void linear_native(linear_op op, T a, std::span<const T> x, std::span<const T> y, std::span<T> out, isa level) {
    kernels_detail::require_same_size(name_of(op), x.size(), out.size());
    if (op != linear_op::scale) kernels_detail::require_same_size(name_of(op), x.size(), y.size());
    if (level == isa::generic) {
        for (std::size_t i = 0; i < x.size(); ++i) {
            switch (op) {
                case linear_op::add: out[i] = x[i] + y[i]; break;
                case linear_op::scale: out[i] = a * x[i]; break;
                case linear_op::axpy: out[i] = simd::rounded(a * x[i]) + y[i]; break;
                case linear_op::hadamard: out[i] = x[i] * y[i]; break;
            }
        }
        return;
    }
    kernels_detail::with_arch(
        level, [&]<class Arch>() { simd::linear_kernel<Arch, T>(op, a, x.data(), y.data(), out.data(), x.size()); });
}

template <class T>
void exponential_native(std::span<const T> x, std::span<T> out, isa level) {
    kernels_detail::require_same_size("exponential", x.size(), out.size());
    if (level == isa::generic) {
        for (std::size_t i = 0; i < x.size(); ++i) out[i] = std::exp(x[i]);
        return;
    }
    kernels_detail::with_arch(level,
                              [&]<class Arch>() { simd::exponential_kernel<Arch, T>(x.data(), out.data(), x.size()); });
}

// One operation in float, its result rounded to the format.
void linear_emulated(linear_op op, float a, std::span<const float> x, std::span<const float> y, std::span<float> out,
                     const float_format& format, rounding_mode mode, const std::optional<sr_stream>& sr, isa level) {
    kernels_detail::require_float_storage(name_of(op), format);
    kernels_detail::require_stream_for_stochastic(name_of(op), mode, sr);
    linear_native(op, a, x, y, out, level);
    round_array(out, out, format, mode, sr, level);
}

}  // namespace

void add(std::span<const float> x, std::span<const float> y, std::span<float> out, isa level) {
    linear_native(linear_op::add, 0.0f, x, y, out, level);
}
void add(std::span<const double> x, std::span<const double> y, std::span<double> out, isa level) {
    linear_native(linear_op::add, 0.0, x, y, out, level);
}
void add(std::span<const float> x, std::span<const float> y, std::span<float> out, const float_format& format,
         rounding_mode mode, const std::optional<sr_stream>& sr, isa level) {
    linear_emulated(linear_op::add, 0.0f, x, y, out, format, mode, sr, level);
}

void scale(float a, std::span<const float> x, std::span<float> out, isa level) {
    linear_native<float>(linear_op::scale, a, x, {}, out, level);
}
void scale(double a, std::span<const double> x, std::span<double> out, isa level) {
    linear_native<double>(linear_op::scale, a, x, {}, out, level);
}
void scale(float a, std::span<const float> x, std::span<float> out, const float_format& format, rounding_mode mode,
           const std::optional<sr_stream>& sr, isa level) {
    linear_emulated(linear_op::scale, a, x, {}, out, format, mode, sr, level);
}

void axpy(float a, std::span<const float> x, std::span<const float> y, std::span<float> out, isa level) {
    linear_native(linear_op::axpy, a, x, y, out, level);
}
void axpy(double a, std::span<const double> x, std::span<const double> y, std::span<double> out, isa level) {
    linear_native(linear_op::axpy, a, x, y, out, level);
}
void axpy(float a, std::span<const float> x, std::span<const float> y, std::span<float> out, const float_format& format,
          rounding_mode mode, const std::optional<sr_stream>& sr, isa level) {
    kernels_detail::require_float_storage("axpy", format);
    kernels_detail::require_same_size("axpy", x.size(), y.size());
    kernels_detail::require_same_size("axpy", x.size(), out.size());
    kernels_detail::require_stream_for_stochastic("axpy", mode, sr);
    // Other modes draw no bits: any stream will do for them.
    const sr_stream product_stream = sr.value_or(sr_stream{});
    const sr_stream sum_stream{.key = product_stream.key ^ axpy_sum_key, .offset = product_stream.offset};
    // The product is rounded to the format before the sum reads it; out may
    // alias y, so products wait in a block of their own.
    constexpr std::size_t block = 1024;
    alignas(64) float product[block];
    for (std::size_t start = 0; start < x.size(); start += block) {
        const std::size_t m = std::min(block, x.size() - start);
        const std::span<float> p(product, m);
        const auto out_block = out.subspan(start, m);
        scale(a, x.subspan(start, m), p, format, mode, kernels_detail::advanced(product_stream, start), level);
        add(p, y.subspan(start, m), out_block, format, mode, kernels_detail::advanced(sum_stream, start), level);
    }
}

void hadamard(std::span<const float> x, std::span<const float> y, std::span<float> out, isa level) {
    linear_native(linear_op::hadamard, 0.0f, x, y, out, level);
}
void hadamard(std::span<const double> x, std::span<const double> y, std::span<double> out, isa level) {
    linear_native(linear_op::hadamard, 0.0, x, y, out, level);
}
void hadamard(std::span<const float> x, std::span<const float> y, std::span<float> out, const float_format& format,
              rounding_mode mode, const std::optional<sr_stream>& sr, isa level) {
    linear_emulated(linear_op::hadamard, 0.0f, x, y, out, format, mode, sr, level);
}

void exponential(std::span<const float> x, std::span<float> out, isa level) { exponential_native(x, out, level); }
void exponential(std::span<const double> x, std::span<double> out, isa level) { exponential_native(x, out, level); }
void exponential(std::span<const float> x, std::span<float> out, const float_format& format, rounding_mode mode,
                 const std::optional<sr_stream>& sr, isa level) {
    kernels_detail::require_float_storage("exponential", format);
    kernels_detail::require_stream_for_stochastic("exponential", mode, sr);
    exponential_native(x, out, level);
    round_array(out, out, format, mode, sr, level);
}

}  // namespace gradlab
