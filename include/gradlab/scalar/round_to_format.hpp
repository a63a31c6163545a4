#pragma once
// Correct rounding of one value to a float_format: the scalar reference that
// the SIMD array path (round_array.hpp) must match bit for bit.
//
// Every input type is first unpacked exactly into (sign, exponent, a 64-bit
// significand, a sticky bit); one routine then rounds that to the format. The
// sticky bit makes the unpacking of wide inputs (binary128, MPFR) a round to
// odd, which loses nothing for targets of at most 62 bits, so an mp value is
// rounded once, directly, never through double.

#include <cstdint>

#include <concepts>

#include <boost/multiprecision/float128.hpp>
#include <mpfr.h>

#include "gradlab/scalar/float_format.hpp"
#include "gradlab/scalar/rounding_mode.hpp"

namespace gradlab {

// Magnitude = significand * 2^exponent (+ a little more when sticky);
// significand has bit 63 set unless the value is zero.
struct unpacked_value {
    bool negative = false;
    bool is_nan = false;
    bool is_infinite = false;
    std::int64_t exponent = 0;
    std::uint64_t significand = 0;
    bool sticky = false;
};

unpacked_value unpack(double x);
unpacked_value unpack(mpfr_srcptr x);
unpacked_value unpack_binary128(boost::multiprecision::float128 x);
// Constrained, so that overload resolution for an mpfr_srcptr never tries
// float128's converting constructor (which, before Boost's MPFR header is
// included, would instantiate Boost traits too early).
template <std::same_as<boost::multiprecision::float128> F>
unpacked_value unpack(F x) {
    return unpack_binary128(x);
}

// Stochastic rounding rounds away from zero iff ceil(f * 2^31) + r >= 2^31,
// with r = random >> 1 and f in [0, 1) the exact discarded fraction of an ulp:
// the probability is f exactly whenever f is a multiple of 2^-31 (fp16 and bf16
// from float are, but for the very tiniest inputs), else within 2^-31 above it. 31 bits, not 32, keep
// every SIMD lane quantity signed-comparable. Other modes ignore `random`.
double round_to_format(const unpacked_value& x, const float_format& format, rounding_mode mode,
                       std::uint32_t random = 0);

inline double round_to_format(double x, const float_format& format, rounding_mode mode,
                              std::uint32_t random = 0) {
    return round_to_format(unpack(x), format, mode, random);
}
inline double round_to_format(float x, const float_format& format, rounding_mode mode,
                              std::uint32_t random = 0) {
    return round_to_format(unpack(static_cast<double>(x)), format, mode, random);
}
template <std::same_as<boost::multiprecision::float128> F>
double round_to_format(F x, const float_format& format, rounding_mode mode, std::uint32_t random = 0) {
    return round_to_format(unpack_binary128(x), format, mode, random);
}
inline double round_to_format(mpfr_srcptr x, const float_format& format, rounding_mode mode,
                              std::uint32_t random = 0) {
    return round_to_format(unpack(x), format, mode, random);
}

// The random bits stochastic rounding uses for element `index` of a stream:
// a counter-based hash of (key, index), so they depend on neither the thread
// count nor the vector width. The key is first spread over 64 bits by the
// SplitMix64 finaliser (so keys differing in a few bits give unrelated
// streams); then, with k = that mix, the hash is Wellons' "lowbias32" integer
// mixer applied as mix(mix(lo32(index) ^ mix(hi32(index) ^ lo32(k))) + hi32(k)).
struct sr_stream {
    std::uint64_t key = 0;     // derive one per tensor and step from the run's seed
    std::uint64_t offset = 0;  // index of the first element of the array

    static constexpr std::uint32_t mix(std::uint32_t v) {
        v ^= v >> 16;
        v *= 0x7feb352dU;
        v ^= v >> 15;
        v *= 0x846ca68bU;
        v ^= v >> 16;
        return v;
    }
    constexpr std::uint64_t mixed_key() const {
        std::uint64_t z = key + 0x9e3779b97f4a7c15ULL;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    constexpr std::uint32_t high_key(std::uint64_t index) const {
        return mix(static_cast<std::uint32_t>(index >> 32) ^ static_cast<std::uint32_t>(mixed_key()));
    }
    constexpr std::uint32_t bits(std::uint64_t index) const {
        return mix(mix(static_cast<std::uint32_t>(index) ^ high_key(index)) +
                   static_cast<std::uint32_t>(mixed_key() >> 32));
    }
};

}  // namespace gradlab
