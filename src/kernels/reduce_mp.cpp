// Reductions of MPFR arrays, calling MPFR in place: the lanes, blocks and
// trees of kernels/reduce_blocking.hpp, with every variable (block results:
// the calling thread's; lanes: each thread's) kept by its thread from call to
// call and set to the precision of the result, never relying on MPFR's
// default precision (thread-local, and unset in OpenMP's worker threads), in
// the widest exponent range. After a thread's first call at the widest
// precision, nothing is allocated. Elements of more bits than the result are
// rounded as they enter their lane, one more rounding than the bound counts.

#include <limits>
#include <span>

#include <mpfr.h>

#include "blocked_reduction.hpp"
#include "mpfr_exponent_range.hpp"
#include "mpfr_variables.hpp"
#include "gradlab/kernels/reduce.hpp"

namespace gradlab {

namespace {

using namespace kernels_detail;

// An mpfr_add costs tens of nanoseconds: threads pay off from two blocks on.
constexpr std::size_t mp_min_blocks_for_threads = 2;

// What a thread keeps MPFR variables for: the block results of its calls,
// and its lanes in any call.
enum class kept_for { block_results, lanes };

// `count` of the variables this thread keeps for `use`, of `bits` bits each.
std::span<__mpfr_struct> kept_variables(kept_for use, std::size_t count, mpfr_prec_t bits) {
    thread_local mpfr_variables block_results, lanes;
    return (use == kept_for::lanes ? lanes : block_results).with_precision(count, bits);
}

// What each thread of a blocked sum takes once per call: its lanes, one
// scratch variable after them, and the exponent range they need.
struct lane_workspace {
    explicit lane_workspace(mpfr_prec_t bits) : lanes(kept_variables(kept_for::lanes, reduce_lanes + 1, bits)) {}
    widest_exponent_range range;
    std::span<__mpfr_struct> lanes;
};

mpfr_srcptr in(const mp_float& x) { return x.backend().data(); }
mpfr_ptr out(mp_float& x) { return x.backend().data(); }

// The lane sums of one block are in lanes[0 .. L): add them by the lane tree.
void add_lanes(std::span<__mpfr_struct> lanes) {
    for_each_tree_addition(
        reduce_lanes, [&](std::size_t i, std::size_t j) { mpfr_add(&lanes[i], &lanes[i], &lanes[j], MPFR_RNDN); });
}

// The blocked sum of `term` over x: enter(lane, element, scratch) adds one
// element's term to its lane.
template <class Enter>
void blocked_mp_sum(std::span<const mp_float> x, mpfr_ptr result, Enter enter) {
    const widest_exponent_range range;
    const mpfr_prec_t bits = mpfr_get_prec(result);
    const std::size_t n = x.size();
    if (n == 0) {
        mpfr_set_zero(result, 1);
        return;
    }
    const auto blocks = kept_variables(kept_for::block_results, block_count(n), bits);
    for_each_block(
        n, mp_min_blocks_for_threads, [&] { return lane_workspace(bits); },
        [&](lane_workspace& workspace, std::size_t k, std::size_t begin, std::size_t size) {
            const auto lanes = workspace.lanes;
            for (std::size_t j = 0; j < reduce_lanes; ++j) mpfr_set_zero(&lanes[j], 1);
            for (std::size_t i = 0; i < size; ++i)
                enter(&lanes[i % reduce_lanes], in(x[begin + i]), &lanes[reduce_lanes]);
            add_lanes(lanes);
            mpfr_set(&blocks[k], &lanes[0], MPFR_RNDN);  // same precision: exact
        });
    for_each_tree_addition(block_count(n), [&](std::size_t i, std::size_t j) {
        mpfr_add(&blocks[i], &blocks[i], &blocks[j], MPFR_RNDN);
    });
    mpfr_set(result, &blocks[0], MPFR_RNDN);
}

// The index of the element that `better` prefers, skipping those `eligible`
// rejects; n when none is eligible. Exact, so any order finds the same value.
template <class Eligible, class Better>
std::size_t find_extreme(std::span<const mp_float> x, Eligible eligible, Better better) {
    const std::size_t none = x.size();
    const auto pick = [&](std::size_t a, std::size_t b) {
        if (b == none) return a;
        if (a == none) return b;
        return better(in(x[b]), in(x[a])) ? b : a;
    };
    return reduce_blocks(
        x.size(), none, mp_min_blocks_for_threads,
        [&](std::size_t begin, std::size_t size) {
            std::size_t best = none;
            for (std::size_t i = begin; i < begin + size; ++i)
                if (eligible(in(x[i]))) best = pick(best, i);
            return best;
        },
        [&](std::size_t& into, const std::size_t& from) { into = pick(into, from); });
}

value_census census_below(std::span<const mp_float> x, mpfr_exp_t emin) {
    return reduce_blocks(
        x.size(), value_census{}, mp_min_blocks_for_threads,
        [&](std::size_t begin, std::size_t size) {
            value_census c;
            c.count = size;
            for (std::size_t i = begin; i < begin + size; ++i) {
                mpfr_srcptr v = in(x[i]);
                if (mpfr_zero_p(v)) ++c.zeros;
                else if (mpfr_nan_p(v)) ++c.nans;
                else if (mpfr_inf_p(v)) ++c.infinities;
                // v = m 2^e with m in [1/2, 1): |v| < 2^emin iff e <= emin
                else if (mpfr_get_exp(v) <= emin) ++c.subnormals;
            }
            return c;
        },
        [](value_census& into, const value_census& from) { into += from; });
}

}  // namespace

void sum(std::span<const mp_float> x, mp_float& result) {
    blocked_mp_sum(x, out(result), [](mpfr_ptr lane, mpfr_srcptr v, mpfr_ptr) { mpfr_add(lane, lane, v, MPFR_RNDN); });
}

void l2_norm(std::span<const mp_float> x, mp_float& result) {
    // mpfr_sqr then mpfr_add is faster than mpfr_fma and, as the lane starts
    // at 0, rounds each term no more often than the bound counts.
    blocked_mp_sum(x, out(result), [](mpfr_ptr lane, mpfr_srcptr v, mpfr_ptr square) {
        mpfr_sqr(square, v, MPFR_RNDN);
        mpfr_add(lane, lane, square, MPFR_RNDN);
    });
    const widest_exponent_range range;
    mpfr_sqrt(out(result), out(result), MPFR_RNDN);
}

void max_abs(std::span<const mp_float> x, mp_float& result) {
    const std::size_t k = find_extreme(
        x, [](mpfr_srcptr v) { return !mpfr_nan_p(v); },
        [](mpfr_srcptr a, mpfr_srcptr b) { return mpfr_cmpabs(a, b) > 0; });
    const widest_exponent_range range;
    if (k == x.size()) mpfr_set_zero(out(result), 1);
    else mpfr_abs(out(result), in(x[k]), MPFR_RNDN);
}

void min_nonzero_abs(std::span<const mp_float> x, mp_float& result) {
    const std::size_t k = find_extreme(
        x, [](mpfr_srcptr v) { return !mpfr_nan_p(v) && !mpfr_zero_p(v); },
        [](mpfr_srcptr a, mpfr_srcptr b) { return mpfr_cmpabs(a, b) < 0; });
    const widest_exponent_range range;
    if (k == x.size()) mpfr_set_inf(out(result), 1);
    else mpfr_abs(out(result), in(x[k]), MPFR_RNDN);
}

value_census census(std::span<const mp_float> x, const float_format& format) { return census_below(x, format.emin); }

value_census census(std::span<const mp_float> x) {
    return census_below(x, std::numeric_limits<mpfr_exp_t>::min());
}

}  // namespace gradlab
