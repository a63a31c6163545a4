#pragma once
// Reductions over arrays of every precision: sum, L2 norm, max |x|, min
// nonzero |x|, and a census of zeros, subnormals, NaN and Inf. They add in the
// fixed order of kernels/reduce_blocking.hpp (blocks of 4096, 32 lanes, two
// pairwise trees), so results are bitwise the same for any number of OpenMP
// threads and on every instruction set; that header also derives the error
// bounds (sum_rounding_depth, sum_of_squares_rounding_depth).
//
// fp32 and fp64 run SIMD kernels (xsimd) on the instruction set `level` names
// (isa::generic: the scalar reference kernels; by default active_isa()).
// f128 runs the scalar kernels; mp calls MPFR in place, each thread on
// variables it made once, at the precision of `result`. An emulated
// format is float storage plus a float_format: max, min and norm of its values
// are those of the float array (the norm computed in fp32, as mixed-precision
// training computes gradient norms); its sum and census take the format.
// A matrix_view passes its elements() span.
//
// The native arithmetic assumes the default round-to-nearest direction; a
// caller's flush-to-zero or denormals-are-zero mode is switched off for the
// call (and in every worker thread), so subnormals count as what they are.
// `level` must be one of supported_isas() (else std::invalid_argument).
//
// Zeros, NaN and Inf: an empty or all-zero array sums to +0 (every lane
// starts at +0) and has norm +0. sum follows IEEE arithmetic (NaN in, NaN
// out; +Inf and -Inf give NaN). l2_norm is NaN if any element is NaN, else +Inf if any is ±Inf.
// max_abs and min_nonzero_abs skip NaN (census counts them): max_abs is 0
// when no element is a number, min_nonzero_abs +Inf when no element is a
// nonzero number; an Inf element is its own magnitude.

#include <limits>
#include <optional>
#include <span>

#include "gradlab/kernels/reduce_blocking.hpp"
#include "gradlab/kernels/value_census.hpp"
#include "gradlab/platform/isa.hpp"
#include "gradlab/scalar/conversions.hpp"
#include "gradlab/scalar/float_format.hpp"
#include "gradlab/scalar/round_to_format.hpp"
#include "gradlab/scalar/rounding_mode.hpp"

namespace gradlab {

// ---- sum: |error| <= gamma_D sum |x_i|, D = sum_rounding_depth(n) ----

// The sum of the elements, each addition rounded in the element type.
float sum(std::span<const float> x, isa level = active_isa());
double sum(std::span<const double> x, isa level = active_isa());
float128 sum(std::span<const float128> x);
// result = the sum, every addition rounded to result's precision.
void sum(std::span<const mp_float> x, mp_float& result);

// The sum in an emulated format: x holds values of the format, and every
// addition is rounded to it with `mode`, as the format's own hardware would
// (the exact sum of two floats is rounded to odd in binary64 first, which
// loses nothing for formats of at most 51 bits: Boldo and Melquiond 2005).
// Stochastic rounding: the addition that brings in element i draws
// sr.bits(sr.offset + i); the k-th tree addition (lane trees block by block,
// then the block tree) draws sr.bits(sr.offset + n + k). For formats of p > 21
// bits its probabilities are within 2^(p-53) (not 2^-31) of exact. For
// +acc32 semantics, round the fp32 sum once instead: round_to_format(sum(x), ...).
// Scalar code (some 20 ns per element). Throws std::invalid_argument when the
// format has values that are not binary32 values, or for stochastic rounding
// without a stream (one per tensor and step, as for round_array).
float sum(std::span<const float> x, const float_format& format, rounding_mode mode,
          const std::optional<sr_stream>& sr = std::nullopt);

// ---- L2 norm: relative error <= (1 + gamma_D)^(1/2) (1 + u) - 1, plus half
// the smallest subnormal; D = sum_of_squares_rounding_depth(n) ----

// sqrt(sum x_i^2), with Blue's scaling: no overflow or underflow in between,
// so entries of 1e300 or 1e-300 (fp64), 1e30 or 1e-30 (fp32), even
// subnormals, give their norm to full accuracy. The squares are fused
// multiply-adds on every instruction set.
float l2_norm(std::span<const float> x, isa level = active_isa());
double l2_norm(std::span<const double> x, isa level = active_isa());
float128 l2_norm(std::span<const float128> x);
// result = the norm at result's precision. MPFR's exponent range (2^±(2^30))
// needs no scaling for any value gradlab produces.
void l2_norm(std::span<const mp_float> x, mp_float& result);

// ---- max |x| and min nonzero |x|: exact ----

float max_abs(std::span<const float> x, isa level = active_isa());
double max_abs(std::span<const double> x, isa level = active_isa());
float128 max_abs(std::span<const float128> x);
// result = max |x_i| rounded to result's precision (exact when it is at least the element's).
void max_abs(std::span<const mp_float> x, mp_float& result);

float min_nonzero_abs(std::span<const float> x, isa level = active_isa());
double min_nonzero_abs(std::span<const double> x, isa level = active_isa());
float128 min_nonzero_abs(std::span<const float128> x);
// result = min nonzero |x_i| rounded to result's precision.
void min_nonzero_abs(std::span<const mp_float> x, mp_float& result);

// ---- census: exact counts ----

// Counts of zeros, NaN, Inf and of subnormals *of `format`*: nonzero finite
// values below 2^format.emin in magnitude. A float holding an fp16 value of
// 2^-20 counts as subnormal for binary16(), though it is a normal float.
value_census census(std::span<const float> x, const float_format& format, isa level = active_isa());
value_census census(std::span<const double> x, const float_format& format, isa level = active_isa());
value_census census(std::span<const float128> x, const float_format& format);
value_census census(std::span<const mp_float> x, const float_format& format);

// Subnormals of the element type's own format (binary32, binary64, binary128;
// an mp value is never subnormal: MPFR has none).
inline value_census census(std::span<const float> x) { return census(x, binary32()); }
inline value_census census(std::span<const double> x) { return census(x, binary64()); }
value_census census(std::span<const float128> x);
value_census census(std::span<const mp_float> x);

// ---- fp32 norm, extremes and census in one pass ----

// What the probes measure of a float array (probe::measure), reading it once.
// max_abs, min_nonzero_abs and census are those above, bit for bit. l2_norm
// is more accurate than l2_norm(x): the square of a float is exact in double
// (a finite |x| < 2^128 gives x^2 < 2^256; the smallest subnormal, 2^-149,
// gives 2^-298: far inside double's normal range, with room for any n), so
// the sum of squares, in double in the fixed order above, neither overflows
// nor underflows and needs no scaling. Only its additions round, D =
// sum_rounding_depth(n) on any path (a lane's first, 0 + x^2, is exact), and
// the square root once, so with u = 2^-53
//     |l2_norm - ||x||| <= ((1 + gamma_D)^(1/2) (1 + u) - 1) ||x||,
// about (D / 2 + 1) u: below 10^-14 for n < 2^40, far below a float's half
// ulp of 2^-24. It may exceed the largest float. NaN and Inf as for
// l2_norm(x): the square of NaN is NaN, that of ±Inf is +Inf.
struct one_pass_statistics {
    double l2_norm = 0;
    float max_abs = 0;
    float min_nonzero_abs = std::numeric_limits<float>::infinity();
    value_census census;  // subnormals of `format`
};

one_pass_statistics statistics_in_one_pass(std::span<const float> x, const float_format& format,
                                           isa level = active_isa());

}  // namespace gradlab
