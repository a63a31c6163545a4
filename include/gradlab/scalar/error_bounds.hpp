#pragma once
// The error bounds tolerances are derived from (STYLE.md, item 5): the unit
// roundoff u of a precision and a rounding mode, and gamma_k = k u / (1 - k u),
// the bound on |theta| in prod_{i=1..k} (1 + d_i) = 1 + theta for |d_i| <= u
// (Higham, "Accuracy and Stability of Numerical Algorithms", 2nd ed., Lemma
// 3.1): a dot product of length k, or a sum whose terms pass through at most k
// rounded additions, is within gamma_k sum |x_i y_i| (or sum |x_i|) of exact.
//
// No Boost or MPFR here: kernels/reduce_blocking.hpp, which SIMD translation
// units include, may use it. Per-type facts (significand bits, exponent range)
// are in scalar_traits.hpp.

#include <cmath>
#include <cstddef>
#include <limits>

#include "gradlab/scalar/precision.hpp"
#include "gradlab/scalar/rounding_mode.hpp"

namespace gradlab {

// u, the bound on the relative error |d| of one rounding to p significand
// bits: 2^-p to nearest, 2^(1-p) for the directed and the stochastic modes
// (either neighbour may be chosen). 0 when it is below double's range (mp of
// more than 1074 bits): derive such bounds in MPFR from the bits instead.
inline double unit_roundoff(int significand_bits, rounding_mode mode = rounding_mode::nearest_even) {
    return std::ldexp(1.0, (mode == rounding_mode::nearest_even ? 0 : 1) - significand_bits);
}

// u of a parsed precision, with its rounding mode ("bf16/sr": 2^-7).
inline double unit_roundoff(const precision& p) { return unit_roundoff(p.significand_bits(), p.rounding); }

// gamma_k = k u / (1 - k u), rounded up: never below the exact value. +Inf
// when k u >= 1, where the bound is vacuous (Lemma 3.1 needs k u < 1).
// u must be a power of two (every unit roundoff is), so that k u is exact for
// k < 2^53. The result is exact when gamma_k is a double (gamma(3, 0.25) is
// 3); otherwise it exceeds gamma_k by less than 2^-50 gamma_k.
inline double gamma(std::size_t k, double u) {
    const double ku = static_cast<double>(k) * u;
    if (!(ku < 1)) return std::numeric_limits<double>::infinity();
    const double d = 1 - ku;  // 1 - d is computed exactly, so it tells whether d is
    const double q = ku / d;  // fma(-q, d, ku) is the exact remainder of the division
    if (1 - d == ku && std::fma(-q, d, ku) == 0) return q;
    // Two roundings to nearest, each of relative error at most 2^-53 / (1 + 2^-53):
    // gamma_k <= q (1 + 2^-52) < q + 2 ulp(q).
    const double up = std::numeric_limits<double>::infinity();
    return std::nextafter(std::nextafter(q, up), up);
}

}  // namespace gradlab
