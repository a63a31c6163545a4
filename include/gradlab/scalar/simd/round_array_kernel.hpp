#pragma once
// The SIMD kernel behind round_array() (declaration; the definition is in
// round_array_kernel_impl.hpp): rounds float or double lanes to a
// float_format by integer operations on their IEEE encodings. Compiled once
// per instruction set (src/scalar/simd/round_array_<isa>.cpp); everything
// else about rounding is portable code.
//
// For |x| at least the format's smallest subnormal g, the result keeps the top
// bits of x's encoding and drops the low s bits,
//
//     encoding of x:  [sign][ exponent E ][ fraction .......|.. s bits ..]
//     s = (F + 1 - p) + max(0, emin_biased - max(E, 1))
//
// (F = 23 or 52 fraction bits, p the format's precision; the second term
// widens the cut in the format's subnormal range). Rounding up adds one unit at
// bit s; a carry out of the fraction moves into the exponent, which is the
// right value, Inf included. Below g the result is 0 or g. Every lane value is
// kept below 2^(W-1), so signed compares serve for unsigned quantities.

#include <cstddef>
#include <cstdint>

#include "gradlab/scalar/round_to_format.hpp"

namespace gradlab::simd {

template <class T>
struct ieee_layout;
template <>
struct ieee_layout<float> {
    using bits = std::int32_t;
    static constexpr int width = 32, fraction_bits = 23;
};
template <>
struct ieee_layout<double> {
    using bits = std::int64_t;
    static constexpr int width = 64, fraction_bits = 52;
};

// Everything the kernel needs from the format, as encodings of T.
template <class T>
struct rounding_constants {
    using I = typename ieee_layout<T>::bits;
    I base_shift;         // F + 1 - p: bits dropped from a normal value
    I emin_biased;        // the format's emin in T's exponent bias
    I emax_biased;        // the format's emax in T's exponent bias
    I min_subnormal;      // encoding of g, the format's smallest subnormal
    I min_normal;         // encoding of 2^emin
    I max_finite;         // encoding of the largest finite value
    I overflow;           // what overflow becomes: Inf, NaN or max (magnitude)
    I infinity;           // what T's own ±Inf becomes (magnitude)
    I nan;                // T's canonical quiet NaN
    bool flush_subnormals;
};

// The constants of `format` for lanes of T (float or double); defined with
// round_array(), in src/scalar/round_array.cpp.
template <class T>
rounding_constants<T> rounding_constants_for(const float_format& format);

// out[i] = in[i] rounded to the format; in and out may be the same array.
// Requires p <= F (the format is strictly narrower than T) and, for float,
// every value of the format to be a binary32 value.
template <class Arch, class T>
void round_array_kernel(const T* in, T* out, std::size_t n, const rounding_constants<T>& k, rounding_mode mode,
                        const sr_stream& sr);

}  // namespace gradlab::simd
