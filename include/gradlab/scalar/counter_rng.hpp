#pragma once
// A seeded counter-based generator: Philox4x32-10 (Salmon, Moraes, Dror, Shaw,
// "Parallel random numbers: as easy as 1, 2, 3", SC'11), and uniform and normal
// variates from it in MPFR precision. Variate i is a pure function of
// (seed, stream, i, the output's precision): no state, so any thread may draw
// any variate in any order and the numbers never depend on the thread count.
//
// The mapping below is a promise: results must stay reproducible forever.
//
//   key      = { lo32(seed), hi32(seed) }
//   block(n) = philox4x32_10(counter = { lo32(n), hi32(n), lo32(stream), hi32(stream) }, key)
//
//   Word w (w = 0, 1, 2, ...) of slot i (i < 2^48) is block(i + floor(w/4) * 2^48)[w mod 4],
//   so the first 128 bits of slot i are block(i) and a slot holds up to 2^18 words.
//
//   uniform(i) at precision p: the first p bits of slot i, word 0 first, most
//   significant bit first, read as k; the value is k * 2^-p, exact. It lies in
//   [0, 1 - 2^-p]: [0, 1) rather than (0, 1) because (k + 1/2) * 2^-p needs
//   p + 1 bits and could not be stored without rounding. A p-bit uniform is the
//   truncation of every wider one.
//
//   normal(i) at precision p, by Box-Muller: with j = i rounded down to even,
//   q = 128 * ceil((p + 32) / 128) and a, b the q-bit uniforms of slots j and j + 1,
//     normal(j)     = sqrt(-2 ln(1 - a)) * cos(2 pi b)
//     normal(j + 1) = sqrt(-2 ln(1 - a)) * sin(2 pi b)
//   correctly rounded to p bits (round to nearest even; an exact zero is +0).
//   1 - a lies in (0, 1], so the logarithm is finite; every p with the same q
//   rounds the same real number: the exact one, with the true pi (the code
//   works with a rounded pi at as many bits as correct rounding needs).
//
// uniform(i) and normal(i) of one stream share bits: draw them from different
// streams (or disjoint index ranges) when they must be independent.

#include <array>
#include <cstdint>
#include <span>

#include <boost/multiprecision/mpfr.hpp>
#include <mpfr.h>

namespace gradlab {

class counter_rng {
public:
    // Slot indices and precisions beyond these throw std::out_of_range.
    static constexpr std::uint64_t max_index = std::uint64_t{1} << 48;  // exclusive
    static constexpr long max_bits = 128L << 16;                          // bits of one slot

    explicit counter_rng(std::uint64_t seed, std::uint64_t stream = 0) : seed_(seed), stream_(stream) {}

    std::uint64_t seed() const { return seed_; }
    std::uint64_t stream() const { return stream_; }

    // The four 32-bit Philox4x32-10 words for counter `index` of this stream.
    std::array<std::uint32_t, 4> block(std::uint64_t index) const;

    // Sets `out` to uniform variate `index` in [0, 1), at out's precision, exactly.
    void uniform(mpfr_ptr out, std::uint64_t index) const;

    // Sets `out` to standard normal variate `index`, correctly rounded to out's precision.
    void normal(mpfr_ptr out, std::uint64_t index) const;

    // out[e] = offset + scale * uniform(first + e), one rounding (a fused
    // multiply-add) at out[e]'s own precision; OpenMP-parallel.
    void fill_uniform(std::span<boost::multiprecision::mpfr_float> out, std::uint64_t first,
                      const boost::multiprecision::mpfr_float& scale = 1,
                      const boost::multiprecision::mpfr_float& offset = 0) const;

    // out[e] = offset + scale * normal(first + e): normal() rounded to out[e]'s
    // precision p, then the fused multiply-add; two roundings, so the relative
    // error is below 2^(1-p) when offset is 0. Bitwise normal() when scale is 1
    // and offset 0. OpenMP-parallel.
    void fill_normal(std::span<boost::multiprecision::mpfr_float> out, std::uint64_t first,
                     const boost::multiprecision::mpfr_float& scale = 1,
                     const boost::multiprecision::mpfr_float& offset = 0) const;

private:
    void slot_bits(mpfr_ptr out, std::uint64_t slot, long bits) const;

    std::uint64_t seed_;
    std::uint64_t stream_;
};

}  // namespace gradlab
