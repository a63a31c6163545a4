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
#include <cstdint>
#include <limits>
#include <type_traits>

#include <xsimd/xsimd.hpp>

#include "gradlab/kernels/simd/reduce_kernel.hpp"

namespace gradlab::simd {

namespace reduce_detail {

// The intrinsics this translation unit can name for Arch: AVX-512F, AVX2 with
// FMA, SSE2 (the 128-bit x86 baseline), or none (plain C++ instead).
enum class intrinsics { none, sse2, avx2, avx512 };

template <class Arch>
constexpr intrinsics intrinsics_for() {
#if defined(__AVX512F__)
    if (std::is_base_of_v<xsimd::avx512f, Arch>) return intrinsics::avx512;
#endif
#if defined(__AVX2__) && defined(__FMA__)
    if (std::is_base_of_v<xsimd::avx2, Arch>) return intrinsics::avx2;
#endif
#if defined(__SSE2__)
    if (std::is_base_of_v<xsimd::sse2, Arch> && !std::is_base_of_v<xsimd::avx, Arch>) return intrinsics::sse2;
#endif
    return intrinsics::none;
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
    if constexpr (intrinsics_for<Arch>() == intrinsics::avx512) {
        if constexpr (std::is_same_v<T, float>) return _mm512_fmadd_ps(a, b, c);
        else return _mm512_fmadd_pd(a, b, c);
    } else if constexpr (intrinsics_for<Arch>() == intrinsics::avx2) {
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

// The batch of doubles converted (exactly) from the floats at p. xsimd 8.1
// converts between types of one width only; the AVX instructions take their
// operand from memory, which spares a shuffle. (Each intrinsic is guarded:
// with p not dependent, a discarded branch must still name declared functions.)
template <class Arch>
inline xsimd::batch<double, Arch> load_as_double(const float* p) {
#if defined(__AVX512F__)
    if constexpr (intrinsics_for<Arch>() == intrinsics::avx512) return _mm512_cvtps_pd(_mm256_loadu_ps(p));
#endif
#if defined(__AVX2__) && defined(__FMA__)
    if constexpr (intrinsics_for<Arch>() == intrinsics::avx2) return _mm256_cvtps_pd(_mm_loadu_ps(p));
#endif
#if defined(__SSE2__)
    if constexpr (intrinsics_for<Arch>() == intrinsics::sse2)
        return _mm_cvtps_pd(_mm_castsi128_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
#endif
    constexpr std::size_t H = xsimd::batch<double, Arch>::size;
    alignas(64) double v[H];
    for (std::size_t l = 0; l < H; ++l) v[l] = p[l];
    return xsimd::batch<double, Arch>::load_aligned(v);
}

// Runs group(p) on each group of L elements, p pointing at its first; the
// last, partial group is copied into a buffer padded with `pad`.
template <class Arch, class T, class Group>
inline void for_each_group(const T* x, std::size_t n, T pad, Group group) {
    std::size_t i = 0;
    for (; i + reduce_lanes <= n; i += reduce_lanes) group(x + i);
    if (i < n) {
        alignas(64) T tail[reduce_lanes];
        for (std::size_t l = 0; l < reduce_lanes; ++l) tail[l] = i + l < n ? x[i + l] : pad;
        group(static_cast<const T*>(tail));
    }
}

// Runs step(p, r) for r = 0 .. L/W - 1 on each group of L elements, p
// pointing at the W elements of batch r; the last, partial group is padded
// with `pad`.
template <class Arch, class T, class Step>
inline void for_each_lane_group(const T* x, std::size_t n, T pad, Step step) {
    constexpr std::size_t W = xsimd::batch<T, Arch>::size;
    static_assert(reduce_lanes % W == 0, "a batch must hold whole lanes");
    for_each_group<Arch>(x, n, pad, [&](const T* p) {
        // Unrolled, so that accumulators indexed by r can live in registers
        // (GCC's own heuristics keep a loop whose step has a rare branch).
#pragma GCC unroll 16
        for (std::size_t r = 0; r < reduce_lanes / W; ++r) step(p + r * W, r);
    });
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
        const auto below = a < small_threshold;  // NaN is neither: it lands in mid
        // 0 is below the threshold but adds nothing to any sum: as small it
        // would send every batch holding one (ReLU outputs, padding) down
        // the scaled path. It is told apart only when something is below.
        const auto is_small = below & (a > zero);
        if (!xsimd::any(is_big | below) || !xsimd::any(is_big | is_small)) {  // the common case: nothing to scale
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

namespace reduce_detail {

// statistics_block works on magnitudes as their encodings, which order as the
// values do: 0 for zeros, then subnormals, normals, +Inf, and NaN above them all.
template <class Arch>
using encodings = xsimd::batch<std::int32_t, Arch>;

template <class Arch>
inline encodings<Arch> magnitude_encodings(const float* p) {
    return xsimd::bitwise_cast<encodings<Arch>>(xsimd::abs(xsimd::batch<float, Arch>::load_unaligned(p)));
}

// statistics_block's counts, lane by lane.
template <class Arch>
struct census_counts {
    encodings<Arch> zeros = encodings<Arch>(0), subnormals = zeros, nans = zeros, infinities = zeros;
};

// Of a group, lane by lane: the largest magnitude (NaN skipped) and the
// smallest nonzero one (0 and NaN skipped).
template <class Arch>
struct group_extremes {
    encodings<Arch> largest, smallest;
};

// A group with something to skip or count: its census is added to `counts`.
// Out of line, so that the loop of the common case keeps its 2 L lanes of
// squares in registers (GCC spills them when the counts live there too).
template <class Arch>
[[gnu::noinline]] group_extremes<Arch> unusual_group(const float* p, encodings<Arch> threshold,
                                                     census_counts<Arch>& counts) {
    using I = encodings<Arch>;
    constexpr std::size_t W = I::size;
    const I zero(0), one(1);
    const I inf = xsimd::bitwise_cast<I>(xsimd::batch<float, Arch>(std::numeric_limits<float>::infinity()));
    group_extremes<Arch> e{zero, inf};
    for (std::size_t r = 0; r < reduce_lanes / W; ++r) {
        const I m = magnitude_encodings<Arch>(p + r * W);
        const auto is_zero = m == zero, is_nan = m > inf;
        e.largest = xsimd::max(e.largest, xsimd::select(is_nan, zero, m));             // NaN counts as 0
        e.smallest = xsimd::min(e.smallest, xsimd::select(is_zero | is_nan, inf, m));  // 0 and NaN as +Inf
        counts.zeros += xsimd::select(is_zero, one, zero);
        counts.subnormals += xsimd::select((m > zero) & (m < threshold), one, zero);
        counts.nans += xsimd::select(is_nan, one, zero);
        counts.infinities += xsimd::select(m == inf, one, zero);
    }
    return e;
}

}  // namespace reduce_detail

template <class Arch>
void statistics_block(const float* x, std::size_t n, const float min_normal, statistics_lanes& lanes) {
    using F = xsimd::batch<float, Arch>;
    using I = reduce_detail::encodings<Arch>;
    using D = xsimd::batch<double, Arch>;
    constexpr std::size_t W = F::size, R = reduce_lanes / W;  // a group: R batches of floats, 2 R of doubles
    const I one(1), inf = xsimd::bitwise_cast<I>(F(std::numeric_limits<float>::infinity()));
    const I threshold = xsimd::bitwise_cast<I>(F(min_normal));
    // Ordinary magnitudes need no care: nonzero, normal in the format and
    // finite (so not NaN). 1 encodes the smallest subnormal.
    const I ordinary_low = xsimd::max(threshold, one);
    D squares[2 * R];
    for (auto& s : squares) s = D(0.0);
    I largest(0), smallest = inf;
    reduce_detail::census_counts<Arch> counts;
    // Padding with 0 adds nothing to a sum of squares and leaves the extremes
    // as they are; it is taken off the count of zeros at the end.
    reduce_detail::for_each_group<Arch>(x, n, 0.0f, [&](const float* p) {
        for (std::size_t k = 0; k < 2 * R; ++k) {
            const D v = reduce_detail::load_as_double<Arch>(p + k * D::size);
            squares[k] += v * v;  // exact products: fused or not, one rounding
        }
        I group_max = reduce_detail::magnitude_encodings<Arch>(p), group_min = group_max;
        for (std::size_t r = 1; r < R; ++r) {
            const I m = reduce_detail::magnitude_encodings<Arch>(p + r * W);
            group_max = xsimd::max(group_max, m);
            group_min = xsimd::min(group_min, m);
        }
        // The group's own extremes tell the common case: all ordinary, nothing to skip or count.
        if (!xsimd::all((group_min >= ordinary_low) & (group_max < inf))) {
            const auto e = reduce_detail::unusual_group<Arch>(p, threshold, counts);
            group_max = e.largest;
            group_min = e.smallest;
        }
        largest = xsimd::max(largest, group_max);
        smallest = xsimd::min(smallest, group_min);
    });
    for (std::size_t k = 0; k < 2 * R; ++k) squares[k].store_aligned(lanes.squares + k * D::size);
    alignas(64) float extremes[W];
    xsimd::bitwise_cast<F>(largest).store_aligned(extremes);
    lanes.max_abs = 0;
    for (float v : extremes) lanes.max_abs = v > lanes.max_abs ? v : lanes.max_abs;
    xsimd::bitwise_cast<F>(smallest).store_aligned(extremes);
    lanes.min_nonzero_abs = std::numeric_limits<float>::infinity();
    for (float v : extremes) lanes.min_nonzero_abs = v < lanes.min_nonzero_abs ? v : lanes.min_nonzero_abs;
    const auto total = [](const I& per_lane) {
        alignas(64) std::int32_t v[W];
        per_lane.store_aligned(v);
        std::size_t sum = 0;
        for (std::int32_t c : v) sum += static_cast<std::size_t>(c);
        return sum;
    };
    lanes.census.count = n;
    lanes.census.zeros = total(counts.zeros) - (n % reduce_lanes == 0 ? 0 : reduce_lanes - n % reduce_lanes);
    lanes.census.subnormals = total(counts.subnormals);
    lanes.census.nans = total(counts.nans);
    lanes.census.infinities = total(counts.infinities);
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
#define GRADLAB_INSTANTIATE_REDUCE(ARCH)                                                                          \
    GRADLAB_INSTANTIATE_REDUCE_FOR(ARCH, float)                                                                  \
    GRADLAB_INSTANTIATE_REDUCE_FOR(ARCH, double)                                                                 \
    template void gradlab::simd::statistics_block<ARCH>(const float*, std::size_t, float, statistics_lanes&);
