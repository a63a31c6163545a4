#pragma once
// What the probes measure of one tensor (DESIGN.md, "Instrumentation"): its
// norm, extremes, census of zeros, subnormals, NaN and Inf, and for an
// activation's output how many units are saturated.
//
// The norm and extremes are kernels/reduce.hpp's, exact or within that
// header's bounds, and the same for any thread count and instruction set.
// Float arrays (fp32, and the emulated formats held in float) are read once,
// by statistics_in_one_pass(): the norm's squares summed in double, its
// relative error below 10^-14 (for fewer than 2^40 elements). Other types
// take the separate reductions, in their own arithmetic. Results are then
// rounded once to long double. long double (x86's 80-bit
// extended: 64 bits, binary128's exponent range) holds every fp32, fp64 and
// emulated result exactly and every binary128 one but its subnormals below
// 2^-16445, which read as 0. mp results beyond that range read as ±Inf or 0;
// the census counts stay exact whatever the values.

#include <cstddef>
#include <limits>
#include <optional>
#include <span>

#include "gradlab/kernels/activation.hpp"
#include "gradlab/kernels/value_census.hpp"
#include "gradlab/scalar/conversions.hpp"
#include "gradlab/scalar/float_format.hpp"

namespace gradlab::probe {

struct tensor_statistics {
    std::size_t count = 0;
    // NaN if any element is NaN, else +Inf if any is ±Inf.
    long double l2_norm = 0;
    // NaN skipped: max_abs is 0 when no element is a number, min_nonzero_abs
    // +Inf when no element is a nonzero number.
    long double max_abs = 0;
    long double min_nonzero_abs = std::numeric_limits<long double>::infinity();
    value_census census;  // subnormals of the precision's own format
    // Outputs of an activation: count_saturated(); measure() leaves it empty.
    std::optional<std::size_t> saturated;
};

// The statistics of x, its census taken in `format`: the precision's own
// format (binary16 for fp16 values held in float, binary32 for fp32).
tensor_statistics measure(std::span<const float> x, const float_format& format);
tensor_statistics measure(std::span<const double> x, const float_format& format);
tensor_statistics measure(std::span<const float128> x, const float_format& format);
// f128 in its own format, binary128 (which has no float_format: it does not fit a double).
tensor_statistics measure(std::span<const float128> x);
// mp: no value is subnormal. Norm and extremes at the precision of x's first
// element (a tensor's elements share one), on this thread's variables:
// nothing is allocated after the first call at a given precision.
tensor_statistics measure(std::span<const mp_float> x);

// How many outputs y = f(x) lie where f is saturated, its slope below 1% of
// its largest:
//   sigmoid               y (1 - y) < 0.01 * 0.25      (y near 0 or 1)
//   tanh                  1 - y^2 < 0.01               (|y| near 1)
//   relu, leaky_relu,     y <= 0                       (dead units; for leaky_relu
//   prelu                                               and prelu the slope is the
//                                                       small negative one)
//   elu                   y <= -0.99 alpha             (slope alpha e^x = y + alpha)
//   softplus              y < log(1 + 0.01 / 0.99)     (slope sigmoid(x) = 1 - e^-y < 0.01)
// std::nullopt for identity and gelu, which have no such rule. Each y is
// rounded to double first: the thresholds are conventions, not sharp, and a
// rounding of 2^-53 relative moves an element across one only when it lies
// within that distance of it. NaN is never saturated.
std::optional<std::size_t> count_saturated(const activation& f, std::span<const float> y);
std::optional<std::size_t> count_saturated(const activation& f, std::span<const double> y);
std::optional<std::size_t> count_saturated(const activation& f, std::span<const float128> y);
std::optional<std::size_t> count_saturated(const activation& f, std::span<const mp_float> y);

}  // namespace gradlab::probe
