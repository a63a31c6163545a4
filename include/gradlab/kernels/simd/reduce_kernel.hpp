#pragma once
// The SIMD kernels behind the reductions of kernels/reduce.hpp (declarations;
// the definitions are in reduce_kernel_impl.hpp), compiled once per
// instruction set (src/kernels/simd/reduce_<isa>.cpp). Each handles one block
// of at most reduce_block_size elements; blocking, threads and the trees that
// combine lanes and blocks are portable code (src/kernels/blocked_reduction.hpp).
//
// The contract that makes every instruction set give the same bits: a kernel
// that sums fills reduce_lanes lane results, lane j holding the sum of the
// elements i = j, j + L, j + 2L, ... added in that order to +0, each addition
// rounded in T; squares enter through a fused multiply-add (statistics_block's
// squares of floats, exact in double, through a double addition). A batch of
// W lanes simply holds W of the L lane sums. max, min and the counts are
// exact, so any order gives the same result.

#include <cstddef>

#include "gradlab/kernels/reduce_blocking.hpp"
#include "gradlab/kernels/value_census.hpp"

namespace gradlab::simd {

// Blue's scaling for a sum of squares that neither overflows nor underflows
// (J. L. Blue, "A portable Fortran program to find the Euclidean norm of a
// vector", ACM TOMS 4(1), 1978): |x| < small_threshold is squared after
// multiplying by small_scale, |x| > big_threshold after multiplying by
// big_scale, the rest as it is. All four are powers of two, so the scalings
// are exact. src/kernels/blocked_reduction.hpp derives them.
template <class T>
struct norm_scaling {
    T small_threshold;
    T big_threshold;
    T small_scale;
    T big_scale;
};

// The three lane-wise sums of scaled squares of one block.
template <class T>
struct squares_lanes {
    alignas(64) T big[reduce_lanes];
    alignas(64) T mid[reduce_lanes];
    alignas(64) T small[reduce_lanes];
};

// lanes[j] = sum of x[j], x[j + L], ... as in the contract above.
template <class Arch, class T>
void sum_lanes(const T* x, std::size_t n, T* lanes);

// The lane sums of fma(s x_i, s x_i, lane) into big, mid or small by |x_i|
// (s the matching scale). NaN goes to mid, so it reaches the result.
template <class Arch, class T>
void sum_squares_lanes(const T* x, std::size_t n, norm_scaling<T> k, squares_lanes<T>& lanes);

// max |x_i| over the elements that are not NaN; 0 when there are none.
template <class Arch, class T>
T max_abs_block(const T* x, std::size_t n);

// min |x_i| over the nonzero elements that are not NaN; +Inf when there are none.
template <class Arch, class T>
T min_nonzero_abs_block(const T* x, std::size_t n);

// Counts of zeros, subnormals (0 < |x_i| < min_normal), NaN and Inf.
template <class Arch, class T>
value_census census_block(const T* x, std::size_t n, T min_normal);

// What statistics_block finds in one block of floats.
struct statistics_lanes {
    // Lane sums of x_i^2 in double, in the contract's lanes and order: each
    // square is exact in double, so only the additions round.
    alignas(64) double squares[reduce_lanes];
    float max_abs;          // as max_abs_block
    float min_nonzero_abs;  // as min_nonzero_abs_block
    value_census census;    // as census_block
};

// The sums of squares, extremes and census of one block of floats, read once.
template <class Arch>
void statistics_block(const float* x, std::size_t n, float min_normal, statistics_lanes& lanes);

}  // namespace gradlab::simd
