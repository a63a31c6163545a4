#pragma once
// The portable half of the reductions (private to src/kernels): the fixed
// blocking of kernels/reduce_blocking.hpp with OpenMP over blocks, the scalar
// reference kernels (the isa::generic level, and the whole path for f128),
// and the scaled sum of squares behind l2_norm(). The per-ISA kernels of
// kernels/simd/ plug into the same drivers through a kernel set.

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <type_traits>

#include "growable_buffer.hpp"
#include "gradlab/kernels/reduce_blocking.hpp"
#include "gradlab/kernels/simd/reduce_kernel.hpp"
#include "gradlab/kernels/value_census.hpp"
#include "gradlab/platform/gradual_underflow_scope.hpp"
#include "gradlab/scalar/conversions.hpp"

namespace gradlab::kernels_detail {

// Below this many blocks a reduction runs on the calling thread alone; the
// result is the same either way. In units of reduce_block_size elements: 64
// blocks of fp32 are 1 MiB, some 50 us of one core's summing, well above the
// cost of waking a second thread. (f128 and mp set their own: their
// arithmetic is 10 to 100 times slower.)
inline constexpr std::size_t min_blocks_for_threads = 64;

inline std::size_t block_count(std::size_t n) { return (n + reduce_block_size - 1) / reduce_block_size; }

// Runs block(workspace, k, begin, size) for every block k, sharing the blocks
// out among OpenMP threads when there are at least `min_blocks` of them.
// Every thread makes its own workspace once, before its first block (for mp:
// MPFR variables at the precision it needs, kept by the thread from call to
// call, so nothing is allocated per block or, after the first, per call), and
// turns off flush-to-zero for itself: the floating-point modes are per
// thread, and a worker need not share the caller's.
template <class MakeWorkspace, class Block>
void for_each_block(std::size_t n, std::size_t min_blocks, MakeWorkspace make_workspace, Block block) {
    const auto blocks = static_cast<std::ptrdiff_t>(block_count(n));
#pragma omp parallel if (blocks >= static_cast<std::ptrdiff_t>(min_blocks))
    {
        const gradual_underflow_scope exact_subnormals;
        auto workspace = make_workspace();
#pragma omp for schedule(static)
        for (std::ptrdiff_t k = 0; k < blocks; ++k) {
            const std::size_t begin = static_cast<std::size_t>(k) * reduce_block_size;
            block(workspace, static_cast<std::size_t>(k), begin, std::min(reduce_block_size, n - begin));
        }
    }
}

// One Partial per block from block(begin, size), combined by the pairwise
// tree with add(into, from). `empty` is the result for n = 0. The partials
// live in the calling thread's buffer, kept for its later calls.
template <class Partial, class Block, class Add>
Partial reduce_blocks(std::size_t n, Partial empty, std::size_t min_blocks, Block block, Add add) {
    if (n == 0) return empty;
    if (n <= reduce_block_size) return block(std::size_t{0}, n);
    thread_local growable_buffer<Partial> buffer;
    const std::span<Partial> partials = buffer.first(block_count(n));  // every one written below
    for_each_block(
        n, min_blocks, [] { return 0; },
        [&](int, std::size_t k, std::size_t begin, std::size_t size) { partials[k] = block(begin, size); });
    for_each_tree_addition(partials.size(), [&](std::size_t i, std::size_t j) { add(partials[i], partials[j]); });
    return partials[0];
}

// The lane tree of a block: lanes[0] after it.
template <class T>
T add_lanes(T* lanes) {
    for_each_tree_addition(reduce_lanes, [&](std::size_t i, std::size_t j) { lanes[i] += lanes[j]; });
    return lanes[0];
}

// ---------------------------------------------------------------------------
// Blue's scaling. With p significand bits and normal exponents emin..emax,
// squares of |x| in [2^ts, 2^tb] are computed as they are, larger |x| after
// scaling by 2^sb, smaller after scaling by 2^ss, where
//
//   g  = min(64, floor(-emin / 2) - 1)   guard: up to 2^g squares sum without overflow
//   ts = ceil(emin / 2)                  so a mid square is at least 2^emin (normal)
//   tb = floor((emax + 1 - g) / 2)       so 2^g mid squares stay below 2^(emax+1)
//   sb = -ceil((emax + 1 + g) / 2)       so 2^g squares of (x 2^sb), |x| < 2^(emax+1), stay finite
//   ss = (p - 1) + ceil(-emin / 2)       so even the smallest subnormal, 2^(emin-p+1), squares to a normal
//
// and a big square is at least 2^(2 (tb + sb)) >= 2^(-2g - 2) >= 2^emin (that
// is what bounds g), a small one below 2^(2 (ts + ss)), far from overflow.
// fp32: ts -63, tb 33, sb -95, ss 86 (g = 62). fp64: -511, 480, -544, 563.
// A scaled square is therefore never subnormal: each is one rounding from
// exact. The three sums are combined at the end (norm_from_squares).
struct norm_exponents {
    int small_threshold, big_threshold, small_scale, big_scale;
};

constexpr int floor_half(int v) { return v >= 0 ? v / 2 : -((-v + 1) / 2); }
constexpr int ceil_half(int v) { return -floor_half(-v); }

constexpr norm_exponents norm_exponents_for(int p, int emin, int emax) {
    const int g = std::min(64, floor_half(-emin) - 1);
    return {.small_threshold = ceil_half(emin),
            .big_threshold = floor_half(emax + 1 - g),
            .small_scale = (p - 1) + ceil_half(-emin),
            .big_scale = -ceil_half(emax + 1 + g)};
}
static_assert(norm_exponents_for(24, -126, 127).small_threshold == -63);
static_assert(norm_exponents_for(24, -126, 127).big_threshold == 33);
static_assert(norm_exponents_for(24, -126, 127).big_scale == -95);
static_assert(norm_exponents_for(24, -126, 127).small_scale == 86);
static_assert(2 * (norm_exponents_for(24, -126, 127).big_threshold + norm_exponents_for(24, -126, 127).big_scale) >=
              -126);
static_assert(2 * (norm_exponents_for(53, -1022, 1023).big_threshold + norm_exponents_for(53, -1022, 1023).big_scale) >=
              -1022);

template <class T>
simd::norm_scaling<T> norm_scaling_for() {
    using std::ldexp;
    using limits = std::numeric_limits<T>;
    // numeric_limits counts exponents for significands in [0.5, 1): one above IEEE's.
    const auto e = norm_exponents_for(limits::digits, limits::min_exponent - 1, limits::max_exponent - 1);
    return {.small_threshold = ldexp(T(1), e.small_threshold),
            .big_threshold = ldexp(T(1), e.big_threshold),
            .small_scale = ldexp(T(1), e.small_scale),
            .big_scale = ldexp(T(1), e.big_scale)};
}

// A block's (or several blocks') sums of scaled squares.
template <class T>
struct squares_sums {
    T big = 0, mid = 0, small = 0;

