// Reductions of binary128 arrays: the blocked drivers over the scalar
// kernels. A float128 operation costs tens of nanoseconds in software, so
// threads pay off from a few blocks on.

#include <limits>

#include "blocked_reduction.hpp"
#include "gradlab/kernels/reduce.hpp"

namespace gradlab {

namespace {

using namespace kernels_detail;

// In units of reduce_block_size elements.
constexpr std::size_t f128_min_blocks_for_threads = 2;

value_census census_below(std::span<const float128> x, int emin) {
    return blocked_census<scalar_kernels>(x, ldexp(float128(1), emin), f128_min_blocks_for_threads);
}

}  // namespace

float128 sum(std::span<const float128> x) { return blocked_sum<scalar_kernels>(x, f128_min_blocks_for_threads); }

float128 l2_norm(std::span<const float128> x) {
    return blocked_l2_norm<scalar_kernels>(x, f128_min_blocks_for_threads);
}

float128 max_abs(std::span<const float128> x) {
    return blocked_max_abs<scalar_kernels>(x, f128_min_blocks_for_threads);
}

float128 min_nonzero_abs(std::span<const float128> x) {
    return blocked_min_nonzero_abs<scalar_kernels>(x, f128_min_blocks_for_threads);
}

value_census census(std::span<const float128> x, const float_format& format) { return census_below(x, format.emin); }

value_census census(std::span<const float128> x) {
    return census_below(x, std::numeric_limits<float128>::min_exponent - 1);
}

}  // namespace gradlab
