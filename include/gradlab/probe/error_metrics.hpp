#pragma once
// How far a precision's tensor x lies from a high-precision reference r
// (DESIGN.md, "Instrumentation": drift and local error): relative error,
// max and median ULP error in the precision's own format, cosine similarity.
//
// ULP error of element i: |x_i - r_i| / ulp(r_i), with ulp(r) =
// 2^(max(floor(log2 |r|), emin) - p + 1) in the lane's own format (p, emin):
// the spacing of that format's values at r, beyond its largest binade too.
// Without emin (mp: MPFR has no subnormals) the binade is r's own, and
// r = 0 has no ulp: x = 0 is 0 ULP off, any other x +Inf. With emin, ulp(0)
// is the smallest subnormal spacing 2^(emin - p + 1). ±0 are equal.
// Non-finite elements: equal infinities, or NaN against NaN, are 0 ULP off;
// any other pair with a NaN or Inf is +Inf ULP off.
//
// Arithmetic: x_i - r_i is computed in MPFR at max(bits of x, bits of r) + 2
// bits: exactly when x_i lies within a factor 2 of r_i (Sterbenz), else with
// relative error below 2^-(that precision), and divided by ulp(r_i) exactly
// (a power of two). The sums (norms, dot product) round each term to 128
// bits: long double's 64 and 64 guard bits, of which n terms cost log2 n.
// The elements of each span share one precision (that of its first element).

#include <cstddef>
#include <optional>
#include <span>

#include "gradlab/scalar/conversions.hpp"
#include "gradlab/scalar/precision.hpp"

namespace gradlab::probe {

// The grid of a precision's own format.
struct ulp_scale {
    int precision = 53;             // p: significand bits, the implicit bit included
    std::optional<int> emin = -1022;  // exponent of the smallest normal binade; none for mp
};

// fp32 24/-126, fp64 53/-1022, f128 113/-16382, mp<bits> bits/none, an
// emulated format its p and emin (loss scaling, accumulation and master
// weights change nothing: the values are the format's).
ulp_scale ulp_scale_of(const precision& p);

struct error_metrics {
    std::size_t count = 0;
    // ||d||_2 / ||r||_2 over the differences d_i = x_i - r_i, where an element
    // 0 ULP off counts d_i = 0 and any other non-finite pair d_i = +Inf, and
    // over the finite r_i: never NaN. 0 when every d_i is 0 (also for r = 0),
    // +Inf when some d_i is not but ||r||_2 is 0.
    long double relative_error = 0;
    // The two norms of relative_error, each rounded to long double (beyond
    // its range: +Inf; the ratio above is taken before rounding).
    long double error_norm = 0, reference_norm = 0;
    // Elements the reference has nonzero (a number) and x has ±0: underflow.
    std::size_t flushed = 0;
    long double max_ulp = 0;     // 0 when count is 0
    // The lower median (element (count - 1) / 2 of the sorted ULP errors): a
    // value that occurs, never the mean of two. 0 when count is 0.
    long double median_ulp = 0;
    // <x, r> / (||x||_2 ||r||_2); NaN when either norm is 0 or an element of
    // x or r is NaN or Inf.
    long double cosine = 0;
    std::size_t worst_index = 0;  // the first element of max_ulp; 0 when count is 0
};

// The error of x against the reference r, x's ULPs on the grid `own`
// (ulp_scale_of the lane's precision). Throws std::invalid_argument when the
// sizes differ. Allocates nothing after a thread's first call of the largest
// size and widest precision.
error_metrics compare(std::span<const float> x, std::span<const mp_float> reference, const ulp_scale& own);
error_metrics compare(std::span<const double> x, std::span<const mp_float> reference, const ulp_scale& own);
error_metrics compare(std::span<const float128> x, std::span<const mp_float> reference, const ulp_scale& own);
error_metrics compare(std::span<const mp_float> x, std::span<const mp_float> reference, const ulp_scale& own);

}  // namespace gradlab::probe