    squares_sums& operator+=(const squares_sums& other) {
        big += other.big;
        mid += other.mid;
        small += other.small;
        return *this;
    }
};

template <class T>
squares_sums<T> add_lanes(simd::squares_lanes<T>& lanes) {
    return {add_lanes(lanes.big), add_lanes(lanes.mid), add_lanes(lanes.small)};
}

// sqrt(big / s_big^2 + mid + small / s_small^2) without overflow or
// underflow. Every scaling is by a power of two, applied one scale at a time
// (the squared scales are out of range). NaN anywhere gives NaN, else an Inf
// input gives +Inf (it is in `big`).
//   - big > 0: mid is rescaled to big's scale by two multiplications, exact
//     unless they underflow, which loses at most 2^(emin-p+1) against a big
//     sum of at least 2^(2 (tb + sb)): u / 2 relative in fp32 (2^-124 against
//     2^-149), far less in fp64 and f128. `small` is dropped: its unscaled sum
//     is below n 2^(2 ts), against at least 2^(2 tb): n 2^-192 relative in
//     fp32. Both together stay below u: one (1 + d) factor of the bound in
//     reduce_blocking.hpp ("absorbs terms below u").
//   - otherwise mid is brought to small's scale, exactly unless that
//     overflows. When it does, mid > 2^(emax+1-2 ss) (2^-44 in fp32) and small
//     is brought down to mid's scale instead, losing at most 2^(emin-p+1) to
//     underflow: 2^-105 relative in fp32.
// One addition and one square root round; the final unscaling is exact
// unless the norm itself is subnormal.
template <class T>
T norm_from_squares(const squares_sums<T>& s, const simd::norm_scaling<T>& k) {
    using std::isfinite, std::isnan, std::sqrt;
    if (isnan(s.big) || isnan(s.mid) || isnan(s.small)) return std::numeric_limits<T>::quiet_NaN();
    const T one(1);
    if (s.big > 0) return sqrt(s.big + s.mid * k.big_scale * k.big_scale) * (one / k.big_scale);
    const T mid_at_small_scale = s.mid * k.small_scale * k.small_scale;
    if (isfinite(mid_at_small_scale)) return sqrt(mid_at_small_scale + s.small) * (one / k.small_scale);
    return sqrt(s.mid + s.small * (one / k.small_scale) * (one / k.small_scale));
}

// ---------------------------------------------------------------------------
// The scalar reference kernels, for float, double and float128: the same
// lanes and order as the SIMD kernels (reduce_kernel.hpp), so the same bits.

// lane + s^2. fp32 and fp64 fuse it, for the bits of the SIMD kernels.
// float128 multiplies, then adds: libquadmath's fmaq is a software emulation
// some 20 times slower than the two, and as the lane starts at 0 the square's
// own rounding replaces the first addition's, so the bound's depth is unchanged.
template <class T>
T add_square(const T& s, const T& lane) {
    if constexpr (std::is_floating_point_v<T>) return std::fma(s, s, lane);
    else return lane + s * s;
}

// Which of the three sums of scaled squares x belongs to (norm_scaling):
// big for |x| > big_threshold, small for |x| < small_threshold, else mid.
enum class magnitude { small, mid, big };

template <class T>
magnitude classify(const T& x, const simd::norm_scaling<T>& k) {
    using std::abs;
    const T a = abs(x);
    if (a > k.big_threshold) return magnitude::big;
    if (a < k.small_threshold) return magnitude::small;
    return magnitude::mid;  // NaN too
}

// binary128 comparisons and fabsq are library calls. Nonnegative binary128
// values order as their encodings do as integers, so compare those, sign bit
// cleared. NaN encodes above +Inf and lands in big: the norm is NaN all the same.
inline magnitude classify(const float128& x, const simd::norm_scaling<float128>& k) {
    using encoding = unsigned __int128;
    const auto magnitude_bits = [](const float128& v) {
        return std::bit_cast<encoding>(v.backend().value()) & ~(encoding{1} << 127);
    };
    const encoding a = magnitude_bits(x);
    if (a > magnitude_bits(k.big_threshold)) return magnitude::big;
    if (a < magnitude_bits(k.small_threshold)) return magnitude::small;
    return magnitude::mid;
}

struct scalar_kernels {
    template <class T>
    static void sum_lanes(const T* x, std::size_t n, T* lanes) {
        std::fill(lanes, lanes + reduce_lanes, T(0));
        for (std::size_t i = 0; i < n; ++i) lanes[i % reduce_lanes] += x[i];
    }

