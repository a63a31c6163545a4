#pragma once
// Elementwise arithmetic on spans, in every precision: add, scale, axpy,
// Hadamard product, and e^x (the exponential that softmax and the benchmarks
// use). Activations and their derivatives are in activation.hpp.
//
// Each precision family has its overloads:
//   float, double   SIMD (xsimd) on the instruction set `level`, which callers
//                   choose once, high up (the default is active_isa());
//                   isa::generic is the scalar reference code.
//   float128        Boost.Multiprecision (libquadmath).
//   mp_float        MPFR in place; each result is rounded to the precision
//                   out[i] already has (as every element of a matrix<mp_float>
//                   has), never to Boost's global default.
//   emulated        float storage holding values of `format`: the operation
//                   is computed in float and its result rounded once to the
//                   format in `mode` (stochastic: element i draws
//                   sr.bits(sr.offset + i)). Throws std::invalid_argument when
//                   the format has values that are not floats, or when the
//                   mode is stochastic and `sr` is empty: stochastic rounding
//                   needs a stream, one per tensor and step, as round_array
//                   does (with a default stream, every call would draw the
//                   same bits for the same index). The message names the function.
//
// add, scale and Hadamard are correctly rounded in every precision. For an
// emulated format with p <= 11 (fp16, bf16, fp8) they are also correctly
// rounded to nearest although computed in float first: float's 24 bits are
// at least 2p + 2, so rounding twice gives the same result as rounding once
// (Figueroa, "When is double rounding innocuous?", 1995); products of such
// values are exact in float, so scale and Hadamard by a value of the format
// are correctly rounded in every mode unless the product leaves float's
// range (its subnormals included).
//
// axpy is out = a x + y with the product rounded, then the sum: two
// operations, never fused, so every precision and every instruction set
// computes the same thing. Emulated axpy rounds both to the format; the sum's
// stochastic rounding draws from the stream whose key is
// sr.key ^ axpy_sum_key, independent of the product's.
//
// exponential() is not correctly rounded (see the ULP bounds in the tests).
//
// Spans must have equal sizes (std::invalid_argument otherwise); `out` may be
// the same span as an input.

#include <cstdint>
#include <optional>
#include <span>

#include "gradlab/platform/isa.hpp"
#include "gradlab/scalar/conversions.hpp"
#include "gradlab/scalar/float_format.hpp"
#include "gradlab/scalar/round_to_format.hpp"
#include "gradlab/scalar/rounding_mode.hpp"

namespace gradlab {

inline constexpr std::uint64_t axpy_sum_key = 0x9e3779b97f4a7c15ULL;

// out[i] = x[i] + y[i]
void add(std::span<const float> x, std::span<const float> y, std::span<float> out, isa level = active_isa());
void add(std::span<const double> x, std::span<const double> y, std::span<double> out, isa level = active_isa());
void add(std::span<const float128> x, std::span<const float128> y, std::span<float128> out);
void add(std::span<const mp_float> x, std::span<const mp_float> y, std::span<mp_float> out);
void add(std::span<const float> x, std::span<const float> y, std::span<float> out, const float_format& format,
         rounding_mode mode, const std::optional<sr_stream>& sr = std::nullopt, isa level = active_isa());

// out[i] = a * x[i]
void scale(float a, std::span<const float> x, std::span<float> out, isa level = active_isa());
void scale(double a, std::span<const double> x, std::span<double> out, isa level = active_isa());
void scale(const float128& a, std::span<const float128> x, std::span<float128> out);
void scale(const mp_float& a, std::span<const mp_float> x, std::span<mp_float> out);
void scale(float a, std::span<const float> x, std::span<float> out, const float_format& format, rounding_mode mode,
           const std::optional<sr_stream>& sr = std::nullopt, isa level = active_isa());

// out[i] = a * x[i] + y[i], the product rounded, then the sum
void axpy(float a, std::span<const float> x, std::span<const float> y, std::span<float> out, isa level = active_isa());
void axpy(double a, std::span<const double> x, std::span<const double> y, std::span<double> out,
          isa level = active_isa());
void axpy(const float128& a, std::span<const float128> x, std::span<const float128> y, std::span<float128> out);
void axpy(const mp_float& a, std::span<const mp_float> x, std::span<const mp_float> y, std::span<mp_float> out);
void axpy(float a, std::span<const float> x, std::span<const float> y, std::span<float> out, const float_format& format,
          rounding_mode mode, const std::optional<sr_stream>& sr = std::nullopt, isa level = active_isa());

// out[i] = x[i] * y[i]
void hadamard(std::span<const float> x, std::span<const float> y, std::span<float> out, isa level = active_isa());
void hadamard(std::span<const double> x, std::span<const double> y, std::span<double> out, isa level = active_isa());
void hadamard(std::span<const float128> x, std::span<const float128> y, std::span<float128> out);
void hadamard(std::span<const mp_float> x, std::span<const mp_float> y, std::span<mp_float> out);
void hadamard(std::span<const float> x, std::span<const float> y, std::span<float> out, const float_format& format,
              rounding_mode mode, const std::optional<sr_stream>& sr = std::nullopt, isa level = active_isa());

// out[i] = e^x[i], overflowing to +Inf and underflowing through the
// subnormals to +0 as the true value does; NaN stays NaN.
void exponential(std::span<const float> x, std::span<float> out, isa level = active_isa());
void exponential(std::span<const double> x, std::span<double> out, isa level = active_isa());
void exponential(std::span<const float128> x, std::span<float128> out);
void exponential(std::span<const mp_float> x, std::span<mp_float> out);
void exponential(std::span<const float> x, std::span<float> out, const float_format& format, rounding_mode mode,
                 const std::optional<sr_stream>& sr = std::nullopt, isa level = active_isa());

}  // namespace gradlab
