#include "gradlab/probe/error_metrics.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>

#include <mpfr.h>

#include "../kernels/growable_buffer.hpp"
#include "../kernels/mpfr_exponent_range.hpp"
#include "../kernels/mpfr_variables.hpp"
#include "element_reading.hpp"

namespace gradlab::probe {

namespace {

using namespace detail;
using kernels_detail::growable_buffer;
using kernels_detail::mpfr_variables;
using kernels_detail::widest_exponent_range;

constexpr long double infinity = std::numeric_limits<long double>::infinity();

// Bits of the sums: long double's 64 and 64 guard bits.
constexpr mpfr_prec_t sum_bits = 128;

// The sums of one comparison, each term rounded to sum_bits and added.
struct sums {
    explicit sums(std::span<__mpfr_struct> v) : dd(&v[0]), rr(&v[1]), xx(&v[2]), xr(&v[3]), term(&v[4]) {
        for (mpfr_ptr s : {dd, rr, xx, xr}) mpfr_set_zero(s, 1);
    }
    void add_square(mpfr_ptr sum, mpfr_srcptr a) {
        mpfr_sqr(term, a, MPFR_RNDN);
        mpfr_add(sum, sum, term, MPFR_RNDN);
    }
    void add_product(mpfr_ptr sum, mpfr_srcptr a, mpfr_srcptr b) {
        mpfr_mul(term, a, b, MPFR_RNDN);
        mpfr_add(sum, sum, term, MPFR_RNDN);
    }
    mpfr_ptr dd, rr, xx, xr, term;  // sum d_i^2, r_i^2, x_i^2, x_i r_i; scratch
};

// |d| / ulp(r) on the grid `own`; d is overwritten. d is x - r, both finite.
long double ulp_error(mpfr_ptr d, mpfr_srcptr r, const ulp_scale& own) {
    if (mpfr_zero_p(d)) return 0;
    long binade;
    if (mpfr_zero_p(r)) {
        if (!own.emin) return infinity;
        binade = *own.emin;
    } else {
        binade = mpfr_get_exp(r) - 1;  // |r| = m 2^exp, m in [1/2, 1)
        if (own.emin) binade = std::max(binade, static_cast<long>(*own.emin));
    }
    mpfr_abs(d, d, MPFR_RNDN);
    mpfr_mul_2si(d, d, own.precision - 1 - binade, MPFR_RNDN);  // exact: a power of two
    return to_long_double(d);
}

// Equal infinities, or two NaN.
bool same_special(mpfr_srcptr x, mpfr_srcptr r) {
    if (mpfr_nan_p(x) || mpfr_nan_p(r)) return mpfr_nan_p(x) && mpfr_nan_p(r);
    return mpfr_inf_p(x) && mpfr_inf_p(r) && mpfr_signbit(x) == mpfr_signbit(r);
}

template <class X>
error_metrics compare_to(std::span<const X> x, std::span<const mp_float> r, const ulp_scale& own) {
    if (x.size() != r.size())
        throw std::invalid_argument("compare: " + std::to_string(x.size()) + " values against a reference of " +
                                    std::to_string(r.size()));
    const std::size_t n = x.size();
    const widest_exponent_range range;
    const mpfr_prec_t x_bits = n == 0 ? MPFR_PREC_MIN : bits_of(x.front());
    const mpfr_prec_t difference_bits = n == 0 ? MPFR_PREC_MIN : std::max(x_bits, bits_of(r.front())) + 2;
    // x_i at its own precision keeps its products cheap.
    thread_local mpfr_variables x_variable, difference_variable, sum_variables;
    thread_local growable_buffer<long double> ulp_buffer;
    mpfr_ptr x_scratch = &x_variable.with_precision(1, x_bits)[0];
    mpfr_ptr d = &difference_variable.with_precision(1, difference_bits)[0];
    sums s(sum_variables.with_precision(5, sum_bits));
    const auto ulps = ulp_buffer.first(n);

    error_metrics result{.count = n};
    bool all_finite = true, infinite_difference = false;
    for (std::size_t i = 0; i < n; ++i) {
        mpfr_srcptr xi = exact_mpfr(x[i], x_scratch), ri = r[i].backend().data();
        if (mpfr_number_p(xi) && mpfr_number_p(ri)) {
            mpfr_sub(d, xi, ri, MPFR_RNDN);
            s.add_square(s.dd, d);
            s.add_square(s.rr, ri);
            s.add_square(s.xx, xi);
            s.add_product(s.xr, xi, ri);
            if (mpfr_zero_p(xi) && !mpfr_zero_p(ri)) ++result.flushed;
            ulps[i] = ulp_error(d, ri, own);
        } else {
            all_finite = false;
            if (mpfr_number_p(ri)) s.add_square(s.rr, ri);
            const bool same = same_special(xi, ri);
            infinite_difference = infinite_difference || !same;
            ulps[i] = same ? 0 : infinity;
        }
        if (ulps[i] > result.max_ulp) {
            result.max_ulp = ulps[i];
            result.worst_index = i;
        }
    }

    if (!all_finite || mpfr_zero_p(s.xx) || mpfr_zero_p(s.rr)) {
        result.cosine = std::numeric_limits<long double>::quiet_NaN();
    } else {
        // <x, r> / sqrt(<x, x> <r, r>): exactly 1 for x = r, or x = 2^k r.
        mpfr_mul(s.term, s.xx, s.rr, MPFR_RNDN);
        mpfr_sqrt(s.term, s.term, MPFR_RNDN);
        mpfr_div(s.term, s.xr, s.term, MPFR_RNDN);
        result.cosine = to_long_double(s.term);
    }

    mpfr_sqrt(s.dd, s.dd, MPFR_RNDN);
    mpfr_sqrt(s.rr, s.rr, MPFR_RNDN);
    result.error_norm = infinite_difference ? infinity : to_long_double(s.dd);
    result.reference_norm = to_long_double(s.rr);
    if (infinite_difference) {
        result.relative_error = infinity;
    } else if (mpfr_zero_p(s.dd)) {
        result.relative_error = 0;
    } else if (mpfr_zero_p(s.rr)) {
        result.relative_error = infinity;
    } else {
        mpfr_div(s.term, s.dd, s.rr, MPFR_RNDN);
        result.relative_error = to_long_double(s.term);
    }

    if (n > 0) {
        const auto median = ulps.begin() + static_cast<std::ptrdiff_t>((n - 1) / 2);
        std::nth_element(ulps.begin(), median, ulps.end());
        result.median_ulp = *median;
    }
    return result;
}

}  // namespace

ulp_scale ulp_scale_of(const precision& p) {
    switch (p.family) {
        case precision_family::f128: return {.precision = 113, .emin = -16382};
        case precision_family::mp: return {.precision = p.mp_bits, .emin = std::nullopt};
        default: return {.precision = p.format->precision, .emin = p.format->emin};
    }
}

error_metrics compare(std::span<const float> x, std::span<const mp_float> reference, const ulp_scale& own) {
    return compare_to(x, reference, own);
}
error_metrics compare(std::span<const double> x, std::span<const mp_float> reference, const ulp_scale& own) {
    return compare_to(x, reference, own);
}
error_metrics compare(std::span<const float128> x, std::span<const mp_float> reference, const ulp_scale& own) {
    return compare_to(x, reference, own);
}
error_metrics compare(std::span<const mp_float> x, std::span<const mp_float> reference, const ulp_scale& own) {
    return compare_to(x, reference, own);
}

}  // namespace gradlab::probe
