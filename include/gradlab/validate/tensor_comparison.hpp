#pragma once
// How far one tensor of another implementation (its gradients, say) lies from
// gradlab's high-precision reference, for `gradlab validate` (issue 7).
//
// x holds the values under test: fp32 or fp64 values, exactly, in double.
// Their grid, `dtype`, is probe::ulp_scale {24, -126} or {53, -1022}, and
// ulp(r) = 2^(max(floor(log2 |r|), emin) - p + 1) as in probe::compare
// (ulp(0) = 2^(emin - p + 1), the smallest subnormal spacing).
//
// Two ULP errors, because they answer different questions:
// - elementwise, |x_i - r_i| / ulp(r_i): each entry on its own grid. Strict,
//   and misleading for gradients: an entry that is a sum with cancellation
//   (r_i tiny next to the rest of its tensor) is off by a few ULP of the
//   terms it summed, which is a huge number of its own ULPs, while the
//   implementation is as correct as its dtype allows.
// - tensor-scaled, |x_i - r_i| / ulp(max_j |r_j|): every entry on the grid of
//   the tensor's largest entry (the largest finite |r_j|), the scale at which
//   a correct implementation's rounding errors live. A correct fp64
//   implementation is a few scaled ULP off where it is 1e2 to 1e5
//   elementwise ULP off.
//
// Non-finite entries (as probe::compare): equal infinities, or NaN against
// NaN, are no error; any other pair with a NaN or Inf is +Inf error in every
// metric below, and such an entry is the worst one.
//
// Arithmetic: |x_i - r_i| is rounded to odd at 128 bits (Boldo and
// Melquiond, "When double rounding is odd"), then divided by a ULP (a power
// of two, exactly), so max_abs_error, max_ulp and scaled_ulp are the exact
// values rounded once to long double; beyond_*() are decided on the exact
// errors, the worst indices on the 128-bit ones (errors that agree to 127
// bits are ties). max_relative_error divides at 128 bits
// before its rounding (within 2^-126 relative of the exact ratio before it).
// median_ulp and normwise_relative are probe::compare's (error_metrics.hpp:
// the median's differences rounded at 2 bits more than the reference's
// before long double; the norms sum 128-bit terms, within about n 2^-127
// relative before the rounding to long double).

#include <cstddef>
#include <span>
#include <vector>

#include "gradlab/probe/error_metrics.hpp"
#include "gradlab/scalar/conversions.hpp"

namespace gradlab::validate {

struct tensor_comparison {
    std::size_t count = 0;
    long double max_abs_error = 0;       // max |x_i - r_i|
    long double max_relative_error = 0;  // max |x_i - r_i| / |r_i| (r_i = 0: 0 if x_i = 0, else +Inf)
    // Elementwise ULP errors: the largest, and the lower median (a value that
    // occurs, element (count - 1) / 2 of the sorted errors).
    long double max_ulp = 0, median_ulp = 0;
    long double scaled_ulp = 0;         // max |x_i - r_i| / ulp(max_j |r_j|)
    long double normwise_relative = 0;  // ||x - r||_2 / ||r||_2 (0 when x = r, also for r = 0)
    std::size_t worst_elementwise = 0;  // index of max_ulp, the first of ties
    std::size_t worst_absolute = 0;     // index of max_abs_error (and scaled_ulp), the first of ties

    // How many entries are more than `tolerance_ulp` ULPs off, elementwise or
    // tensor-scaled: an error of exactly the tolerance is within it. Decided
    // on the exact errors, so an entry a hair beyond counts even when the
    // rounded max_ulp or scaled_ulp equals the tolerance. O(count) per call.
    std::size_t beyond_elementwise(long double tolerance_ulp) const;
    std::size_t beyond_scaled(long double tolerance_ulp) const;

    friend tensor_comparison compare_tensor(std::span<const double> x, std::span<const mp_float> reference,
                                            const probe::ulp_scale& dtype);

private:
    // Each entry's elementwise and scaled ULP errors rounded up to long
    // double: one exceeds a long double t exactly when the exact error does.
    std::vector<long double> elementwise_rounded_up_, scaled_rounded_up_;
};

// x against the reference, ULPs on the grid `dtype`. Throws
// std::invalid_argument when the sizes differ.
tensor_comparison compare_tensor(std::span<const double> x, std::span<const mp_float> reference,
                                 const probe::ulp_scale& dtype);

// The loss's error, |x - r| / ulp(r) on the grid `dtype`: compare_tensor's
// max_ulp for one element.
long double loss_ulp_error(double x, const mp_float& reference, const probe::ulp_scale& dtype);

}  // namespace gradlab::validate
