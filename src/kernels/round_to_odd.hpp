#pragma once
// The exact sum of two doubles, kept in one double without losing what a
// later rounding needs: the scalar step of the emulated sums (reductions and
// the GEMM's scalar reference path).

#include <bit>
#include <cmath>
#include <cstdint>

#include "gradlab/scalar/rounding_mode.hpp"

namespace gradlab::kernels_detail {

// x + y rounded to odd in binary64: the exact sum when it is a double, else
// whichever of the two doubles around it has an odd last bit. A second
// rounding of that to p <= 51 bits is then correct in every mode (Boldo and
// Melquiond, "When double rounding is odd", 2005); exact in particular for
// sums of floats and of products of two floats. An exact zero is signed as
// IEEE 754 adds in `mode`: -0 rounding downward when either term is -0 or the
// terms cancel, else +0 unless both are -0.
inline double add_round_to_odd(double x, double y, rounding_mode mode) {
    const double s = x + y;
    if (s == 0 && mode == rounding_mode::downward) return std::signbit(x) || std::signbit(y) ? -0.0 : 0.0;
    // Knuth's TwoSum: s + e == x + y exactly.
    const double y_part = s - x;
    const double e = (x - (s - y_part)) + (y - y_part);
    if (!(std::fabs(e) > 0)) return s;  // exact, or s is Inf or NaN
    // Truncate toward zero (one encoding down when s overshoots), then set
    // the last bit: the odd one of the two neighbours of x + y.
    const std::uint64_t truncated = std::bit_cast<std::uint64_t>(s) - (std::signbit(e) != std::signbit(s) ? 1 : 0);
    return std::bit_cast<double>(truncated | 1);
}

}  // namespace gradlab::kernels_detail
