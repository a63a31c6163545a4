#include "gradlab/validate/tensor_comparison.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>

#include <mpfr.h>

#include "../kernels/mpfr_exponent_range.hpp"
#include "../kernels/mpfr_variables.hpp"

namespace gradlab::validate {

namespace {

constexpr long double infinity = std::numeric_limits<long double>::infinity();

// Rounded to odd at this precision, a value rounds once more to long double
// (64 bits) in any mode as the exact value would: at least 64 + 2 bits.
constexpr mpfr_prec_t difference_bits = 128;

// d = |x - r| rounded to odd: truncated, and its last bit set when inexact.
void abs_difference_rounded_to_odd(mpfr_ptr d, mpfr_srcptr x, mpfr_srcptr r) {
    const int inexact = mpfr_sub(d, x, r, MPFR_RNDZ);
    mpfr_abs(d, d, MPFR_RNDN);
    if (inexact != 0 && mpfr_min_prec(d) < mpfr_get_prec(d)) mpfr_nextabove(d);
}

// Equal infinities, or two NaN.
bool same_special(mpfr_srcptr x, mpfr_srcptr r) {
    if (mpfr_nan_p(x) || mpfr_nan_p(r)) return mpfr_nan_p(x) && mpfr_nan_p(r);
    return mpfr_inf_p(x) && mpfr_inf_p(r) && mpfr_signbit(x) == mpfr_signbit(r);
}

// log2 ulp(r) on the grid, r a number; none for r = 0 on a grid without emin.
std::optional<long> ulp_exponent(mpfr_srcptr r, const probe::ulp_scale& grid) {
    if (mpfr_zero_p(r)) {
        if (!grid.emin) return std::nullopt;
        return static_cast<long>(*grid.emin) - grid.precision + 1;
    }
    long binade = mpfr_get_exp(r) - 1;  // |r| = m 2^exp, m in [1/2, 1)
    if (grid.emin) binade = std::max(binade, static_cast<long>(*grid.emin));
    return binade - grid.precision + 1;
}

// out = d / 2^ulp_exponent (d >= 0 or +Inf), exactly: out has d's
// precision. A nonzero d without a ulp is +Inf ulps.
void in_ulps(mpfr_ptr out, mpfr_srcptr d, std::optional<long> ulp_exponent) {
    if (ulp_exponent) mpfr_mul_2si(out, d, -*ulp_exponent, MPFR_RNDN);  // a power of two; 0 and Inf stay
    else if (mpfr_zero_p(d)) mpfr_set_zero(out, 1);
    else mpfr_set_inf(out, 1);
}

std::size_t count_above(const std::vector<long double>& rounded_up, long double tolerance) {
    return static_cast<std::size_t>(
        std::count_if(rounded_up.begin(), rounded_up.end(), [&](long double e) { return e > tolerance; }));
}

}  // namespace

std::size_t tensor_comparison::beyond_elementwise(long double tolerance_ulp) const {
    return count_above(elementwise_rounded_up_, tolerance_ulp);
}

std::size_t tensor_comparison::beyond_scaled(long double tolerance_ulp) const {
    return count_above(scaled_rounded_up_, tolerance_ulp);
}

tensor_comparison compare_tensor(std::span<const double> x, std::span<const mp_float> reference,
                                 const probe::ulp_scale& dtype) {
    if (x.size() != reference.size())
        throw std::invalid_argument("compare_tensor: " + std::to_string(x.size()) + " values against a reference of " +
                                    std::to_string(reference.size()));
    const std::size_t n = x.size();
    const kernels_detail::widest_exponent_range range;
    kernels_detail::mpfr_variables variables;
    const auto v = variables.with_precision(5, difference_bits);
    mpfr_ptr xi = &v[0], d = &v[1], largest_d = &v[2], largest_ulps = &v[3], scratch = &v[4];

    mpfr_srcptr largest_r = nullptr;  // the largest finite |r_i|
    for (const mp_float& r : reference) {
        mpfr_srcptr ri = r.backend().data();
        if (mpfr_number_p(ri) && (!largest_r || mpfr_cmpabs(ri, largest_r) > 0)) largest_r = ri;
    }
    // Without a finite r_i every error is 0 or +Inf, on any scale.
    const std::optional<long> scale_exponent = largest_r ? ulp_exponent(largest_r, dtype) : std::nullopt;

    tensor_comparison result;
    result.count = n;
    result.elementwise_rounded_up_.resize(n);
    result.scaled_rounded_up_.resize(n);
    mpfr_set_zero(largest_d, 1);
    mpfr_set_zero(largest_ulps, 1);
    for (std::size_t i = 0; i < n; ++i) {
        mpfr_set_d(xi, x[i], MPFR_RNDN);  // exact
        mpfr_srcptr ri = reference[i].backend().data();
        const bool numbers = mpfr_number_p(xi) && mpfr_number_p(ri);
        if (numbers) abs_difference_rounded_to_odd(d, xi, ri);
        else if (same_special(xi, ri)) mpfr_set_zero(d, 1);
        else mpfr_set_inf(d, 1);

        if (mpfr_cmp(d, largest_d) > 0) {
            mpfr_set(largest_d, d, MPFR_RNDN);
            result.worst_absolute = i;
        }
        long double relative = 0;
        if (!mpfr_zero_p(d)) {
            if (numbers && !mpfr_zero_p(ri)) {
                mpfr_div(scratch, d, ri, MPFR_RNDN);
                relative = std::fabs(mpfr_get_ld(scratch, MPFR_RNDN));
            } else {
                relative = infinity;
            }
        }
        result.max_relative_error = std::max(result.max_relative_error, relative);

        in_ulps(scratch, d, numbers ? ulp_exponent(ri, dtype) : std::nullopt);
        if (mpfr_cmp(scratch, largest_ulps) > 0) {
            mpfr_set(largest_ulps, scratch, MPFR_RNDN);
            result.worst_elementwise = i;
        }
        result.elementwise_rounded_up_[i] = mpfr_get_ld(scratch, MPFR_RNDU);
        in_ulps(scratch, d, scale_exponent);
        result.scaled_rounded_up_[i] = mpfr_get_ld(scratch, MPFR_RNDU);
    }
    result.max_abs_error = mpfr_get_ld(largest_d, MPFR_RNDN);
    result.max_ulp = mpfr_get_ld(largest_ulps, MPFR_RNDN);
    in_ulps(scratch, largest_d, scale_exponent);
    result.scaled_ulp = mpfr_get_ld(scratch, MPFR_RNDN);

    const probe::error_metrics metrics = probe::compare(x, reference, dtype);
    result.median_ulp = metrics.median_ulp;
    result.normwise_relative = metrics.relative_error;
    return result;
}

long double loss_ulp_error(double x, const mp_float& reference, const probe::ulp_scale& dtype) {
    return compare_tensor(std::span<const double>(&x, 1), std::span<const mp_float>(&reference, 1), dtype).max_ulp;
}

}  // namespace gradlab::validate
