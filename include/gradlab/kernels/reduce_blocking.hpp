#pragma once
// The fixed order every reduction (kernels/reduce.hpp) adds in, and the error
// bounds it gives. The order depends on n alone, never on the thread count or
// the instruction set, so results are bitwise reproducible:
//
//   1. The array is cut into blocks of reduce_block_size elements (the last
//      may be shorter). Threads share out whole blocks.
//   2. Within a block, element i goes to lane i mod reduce_lanes. Each lane
//      starts at +0 and adds its elements in increasing order. 32 lanes are
//      two AVX-512 float registers, four AVX2 ones, eight SSE2 ones: every
//      instruction set performs the same additions, only more per instruction.
//   3. The 32 lane results are added by the pairwise tree below, giving the
//      block's result; the block results are added by the same tree.
//
//   pairwise tree over v[0..m): for step = 1, 2, 4, ... < m:
//                                 v[i] += v[i + step] for i = 0, 2 step, 4 step, ... (i + step < m)
//   (the result is v[0]; no value passes through more than ceil(log2 m) additions)
//
// Error bound of the sum (Higham, "Accuracy and Stability of Numerical
// Algorithms", 2nd ed., section 4.2). Each addition returns (a + b)(1 + d)
// with |d| <= u, u the unit roundoff (2^-p to nearest, 2^(1-p) for directed
// or stochastic rounding); additions are exact in the subnormal range, so
// underflow costs nothing. Unrolling the products, the computed sum is
// sum_i x_i (1 + t_i) where x_i collects one factor (1 + d) per rounded
// addition on its path to the root, and a product of k such factors lies
// within gamma_k = k u / (1 - k u) of 1 (scalar/error_bounds.hpp evaluates u
// and gamma_k: unit_roundoff(p, mode), gamma(k, u)). Element x_i's path:
//   - its lane: x_i is added once and then carried through every later
//     addition of that lane. A lane holds at most c = ceil(min(n, B) / L)
//     elements (B the block size, L the lanes) and its first addition,
//     +0 + x, is exact, so at most c - 1 rounded additions;
//   - the lane tree: at most log2 L = 5;
//   - the block tree: at most ceil(log2 ceil(n / B)).
// Hence, with D = sum_rounding_depth(n),
//
//     |computed - sum_i x_i| <= gamma_D * sum_i |x_i|     (no overflow, D u < 1).
//
// A plain left-to-right loop has D = n - 1; here D <= 127 + 5 + ceil(log2(n / 4096)),
// 132 for n <= 4096 and 147 for n = 10^8. The bound holds for every
// precision that follows this order: fp32, fp64, f128, mp (u = 2^-bits) and
// the emulated sum that rounds each addition to its format (which must then
// have subnormals: flushing them to zero breaks "exact in the subnormal range").
//
// The sum of squares inside l2_norm() follows the same order, but each element
// enters its lane through a fused multiply-add, fma(x, x, lane), which rounds
// even the first time (x^2 is not exact). Its depth therefore counts c, not
// c - 1. (f128 and mp square, then add: two roundings for every element but
// the first of a lane, whose addition to 0 is exact, so c again.) Add two
// more for the final combination of the scaled partial sums
// (one addition, plus one factor that absorbs terms below u, see
// kernels/reduce.hpp). With D = sum_of_squares_rounding_depth(n) the computed
// sum of squares is S (1 + t), |t| <= gamma_D, and the norm, after one more
// rounding by the square root and an exact power-of-two unscaling,
//
//     |computed - ||x||| <= ((1 + gamma_D)^(1/2) (1 + u) - 1) ||x||  +  eta / 2,
//
// where eta / 2 covers the rounding of a norm that is itself subnormal (eta
// the smallest subnormal; 0 for mp, which has none). To first order the
// relative error is (D / 2 + 1) u.

#include <algorithm>
#include <cstddef>

namespace gradlab {

inline constexpr std::size_t reduce_block_size = 4096;  // elements per block: B
inline constexpr std::size_t reduce_lanes = 32;         // partial sums per block: L

namespace detail {

constexpr std::size_t ceil_log2(std::size_t m) {
    std::size_t d = 0;
    while ((std::size_t{1} << d) < m) ++d;
    return d;
}

// Elements of the fullest lane, and additions in the block tree.
constexpr std::size_t elements_per_lane(std::size_t n) {
    return (std::min(n, reduce_block_size) + reduce_lanes - 1) / reduce_lanes;
}
constexpr std::size_t block_tree_depth(std::size_t n) {
    return ceil_log2((n + reduce_block_size - 1) / reduce_block_size);
}

}  // namespace detail

// D of the bound |computed sum - exact sum| <= gamma_D * sum |x_i|.
constexpr std::size_t sum_rounding_depth(std::size_t n) {
    if (n <= 1) return 0;
    return detail::elements_per_lane(n) - 1 + detail::ceil_log2(reduce_lanes) + detail::block_tree_depth(n);
}

// D of the relative bound gamma_D on the sum of squares inside l2_norm().
constexpr std::size_t sum_of_squares_rounding_depth(std::size_t n) {
    if (n == 0) return 0;
    return detail::elements_per_lane(n) + detail::ceil_log2(reduce_lanes) + detail::block_tree_depth(n) + 2;
}

// Visits the additions of the pairwise tree over m values in their fixed
// order: add(i, j) means v[i] += v[j]; the result ends in v[0].
template <class Add>
constexpr void for_each_tree_addition(std::size_t m, Add add) {
    for (std::size_t step = 1; step < m; step *= 2)
        for (std::size_t i = 0; i + step < m; i += 2 * step) add(i, i + step);
}

}  // namespace gradlab
