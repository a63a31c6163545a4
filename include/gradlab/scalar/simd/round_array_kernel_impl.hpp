#pragma once
// Definition of the SIMD rounding kernel: included only by the per-ISA
// translation units that instantiate it (see round_array_kernel.hpp).

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include <xsimd/xsimd.hpp>

#include "gradlab/scalar/simd/round_array_kernel.hpp"

namespace gradlab::simd {

namespace detail {

template <class Arch, rounding_mode Mode, class T>
inline xsimd::batch<typename ieee_layout<T>::bits, Arch> round_lanes(
    xsimd::batch<typename ieee_layout<T>::bits, Arch> x, xsimd::batch<typename ieee_layout<T>::bits, Arch> random31,
    const rounding_constants<T>& k) {
    using I = typename ieee_layout<T>::bits;
    using B = xsimd::batch<I, Arch>;
    constexpr int W = ieee_layout<T>::width;
    constexpr int F = ieee_layout<T>::fraction_bits;
    const B zero(I{0}), one(I{1});
    const B sign_mask(static_cast<I>(I{1} << (W - 1)));
    const B sign = x & sign_mask;
    const B a = x & ~sign_mask;
    const B exponent = a >> F;
    const B deficit = xsimd::max(B(k.emin_biased) - xsimd::max(exponent, one), zero);
    const B s = B(k.base_shift) + deficit;
    const B s_clamped = xsimd::min(s, B(I{W - 2}));  // equals s except in tiny lanes
    const auto tiny = a < B(k.min_subnormal);
    const B fraction_mask(static_cast<I>((I{1} << F) - 1));
    const B significand = (a & fraction_mask) | xsimd::select(exponent > zero, B(static_cast<I>(I{1} << F)), zero);
    const B mask = (one << s_clamped) - one;
    const B truncated = a & ~mask;
    // The discarded bits N, worth N / 2^s of one step of the result grid.
    const B discarded = xsimd::select(tiny, significand, a & mask);

    xsimd::batch_bool<I, Arch> up;
    if constexpr (Mode == rounding_mode::nearest_even) {
        const B half = one << (s_clamped - one);
        // bit s of the significand, the implicit bit included (it is the kept
        // lsb when s = F, deep in the format's subnormal range)
        const B kept_lsb = xsimd::select(tiny, zero, (significand >> s_clamped) & one);
        up = (discarded > half) | ((discarded == half) & (kept_lsb == one));
    } else if constexpr (Mode == rounding_mode::toward_zero) {
        up = xsimd::batch_bool<I, Arch>(false);
    } else if constexpr (Mode == rounding_mode::upward) {
        up = (discarded != zero) & (sign == zero);
    } else if constexpr (Mode == rounding_mode::downward) {
        up = (discarded != zero) & (sign != zero);
    } else {
        // ceil(N / 2^s * 2^31) > 2^31 - 1 - r31, as round_to_format() defines it.
        const B thirty_one(I{31});
        const B left = discarded << xsimd::max(thirty_one - s, zero);
        const B down_shift = xsimd::min(xsimd::max(s - thirty_one, zero), B(I{W - 2}));
        const B right = (discarded + (one << down_shift) - one) >> down_shift;
        const B scaled = xsimd::select(s <= thirty_one, left, right);
        up = scaled > (B(I{0x7fffffff}) - random31);
    }

    B result = xsimd::select(tiny, xsimd::select(up, B(k.min_subnormal), zero),
                             truncated + xsimd::select(up, mask + one, zero));

    xsimd::batch_bool<I, Arch> away;
    if constexpr (Mode == rounding_mode::nearest_even) away = xsimd::batch_bool<I, Arch>(true);
    else if constexpr (Mode == rounding_mode::toward_zero) away = xsimd::batch_bool<I, Arch>(false);
    else if constexpr (Mode == rounding_mode::upward) away = sign == zero;
    else if constexpr (Mode == rounding_mode::downward) away = sign != zero;
    else away = up | (truncated > B(k.max_finite));
    result = xsimd::select(result > B(k.max_finite), xsimd::select(away, B(k.overflow), B(k.max_finite)), result);
    if (k.flush_subnormals) result = xsimd::select(result < B(k.min_normal), zero, result);

    const B infinity_bits(static_cast<I>(((I{1} << (W - F - 1)) - 1) << F));
    result = xsimd::select(a == infinity_bits, B(k.infinity), result);
    result = xsimd::select(a > infinity_bits, B(k.nan), result | sign);
    return result;
}

// The fast path for a batch whose lanes are all normal in the format and
// below its top binade (the common case in training): one constant shift s =
// F + 1 - p, no subnormal, overflow or special lanes. A carry can reach the
// top binade but not past it.
template <class Arch, rounding_mode Mode, class T>
inline xsimd::batch<typename ieee_layout<T>::bits, Arch> round_normal_lanes(
    xsimd::batch<typename ieee_layout<T>::bits, Arch> x, xsimd::batch<typename ieee_layout<T>::bits, Arch> random31,
    int s) {
    using I = typename ieee_layout<T>::bits;
    using B = xsimd::batch<I, Arch>;
    constexpr int W = ieee_layout<T>::width;
    const B sign_mask(static_cast<I>(I{1} << (W - 1)));
    const B sign = x & sign_mask;
    const B a = x & ~sign_mask;
    const B mask(static_cast<I>((I{1} << s) - 1));
    B increment;
    if constexpr (Mode == rounding_mode::nearest_even) increment = (mask >> 1) + ((a >> s) & B(I{1}));
    else if constexpr (Mode == rounding_mode::toward_zero) increment = B(I{0});
    else if constexpr (Mode == rounding_mode::upward) increment = xsimd::select(sign == B(I{0}), mask, B(I{0}));
    else if constexpr (Mode == rounding_mode::downward) increment = xsimd::select(sign != B(I{0}), mask, B(I{0}));
    else increment = random31 >> (31 - s);  // rounds up iff discarded + top s random bits >= 2^s
    return ((a + increment) & ~mask) | sign;
}

// The 31 random bits stochastic rounding uses per lane: sr_stream::bits() >> 1.
template <class Arch, class T>
inline xsimd::batch<typename ieee_layout<T>::bits, Arch> random_lanes(const sr_stream& sr, std::uint64_t index) {
    using I = typename ieee_layout<T>::bits;
    using B = xsimd::batch<I, Arch>;
    constexpr std::size_t L = B::size;
    if constexpr (sizeof(I) == 4) {
        // Vectorized when the batch does not cross a multiple of 2^32, so
        // high_key() is the same for every lane.
        if ((index >> 32) == ((index + L - 1) >> 32)) {
            using U = xsimd::batch<std::uint32_t, Arch>;
            const auto mix = [](U v) {
                v ^= v >> 16;
                v *= U(0x7feb352dU);
                v ^= v >> 15;
                v *= U(0x846ca68bU);
                v ^= v >> 16;
                return v;
            };
            alignas(64) std::uint32_t offsets[L];
            for (std::size_t lane = 0; lane < L; ++lane) offsets[lane] = static_cast<std::uint32_t>(lane);
            const U low = U(static_cast<std::uint32_t>(index)) + U::load_aligned(offsets);
            const U bits = mix(mix(low ^ U(sr.high_key(index))) + U(static_cast<std::uint32_t>(sr.mixed_key() >> 32)));
            return xsimd::bitwise_cast<B>(bits >> 1);
        }
    }
    alignas(64) I values[L];
    for (std::size_t lane = 0; lane < L; ++lane) values[lane] = static_cast<I>(sr.bits(index + lane) >> 1);
    return B::load_aligned(values);
}

}  // namespace detail

template <class Arch, class T, rounding_mode Mode>
// k is taken by value: stores through `out` may alias anything, so constants
// read through a reference would be reloaded and re-broadcast every batch.
void round_array_loop(const T* in, T* out, std::size_t n, const rounding_constants<T> k, const sr_stream& sr) {
    using I = typename ieee_layout<T>::bits;
    using B = xsimd::batch<I, Arch>;
    using BT = xsimd::batch<T, Arch>;
    constexpr std::size_t L = B::size;
    const int normal_shift = static_cast<int>(k.base_shift);
    // The fast path's stochastic rounding takes its s random bits from 31.
    const bool fast_path = Mode != rounding_mode::stochastic || normal_shift <= 31;
    const B lowest_normal(k.emin_biased), top_binade(k.emax_biased);
    const auto lanes = [&](const T* from, T* to, std::size_t i) {
        B random31(I{0});
        if constexpr (Mode == rounding_mode::stochastic) random31 = detail::random_lanes<Arch, T>(sr, sr.offset + i);
        const B bits = xsimd::bitwise_cast<B>(BT::load_unaligned(from));
        const B exponent = (bits >> ieee_layout<T>::fraction_bits) & B(I{(1 << (ieee_layout<T>::width - ieee_layout<T>::fraction_bits - 1)) - 1});
        const B rounded = fast_path && xsimd::all((exponent >= lowest_normal) & (exponent < top_binade))
                              ? detail::round_normal_lanes<Arch, Mode, T>(bits, random31, normal_shift)
                              : detail::round_lanes<Arch, Mode, T>(bits, random31, k);
        xsimd::bitwise_cast<BT>(rounded).store_unaligned(to);
    };
    std::size_t i = 0;
    for (; i + L <= n; i += L) lanes(in + i, out + i, i);
    if (i < n) {  // the tail, through a zero-padded batch
        alignas(64) T buffer[L] = {};
        std::copy(in + i, in + n, buffer);
        lanes(buffer, buffer, i);
        std::copy(buffer, buffer + (n - i), out + i);
    }
}

template <class Arch, class T>
void round_array_kernel(const T* in, T* out, std::size_t n, const rounding_constants<T>& k, rounding_mode mode,
                        const sr_stream& sr) {
    switch (mode) {
        case rounding_mode::nearest_even:
            return round_array_loop<Arch, T, rounding_mode::nearest_even>(in, out, n, k, sr);
        case rounding_mode::toward_zero: return round_array_loop<Arch, T, rounding_mode::toward_zero>(in, out, n, k, sr);
        case rounding_mode::upward: return round_array_loop<Arch, T, rounding_mode::upward>(in, out, n, k, sr);
        case rounding_mode::downward: return round_array_loop<Arch, T, rounding_mode::downward>(in, out, n, k, sr);
        case rounding_mode::stochastic: return round_array_loop<Arch, T, rounding_mode::stochastic>(in, out, n, k, sr);
    }
}

}  // namespace gradlab::simd

// Instantiated per instruction set in src/scalar/simd/round_array_<isa>.cpp.
#define GRADLAB_INSTANTIATE_ROUND_ARRAY(ARCH)                                                              \
    template void gradlab::simd::round_array_kernel<ARCH, float>(const float*, float*, std::size_t,       \
                                                                 const rounding_constants<float>&,        \
                                                                 rounding_mode, const sr_stream&);        \
    template void gradlab::simd::round_array_kernel<ARCH, double>(const double*, double*, std::size_t,    \
                                                                  const rounding_constants<double>&,      \
                                                                  rounding_mode, const sr_stream&);