    template <class T>
    static void sum_squares_lanes(const T* x, std::size_t n, const simd::norm_scaling<T>& k,
                                  simd::squares_lanes<T>& lanes) {
        std::fill(lanes.big, lanes.big + reduce_lanes, T(0));
        std::fill(lanes.mid, lanes.mid + reduce_lanes, T(0));
        std::fill(lanes.small, lanes.small + reduce_lanes, T(0));
        // Squares of x_i, not |x_i|: the same values, one operation less.
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t j = i % reduce_lanes;
            switch (classify(x[i], k)) {
                case magnitude::big: lanes.big[j] = add_square(T(x[i] * k.big_scale), lanes.big[j]); break;
                case magnitude::small: lanes.small[j] = add_square(T(x[i] * k.small_scale), lanes.small[j]); break;
                case magnitude::mid: lanes.mid[j] = add_square(x[i], lanes.mid[j]); break;
            }
        }
    }

    template <class T>
    static T max_abs_block(const T* x, std::size_t n) {
        using std::abs;
        T result(0);
        for (std::size_t i = 0; i < n; ++i)
            if (abs(x[i]) > result) result = abs(x[i]);  // false for NaN
        return result;
    }

    template <class T>
    static T min_nonzero_abs_block(const T* x, std::size_t n) {
        using std::abs;
        T result = std::numeric_limits<T>::infinity();
        for (std::size_t i = 0; i < n; ++i)
            if (x[i] != 0 && abs(x[i]) < result) result = abs(x[i]);  // false for NaN
        return result;
    }

    template <class T>
    static value_census census_block(const T* x, std::size_t n, const T& min_normal) {
        using std::abs;
        value_census census;
        census.count = n;
        for (std::size_t i = 0; i < n; ++i) {
            const T a = abs(x[i]);
            if (a == 0) ++census.zeros;
            else if (a != a) ++census.nans;
            else if (a == std::numeric_limits<T>::infinity()) ++census.infinities;
            else if (a < min_normal) ++census.subnormals;
        }
        return census;
    }

