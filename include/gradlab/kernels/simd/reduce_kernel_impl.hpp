#pragma once
// Definitions of the SIMD reduction kernels: included only by the per-ISA
// translation units that instantiate them (see reduce_kernel.hpp). A block's
// L lanes live in L / W batches of W lanes; the tail of a block goes through
// one padded group of batches, padded with a value that changes nothing.
//
// NaN tests use xsimd::isnan, never a != a: xsimd 8.1's != is an unordered
// compare on SSE2 (true for NaN) but an ordered one on AVX and AVX-512 (false).
//
// Everything here is templated on Arch, helpers included, so the AVX2 and
// AVX-512 libraries define only symbols that name their instruction set
// (tests/build/isa_libraries_define_only_isa_specific_symbols.sh); for the
// same reason no std:: algorithm is called.

#include <cmath>
#include <cstddef>
#include <limits>
#include <type_traits>

#include <xsimd/xsimd.hpp>

#include "gradlab/kernels/simd/reduce_kernel.hpp"

namespace gradlab::simd {

namespace reduce_detail {

// The fused multiply-add instruction this translation unit can name for Arch.
enum class fused_instruction { none, avx2, avx512 };

template <class Arch>
constexpr fused_instruction fused_instruction_for() {
#if defined(__AVX512F__)
    if (std::is_base_of_v<xsimd::avx512f, Arch>) return fused_instruction::avx512;
#endif
#if defined(__AVX2__) && defined(__FMA__)
    if (std::is_base_of_v<xsimd::avx2, Arch>) return fused_instruction::avx2;
#endif
    return fused_instruction::none;
}

// a * b + c rounded once, on every instruction set. xsimd 8.1's fma is
// a * b + c written out for AVX-512 (and for AVX2 unless the arch is
// fma3<avx2>), which GCC may or may not contract into one instruction: the
// sum of squares would then differ between instruction sets. So the fused
// instruction is named here, and instruction sets without one round each
// lane with std::fma (correctly rounded; glibc uses the CPU's FMA if any).
template <class Arch, class T>
inline xsimd::batch<T, Arch> fused_multiply_add(xsimd::batch<T, Arch> a, xsimd::batch<T, Arch> b,
                                                xsimd::batch<T, Arch> c) {
    if constexpr (fused_instruction_for<Arch>() == fused_instruction::avx512) {
        if constexpr (std::is_same_v<T, float>) return _mm512_fmadd_ps(a, b, c);
        else return _mm512_fmadd_pd(a, b, c);
    } else if constexpr (fused_instruction_for<Arch>() == fused_instruction::avx2) {
        if constexpr (std::is_same_v<T, float>) return _mm256_fmadd_ps(a, b, c);
        else return _mm256_fmadd_pd(a, b, c);
    } else {
        constexpr std::size_t W = xsimd::batch<T, Arch>::size;
        alignas(64) T va[W], vb[W], vc[W];
        a.store_aligned(va);
        b.store_aligned(vb);
        c.store_aligned(vc);
        for (std::size_t l = 0; l < W; ++l) vc[l] = std::fma(va[l], vb[l], vc[l]);
        return xsimd::batch<T, Arch>::load_aligned(vc);
    }
}

// Runs step(p, r) for r = 0 .. L/W - 1 on each group of L elements, p
// pointing at the W elements of batch r; the last, partial group is copied
// into a buffer padded with `pad`.
template <class Arch, class T, class Step>
inline void for_each_lane_group(const T* x, std::size_t n, T pad, Step step) {
    constexpr std::size_t W = xsimd::batch<T, Arch>::size;
    static_assert(reduce_lanes % W == 0, "a batch must hold whole lanes");
    std::size_t i = 0;
    for (; i + reduce_lanes <= n; i += reduce_lanes)
        for (std::size_t r = 0; r < reduce_lanes / W; ++r) step(x + i + r * W, r);
    if (i < n) {
        alignas(64) T tail[reduce_lanes];
        for (std::size_t l = 0; l < reduce_lanes; ++l) tail[l] = i + l < n ? x[i + l] : pad;
        for (std::size_t r = 0; r < reduce_lanes / W; ++r) step(tail + r * W, r);
    }
}

}  // namespace reduce_detail

template <class Arch, class T>
void sum_lanes(const T* x, std::size_t n, T* lanes) {
    using B = xsimd::batch<T, Arch>;
    constexpr std::size_t R = reduce_lanes / B::size;
    B acc[R];
    for (auto& a : acc) a = B(T(0));
    // Padding adds +0, which leaves a lane unchanged (a lane that starts at +0 is never -0).
    reduce_detail::for_each_lane_group<Arch>(x, n, T(0),
                                             [&](const T* p, std::size_t r) { acc[r] += B::load_unaligned(p); });
    for (std::size_t r = 0; r < R; ++r) acc[r].store_unaligned(lanes + r * B::size);
}

template <class Arch, class T>
void sum_squares_lanes(const T* x, std::size_t n, const norm_scaling<T> k, squares_lanes<T>& lanes) {
    using B = xsimd::batch<T, Arch>;
    constexpr std::size_t R = reduce_lanes / B::size;
    const B zero(T(0)), one(T(1));
    const B small_threshold(k.small_threshold), big_threshold(k.big_threshold);
    const B small_scale(k.small_scale), big_scale(k.big_scale);
    B big[R], mid[R], small[R];
    for (std::size_t r = 0; r < R; ++r) big[r] = mid[r] = small[r] = zero;
    // fma(0, 0, lane) leaves a lane unchanged, so an element adds to exactly
    // one of the three sums whichever branch it takes; padding with 0 adds nothing.
    reduce_detail::for_each_lane_group<Arch>(x, n, T(0), [&](const T* p, std::size_t r) {
        const B a = xsimd::abs(B::load_unaligned(p));
        const auto is_big = a > big_threshold;
        const auto is_small = a < small_threshold;  // NaN is neither: it lands in mid
        if (!xsimd::any(is_big | is_small)) {       // the common case: nothing to scale
            mid[r] = reduce_detail::fused_multiply_add(a, a, mid[r]);
            return;
        }
        const B scaled = a * xsimd::select(is_big, big_scale, xsimd::select(is_small, small_scale, one));
        const B b = xsimd::select(is_big, scaled, zero), s = xsimd::select(is_small, scaled, zero);
        const B m = xsimd::select(is_big | is_small, zero, scaled);
        big[r] = reduce_detail::fused_multiply_add(b, b, big[r]);
        mid[r] = reduce_detail::fused_multiply_add(m, m, mid[r]);
        small[r] = reduce_detail::fused_multiply_add(s, s, small[r]);
    });
    for (std::size_t r = 0; r < R; ++r) {
        big[r].store_aligned(lanes.big + r * B::size);
        mid[r].store_aligned(lanes.mid + r * B::size);
        small[r].store_aligned(lanes.small + r * B::size);
    }
}

template <class Arch, class T>
T max_abs_block(const T* x, std::size_t n) {
    using B = xsimd::batch<T, Arch>;
    constexpr std::size_t R = reduce_lanes / B::size;
    const B zero(T(0));
    B acc[R];
    for (auto& a : acc) a = zero;
    reduce_detail::for_each_lane_group<Arch>(x, n, T(0), [&](const T* p, std::size_t r) {
        const B a = xsimd::abs(B::load_unaligned(p));
        acc[r] = xsimd::max(acc[r], xsimd::select(xsimd::isnan(a), zero, a));  // NaN counts as 0
    });
    alignas(64) T lanes[reduce_lanes];
    for (std::size_t r = 0; r < R; ++r) acc[r].store_aligned(lanes + r * B::size);
    T result = 0;
    for (T v : lanes) result = v > result ? v : result;
    return result;
}

template <class Arch, class T>
T min_nonzero_abs_block(const T* x, std::size_t n) {
    using B = xsimd::batch<T, Arch>;
    constexpr std::size_t R = reduce_lanes / B::size;
    constexpr T inf = std::numeric_limits<T>::infinity();
    const B none(inf);
    B acc[R];
    for (auto& a : acc) a = none;
    reduce_detail::for_each_lane_group<Arch>(x, n, inf, [&](const T* p, std::size_t r) {
        const B a = xsimd::abs(B::load_unaligned(p));
        acc[r] = xsimd::min(acc[r], xsimd::select((a == B(T(0))) | xsimd::isnan(a), none, a));  // 0 and NaN count as +Inf
    });
    alignas(64) T lanes[reduce_lanes];
    for (std::size_t r = 0; r < R; ++r) acc[r].store_aligned(lanes + r * B::size);
    T result = inf;
    for (T v : lanes) result = v < result ? v : result;
    return result;
}

template <class Arch, class T>
value_census census_block(const T* x, std::size_t n, const T min_normal) {
    using B = xsimd::batch<T, Arch>;
    constexpr std::size_t R = reduce_lanes / B::size;
    const B zero(T(0)), one(T(1)), inf(std::numeric_limits<T>::infinity()), threshold(min_normal);
    // Counts per lane in T: a lane counts at most reduce_block_size / L = 128
    // elements of a block, far below 2^24, so float holds them exactly.
    B zeros[R], subnormals[R], nans[R], infinities[R];
    for (std::size_t r = 0; r < R; ++r) zeros[r] = subnormals[r] = nans[r] = infinities[r] = zero;
    const T nan = std::numeric_limits<T>::quiet_NaN();
    reduce_detail::for_each_lane_group<Arch>(x, n, nan, [&](const T* p, std::size_t r) {
        const B a = xsimd::abs(B::load_unaligned(p));
        zeros[r] += xsimd::select(a == zero, one, zero);
        subnormals[r] += xsimd::select((a > zero) & (a < threshold), one, zero);
        nans[r] += xsimd::select(xsimd::isnan(a), one, zero);
        infinities[r] += xsimd::select(a == inf, one, zero);
    });
    const auto total = [](const B* counts) {
        alignas(64) T lanes[reduce_lanes];
        for (std::size_t r = 0; r < R; ++r) counts[r].store_aligned(lanes + r * B::size);
        std::size_t sum = 0;
        for (T v : lanes) sum += static_cast<std::size_t>(v);
        return sum;
    };
    value_census census;
    census.count = n;
    census.zeros = total(zeros);
    census.subnormals = total(subnormals);
    census.nans = total(nans) - (n % reduce_lanes == 0 ? 0 : reduce_lanes - n % reduce_lanes);  // less the NaN padding
    census.infinities = total(infinities);
    return census;
}

}  // namespace gradlab::simd

// Instantiated per instruction set in src/kernels/simd/reduce_<isa>.cpp.
#define GRADLAB_INSTANTIATE_REDUCE_FOR(ARCH, T)                                                                   \
    template void gradlab::simd::sum_lanes<ARCH, T>(const T*, std::size_t, T*);                                  \
    template void gradlab::simd::sum_squares_lanes<ARCH, T>(const T*, std::size_t, norm_scaling<T>,              \
                                                            squares_lanes<T>&);                                  \
    template T gradlab::simd::max_abs_block<ARCH, T>(const T*, std::size_t);                                     \
    template T gradlab::simd::min_nonzero_abs_block<ARCH, T>(const T*, std::size_t);                             \
    template gradlab::value_census gradlab::simd::census_block<ARCH, T>(const T*, std::size_t, T);
#define GRADLAB_INSTANTIATE_REDUCE(ARCH)         \
    GRADLAB_INSTANTIATE_REDUCE_FOR(ARCH, float) \
    GRADLAB_INSTANTIATE_REDUCE_FOR(ARCH, double)
