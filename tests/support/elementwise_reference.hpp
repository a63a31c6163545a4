#pragma once
// The oracle for the elementwise and activation tests: each function and its
// derivative in MPFR at 256 bits (more where a cancellation or an amplified
// rounding would eat into that), in forms that lose nothing at that
// precision, and the error of a result in units in the last place of a
// target format.

#include <algorithm>
#include <climits>
#include <cmath>
#include <limits>
#include <string>

#include <mpfr.h>

#include "gradlab/kernels/activation.hpp"
#include "gradlab/scalar/float_format.hpp"
#include "gradlab/scalar/scalar_traits.hpp"
#include "support/mp_values.hpp"

namespace gradlab::test {

constexpr mpfr_prec_t reference_bits = 256;

// gelu amplifies the rounding of x / sqrt 2 by about x^2.
inline mpfr_prec_t gelu_reference_bits(mpfr_srcptr x) {
    return reference_bits + (mpfr_regular_p(x) ? 2 * std::clamp<long>(mpfr_get_exp(x), 0, 200) : 0);
}

// r = e^-|x|
inline void reference_exp_minus_abs(mpfr_ptr r, mpfr_srcptr x) {
    mp a(mpfr_get_prec(x));
    mpfr_abs(a.v, x, MPFR_RNDN);
    mpfr_neg(a.v, a.v, MPFR_RNDN);
    mpfr_exp(r, a.v, MPFR_RNDN);
}

// r = Phi(x) = erfc(-x / sqrt 2) / 2 and, if phi is given, phi = x phi(x)
// = x e^(-x^2/2) / sqrt(2 pi), both at r's precision.
inline void reference_cdf(mpfr_ptr r, mpfr_srcptr x, mpfr_ptr x_density = nullptr) {
    const mpfr_prec_t bits = mpfr_get_prec(r);
    mp t(bits), u(bits);
    mpfr_sqrt_ui(t.v, 2, MPFR_RNDN);
    mpfr_div(u.v, x, t.v, MPFR_RNDN);
    mpfr_neg(u.v, u.v, MPFR_RNDN);
    mpfr_erfc(r, u.v, MPFR_RNDN);
    mpfr_div_2ui(r, r, 1, MPFR_RNDN);
    if (x_density == nullptr) return;
    mpfr_sqr(u.v, x, MPFR_RNDN);
    mpfr_div_2ui(u.v, u.v, 1, MPFR_RNDN);
    mpfr_neg(u.v, u.v, MPFR_RNDN);
    mpfr_exp(u.v, u.v, MPFR_RNDN);
    mpfr_const_pi(t.v, MPFR_RNDN);
    mpfr_mul_2ui(t.v, t.v, 1, MPFR_RNDN);
    mpfr_sqrt(t.v, t.v, MPFR_RNDN);
    mpfr_div(u.v, u.v, t.v, MPFR_RNDN);
    mpfr_mul(x_density, u.v, x, MPFR_RNDN);
}

// r = f(x); x exact, r of reference_bits (or more).
inline void reference_forward(mpfr_ptr r, const activation& f, mpfr_srcptr x) {
    if (mpfr_nan_p(x)) return mpfr_set_nan(r);
    const bool positive = mpfr_sgn(x) > 0;
    switch (f.kind) {
        case activation_kind::identity: mpfr_set(r, x, MPFR_RNDN); return;
        case activation_kind::sigmoid: {  // e^-|x| / (1 + e^-|x|) or its complement
            mp e(mpfr_get_prec(r) + 64), d(mpfr_get_prec(r) + 64);
            reference_exp_minus_abs(e.v, x);
            mpfr_add_ui(d.v, e.v, 1, MPFR_RNDN);
            if (mpfr_sgn(x) >= 0)
                mpfr_ui_div(r, 1, d.v, MPFR_RNDN);
            else
                mpfr_div(r, e.v, d.v, MPFR_RNDN);
            return;
        }
        case activation_kind::tanh: mpfr_tanh(r, x, MPFR_RNDN); return;
        case activation_kind::relu:
            if (positive)
                mpfr_set(r, x, MPFR_RNDN);
            else
                mpfr_set_zero(r, 1);
            return;
        case activation_kind::leaky_relu:
        case activation_kind::prelu:
            if (positive)
                mpfr_set(r, x, MPFR_RNDN);
            else
                mpfr_mul_d(r, x, f.parameter, MPFR_RNDN);
            return;
        case activation_kind::elu:
            if (positive) {
                mpfr_set(r, x, MPFR_RNDN);
            } else {
                mp e(mpfr_get_prec(r) + 64);
                mpfr_expm1(e.v, x, MPFR_RNDN);
                mpfr_mul_d(r, e.v, f.parameter, MPFR_RNDN);
            }
            return;
        case activation_kind::gelu: {
            if (mpfr_inf_p(x)) return positive ? mpfr_set_inf(r, 1) : mpfr_set_zero(r, -1);
            mp cdf(gelu_reference_bits(x));
            reference_cdf(cdf.v, x);
            mpfr_mul(r, cdf.v, x, MPFR_RNDN);
            return;
        }
        case activation_kind::softplus: {  // max(x, 0) + log1p(e^-|x|), an identity
            mp e(mpfr_get_prec(r) + 64);
            reference_exp_minus_abs(e.v, x);
            mpfr_log1p(e.v, e.v, MPFR_RNDN);
            if (positive)
                mpfr_add(r, e.v, x, MPFR_RNDN);
            else
                mpfr_set(r, e.v, MPFR_RNDN);
            return;
        }
    }
}

// r = f'(x), the true derivative at the exact x.
inline void reference_derivative(mpfr_ptr r, const activation& f, mpfr_srcptr x) {
    if (mpfr_nan_p(x)) return mpfr_set_nan(r);
    const bool positive = mpfr_sgn(x) > 0;
    const mpfr_prec_t bits = mpfr_get_prec(r) + 64;
    switch (f.kind) {
        case activation_kind::identity: mpfr_set_ui(r, 1, MPFR_RNDN); return;
        case activation_kind::sigmoid:
        case activation_kind::softplus: {  // e^-|x| / (1 + e^-|x|)^2, both signs
            if (f.kind == activation_kind::softplus) return reference_forward(r, {activation_kind::sigmoid}, x);
            mp e(bits), d(bits);
            reference_exp_minus_abs(e.v, x);
            mpfr_add_ui(d.v, e.v, 1, MPFR_RNDN);
            mpfr_sqr(d.v, d.v, MPFR_RNDN);
            mpfr_div(r, e.v, d.v, MPFR_RNDN);
            return;
        }
        case activation_kind::tanh: {  // sech^2: no cancellation where tanh saturates
            mp s(bits);
            mpfr_sech(s.v, x, MPFR_RNDN);
            mpfr_sqr(r, s.v, MPFR_RNDN);
            return;
        }
        case activation_kind::relu: mpfr_set_ui(r, positive ? 1 : 0, MPFR_RNDN); return;
        case activation_kind::leaky_relu:
        case activation_kind::prelu:
            if (positive)
                mpfr_set_ui(r, 1, MPFR_RNDN);
            else
                mpfr_set_d(r, f.parameter, MPFR_RNDN);
            return;
        case activation_kind::elu:
            if (positive) {
                mpfr_set_ui(r, 1, MPFR_RNDN);
            } else {
                mp e(bits);
                mpfr_exp(e.v, x, MPFR_RNDN);
                mpfr_mul_d(r, e.v, f.parameter, MPFR_RNDN);
            }
            return;
        case activation_kind::gelu: {
            if (mpfr_inf_p(x)) {
                if (positive)
                    mpfr_set_ui(r, 1, MPFR_RNDN);
                else
                    mpfr_set_zero(r, -1);
                return;
            }
            // Phi(x) + x phi(x) cancels near its root: recompute with the bits lost
            for (mpfr_prec_t extra = 0;; extra += 256) {
                mp cdf(gelu_reference_bits(x) + extra), xphi(gelu_reference_bits(x) + extra);
                reference_cdf(cdf.v, x, xphi.v);
                mp sum(gelu_reference_bits(x) + extra);
                mpfr_add(sum.v, cdf.v, xphi.v, MPFR_RNDN);
                const bool both_zero = mpfr_zero_p(cdf.v) && mpfr_zero_p(xphi.v);
                const long lost = both_zero || !mpfr_regular_p(sum.v)
                                      ? 0
                                      : std::max(mpfr_regular_p(cdf.v) ? mpfr_get_exp(cdf.v) : LONG_MIN,
                                                 mpfr_regular_p(xphi.v) ? mpfr_get_exp(xphi.v) : LONG_MIN) -
                                            mpfr_get_exp(sum.v);
                if (lost < 64 || extra > 1024) {
                    mpfr_set(r, sum.v, MPFR_RNDN);
                    return;
                }
            }
        }
    }
}

// Phi(x) + |x| phi(x): the size of the terms whose sum is gelu'(x).
inline void gelu_derivative_terms(mpfr_ptr r, mpfr_srcptr x) {
    mp cdf(gelu_reference_bits(x)), xphi(gelu_reference_bits(x));
    reference_cdf(cdf.v, x, xphi.v);
    mpfr_abs(xphi.v, xphi.v, MPFR_RNDN);
    mpfr_add(r, cdf.v, xphi.v, MPFR_RNDN);
}

// e^x
inline void reference_exponential(mpfr_ptr r, mpfr_srcptr x) { mpfr_exp(r, x, MPFR_RNDN); }

// The derivative formula the kernel evaluates, exactly, at the y it was given:
// y (1 - y) for sigmoid, (1 - y)(1 + y) for tanh. y of at most 200 bits.
inline void reference_derivative_from_output(mpfr_ptr r, activation_kind kind, mpfr_srcptr y) {
    mp a(1024), b(1024);
    mpfr_ui_sub(a.v, 1, y, MPFR_RNDN);
    if (kind == activation_kind::sigmoid)
        mpfr_set(b.v, y, MPFR_RNDN);
    else
        mpfr_add_ui(b.v, y, 1, MPFR_RNDN);
    mpfr_mul(r, a.v, b.v, MPFR_RNDN);
}

inline bool uses_output(activation_kind kind) {
    return kind == activation_kind::sigmoid || kind == activation_kind::tanh;
}

// A format results are measured in: p bits; for the bounded ones, an exponent
// range, a largest finite value and what lies beyond it.
struct target_format {
    std::string name;
    int precision;
    bool bounded = true;  // false: mp, no exponent range
    long emin = 0;        // of the smallest normal binade
    long emax = 0;        // of the largest binade
    overflow_rule overflow = overflow_rule::infinity;
    double max_finite = 0;  // used when it is a double; else (binary128) from emax
};

inline target_format target_of(const float_format& f) {
    return {f.name, f.precision, true, f.emin, f.emax, f.overflow, f.max_finite()};
}
inline target_format binary128_target() {
    using traits = scalar_traits<float128>;
    return {std::string(traits::name()), traits::significand_bits(), true, traits::emin(), traits::emax()};
}
inline target_format mp_target(int bits) { return {scalar_traits<mp_float>::name({bits}), bits, false}; }

// |got - exact| in ulps of the format at `scale` (exact itself unless given):
// 2^(max(e, emin) - p + 1) with 2^e <= |scale| < 2^(e+1). An exact value
// beyond the overflow threshold must give the format's overflow value (Inf,
// NaN or max, with its sign), NaN must give NaN and Inf the same Inf: 0 when
// they do, infinity when they do not.
inline double ulp_error(mpfr_srcptr got, mpfr_srcptr exact, const target_format& t, mpfr_srcptr scale = nullptr) {
    constexpr double wrong = std::numeric_limits<double>::infinity();
    if (mpfr_nan_p(exact)) return mpfr_nan_p(got) ? 0 : wrong;
    if (mpfr_nan_p(got)) {
        if (!(t.bounded && t.overflow == overflow_rule::nan)) return wrong;
    }
    if (mpfr_inf_p(exact)) return mpfr_inf_p(got) && mpfr_sgn(got) == mpfr_sgn(exact) ? 0 : wrong;
    if (t.bounded) {
        mp max(reference_bits), threshold(reference_bits);
        if (t.precision <= 53) {
            mpfr_set_d(max.v, t.max_finite, MPFR_RNDN);
        } else {  // 2^(emax+1) - 2^(emax+1-p)
            mpfr_set_ui_2exp(max.v, 1, t.emax + 1, MPFR_RNDN);
            mpfr_set_ui_2exp(threshold.v, 1, t.emax + 1 - t.precision, MPFR_RNDN);
            mpfr_sub(max.v, max.v, threshold.v, MPFR_RNDN);
        }
        mpfr_set_ui_2exp(threshold.v, 1, t.emax - t.precision, MPFR_RNDN);
        mpfr_add(threshold.v, threshold.v, max.v, MPFR_RNDN);  // max + half its ulp
        if (mpfr_cmpabs(exact, threshold.v) >= 0) {
            switch (t.overflow) {
                case overflow_rule::infinity: return mpfr_inf_p(got) && mpfr_sgn(got) == mpfr_sgn(exact) ? 0 : wrong;
                case overflow_rule::nan: return mpfr_nan_p(got) ? 0 : wrong;
                case overflow_rule::saturate:
                    return mpfr_cmpabs(got, max.v) == 0 && mpfr_sgn(got) == mpfr_sgn(exact) ? 0 : wrong;
            }
        }
    }
    if (!mpfr_number_p(got)) return wrong;
    if (scale == nullptr) scale = exact;
    long e;
    if (mpfr_zero_p(scale)) {
        if (!t.bounded) return mpfr_zero_p(got) ? 0 : wrong;
        e = t.emin;
    } else {
        e = mpfr_get_exp(scale) - 1;
        if (t.bounded) e = std::max(e, t.emin);
    }
    mp difference(2048);
    mpfr_sub(difference.v, got, exact, MPFR_RNDN);
    mpfr_abs(difference.v, difference.v, MPFR_RNDN);
    mpfr_mul_2si(difference.v, difference.v, -(e - t.precision + 1), MPFR_RNDN);
    return mpfr_get_d(difference.v, MPFR_RNDU);
}

}  // namespace gradlab::test
