#pragma once
// How the probes read elements of every precision (private to src/probe):
// rounded to double or long double, exactly into MPFR, and the reductions of
// kernels/reduce.hpp with their results read as long double; none of it
// allocates.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <limits>
#include <span>
#include <type_traits>

#include <gmp.h>
#include <mpfr.h>

#include "../nn/mpfr_without_allocation.hpp"
#include "gradlab/kernels/reduce.hpp"
#include "gradlab/scalar/conversions.hpp"

namespace gradlab::probe::detail {

// x rounded once to nearest (exactly, for float and double).
inline double to_double(double x) { return x; }
inline double to_double(const float128& x) { return static_cast<double>(x.backend().value()); }
inline double to_double(const mp_float& x) { return mpfr_get_d(x.backend().data(), MPFR_RNDN); }

inline long double to_long_double(long double x) { return x; }
inline long double to_long_double(const float128& x) { return static_cast<long double>(x.backend().value()); }

// x rounded to nearest long double. mpfr_get_ld allocates a temporary on the
// heap; this rounds to 64 bits in a variable the thread keeps and scales that
// significand exactly (only a result below 2^-16382, a long double
// subnormal, is rounded a second time).
inline long double to_long_double(mpfr_srcptr x) {
    static_assert(std::numeric_limits<long double>::digits == 64 && GMP_NUMB_BITS == 64);
    if (mpfr_nan_p(x)) return std::numeric_limits<long double>::quiet_NaN();
    const long double sign = mpfr_signbit(x) ? -1 : 1;
    if (mpfr_zero_p(x)) return sign * 0;
    thread_local nn::detail::mpfr_variable rounded(64);
    mpfr_set(rounded.get(), x, MPFR_RNDN);
    // |rounded| = m 2^(e - 64), m the one 64-bit limb
    const mpfr_exp_t e = mpfr_inf_p(rounded.get()) ? mpfr_get_emax_max() : mpfr_get_exp(rounded.get());
    if (e > 20000) return sign * std::numeric_limits<long double>::infinity();
    if (e < -20000) return sign * 0;
    const auto m = *static_cast<const mp_limb_t*>(mpfr_custom_get_significand(rounded.get()));
    return sign * std::ldexp(static_cast<long double>(m), static_cast<int>(e) - 64);
}
inline long double to_long_double(const mp_float& x) { return to_long_double(x.backend().data()); }

// The significand bits of x.
inline mpfr_prec_t bits_of(float) { return 24; }
inline mpfr_prec_t bits_of(double) { return 53; }
inline mpfr_prec_t bits_of(const float128&) { return 113; }
inline mpfr_prec_t bits_of(const mp_float& x) { return mpfr_get_prec(x.backend().data()); }

// x as an MPFR value: an mp element itself, any other written exactly into
// `scratch` (of at least bits_of(x) bits).
inline mpfr_srcptr exact_mpfr(float x, mpfr_ptr scratch) {
    mpfr_set_flt(scratch, x, MPFR_RNDN);
    return scratch;
}
inline mpfr_srcptr exact_mpfr(double x, mpfr_ptr scratch) {
    mpfr_set_d(scratch, x, MPFR_RNDN);
    return scratch;
}
inline mpfr_srcptr exact_mpfr(const float128& x, mpfr_ptr scratch) {
    set_exactly(scratch, x);
    return scratch;
}
inline mpfr_srcptr exact_mpfr(const mp_float& x, mpfr_ptr) { return x.backend().data(); }

// This thread's mp variable for reduction results, at `bits` bits (its value
// NaN). Allocates only when `bits` needs more limbs than it ever held.
inline mp_float& mp_result(mpfr_prec_t bits) {
    thread_local mp_float result;
    mpfr_set_prec(result.backend().data(), bits);
    return result;
}

// A reduction of kernels/reduce.hpp read as long double: reduce(x) returns
// the result of fp32, fp64 and f128; for mp, reduce(x, result) writes it at
// the precision of x's first element.
template <class X, class Reduce>
long double reduced(std::span<const X> x, Reduce reduce) {
    if constexpr (std::is_same_v<X, mp_float>) {
        mp_float& result = mp_result(x.empty() ? MPFR_PREC_MIN : bits_of(x.front()));
        reduce(x, result);
        return to_long_double(result);
    } else {
        return to_long_double(reduce(x));
    }
}

// The reductions, as arguments for reduced().
inline constexpr auto l2_norm_of = [](auto x, auto&... result) { return gradlab::l2_norm(x, result...); };
inline constexpr auto max_abs_of = [](auto x, auto&... result) { return gradlab::max_abs(x, result...); };
inline constexpr auto min_nonzero_abs_of = [](auto x, auto&... result) {
    return gradlab::min_nonzero_abs(x, result...);
};

}  // namespace gradlab::probe::detail