    // The reference for the one-pass SIMD kernel: the same lanes, the array read four times.
    static void statistics_block(const float* x, std::size_t n, float min_normal, simd::statistics_lanes& lanes) {
        std::fill(lanes.squares, lanes.squares + reduce_lanes, 0.0);
        for (std::size_t i = 0; i < n; ++i) lanes.squares[i % reduce_lanes] += double{x[i]} * double{x[i]};
        lanes.max_abs = max_abs_block(x, n);
        lanes.min_nonzero_abs = min_nonzero_abs_block(x, n);
        lanes.census = census_block(x, n, min_normal);
    }
};

// ---------------------------------------------------------------------------
// The drivers, for any kernel set with the interface of scalar_kernels.
template <class Kernels, class T>
T blocked_sum(std::span<const T> x, std::size_t min_blocks = min_blocks_for_threads) {
    return reduce_blocks(
        x.size(), T(0), min_blocks,
        [&](std::size_t begin, std::size_t size) {
            alignas(64) T lanes[reduce_lanes];
            Kernels::sum_lanes(x.data() + begin, size, lanes);
            return add_lanes(lanes);
        },
        [](T& into, const T& from) { into += from; });
}

template <class Kernels, class T>
T blocked_l2_norm(std::span<const T> x, std::size_t min_blocks = min_blocks_for_threads) {
    const auto k = norm_scaling_for<T>();
    const auto sums = reduce_blocks(
        x.size(), squares_sums<T>{}, min_blocks,
        [&](std::size_t begin, std::size_t size) {
            simd::squares_lanes<T> lanes;
            Kernels::sum_squares_lanes(x.data() + begin, size, k, lanes);
            return add_lanes(lanes);
        },
        [](squares_sums<T>& into, const squares_sums<T>& from) { into += from; });
    return norm_from_squares(sums, k);
}

template <class Kernels, class T>
T blocked_max_abs(std::span<const T> x, std::size_t min_blocks = min_blocks_for_threads) {
    return reduce_blocks(
        x.size(), T(0), min_blocks,
        [&](std::size_t begin, std::size_t size) { return Kernels::max_abs_block(x.data() + begin, size); },
        [](T& into, const T& from) { into = from > into ? from : into; });
}

template <class Kernels, class T>
T blocked_min_nonzero_abs(std::span<const T> x, std::size_t min_blocks = min_blocks_for_threads) {
    return reduce_blocks(
        x.size(), std::numeric_limits<T>::infinity(), min_blocks,
        [&](std::size_t begin, std::size_t size) { return Kernels::min_nonzero_abs_block(x.data() + begin, size); },
        [](T& into, const T& from) { into = from < into ? from : into; });
}

// What blocked_statistics finds in one block or several.
struct statistics_sums {
    double squares = 0;
    float max_abs = 0;
    float min_nonzero_abs = std::numeric_limits<float>::infinity();
    value_census census;

    statistics_sums& operator+=(const statistics_sums& other) {
        squares += other.squares;
        max_abs = other.max_abs > max_abs ? other.max_abs : max_abs;
        min_nonzero_abs = other.min_nonzero_abs < min_nonzero_abs ? other.min_nonzero_abs : min_nonzero_abs;
        census += other.census;
        return *this;
    }
};

template <class Kernels>
statistics_sums blocked_statistics(std::span<const float> x, float min_normal,
                                   std::size_t min_blocks = min_blocks_for_threads) {
    return reduce_blocks(
        x.size(), statistics_sums{}, min_blocks,
        [&](std::size_t begin, std::size_t size) {
            simd::statistics_lanes lanes;
            Kernels::statistics_block(x.data() + begin, size, min_normal, lanes);
            return statistics_sums{add_lanes(lanes.squares), lanes.max_abs, lanes.min_nonzero_abs, lanes.census};
        },
        [](statistics_sums& into, const statistics_sums& from) { into += from; });
}

template <class Kernels, class T>
value_census blocked_census(std::span<const T> x, const T& min_normal,
                            std::size_t min_blocks = min_blocks_for_threads) {
    return reduce_blocks(
        x.size(), value_census{}, min_blocks,
        [&](std::size_t begin, std::size_t size) { return Kernels::census_block(x.data() + begin, size, min_normal); },
        [](value_census& into, const value_census& from) { into += from; });
}

}  // namespace gradlab::kernels_detail
