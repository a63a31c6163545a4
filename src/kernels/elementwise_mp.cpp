// Elementwise ops and activations for mp: MPFR in place on the mpfr_t inside
// each mp_float. Every result is rounded once, to nearest, to the precision
// out[i] already has. Composite functions are evaluated at that precision
// plus guard bits in temporaries each thread keeps from call to call, with
// room for the widest working precision of a call (no allocation inside the
// loops: mpfr_set_prec does not reallocate below the allocated size, nor in
// later calls once a thread has seen the widest), and the elements are split
// over OpenMP threads; the results do not depend on the thread count. No
// mp_float is created inside the threads, so MPFR's thread-local default
// precision plays no part.

#include <algorithm>
#include <cstddef>
#include <span>

#include <mpfr.h>

#include "elementwise_dispatch.hpp"
#include "mpfr_variables.hpp"
#include "gradlab/kernels/activation.hpp"
#include "gradlab/kernels/elementwise.hpp"

namespace gradlab {

namespace {

// Composite functions (sigmoid, softplus, elu, gelu and the derivatives)
// round a few times at the working precision p + 32: the result is within
// 0.5 ulp + a few 2^-32 ulp.
constexpr mpfr_prec_t guard_bits = 32;

mpfr_srcptr in(const mp_float& v) { return v.backend().data(); }
mpfr_ptr out(mp_float& v) { return v.backend().data(); }

// This thread's temporaries, with room for `capacity` bits each.
class scratch {
public:
    explicit scratch(mpfr_prec_t capacity) : capacity_(capacity), t_(kept().with_precision(3, capacity)) {}
    scratch(const scratch&) = delete;
    scratch& operator=(const scratch&) = delete;

    // Sets every temporary to `bits` (at most the capacity); returns the bits set.
    mpfr_prec_t working(mpfr_prec_t bits) {
        bits = std::min(bits, capacity_);
        for (auto& v : t_) mpfr_set_prec(&v, bits);
        return bits;
    }
    mpfr_ptr operator[](int i) { return &t_[i]; }
    mpfr_prec_t capacity() const { return capacity_; }

private:
    static kernels_detail::mpfr_variables& kept() {
        thread_local kernels_detail::mpfr_variables variables;
        return variables;
    }

    mpfr_prec_t capacity_;
    std::span<__mpfr_struct> t_;
};

// op(i, scratch) for every element, over the threads when there are enough.
template <class Op>
void for_each_element(std::size_t n, mpfr_prec_t capacity, Op op) {
    const auto count = static_cast<std::ptrdiff_t>(n);
#pragma omp parallel if (n >= 16)
    {
        scratch s(capacity);
#pragma omp for schedule(static)
        for (std::ptrdiff_t i = 0; i < count; ++i) op(static_cast<std::size_t>(i), s);
    }
}

// Enough for every working precision below: p + guard bits + the bits of
// gelu's argument + what a cancellation in gelu' may need again.
mpfr_prec_t capacity_for(std::span<const mp_float> x, std::span<const mp_float> y) {
    mpfr_prec_t widest = MPFR_PREC_MIN;
    for (const auto& v : x) widest = std::max(widest, mpfr_get_prec(in(v)));
    for (const auto& v : y) widest = std::max(widest, mpfr_get_prec(in(v)));
    return 3 * widest + 256;
}

// The working precision for a result `r` computed from x.
mpfr_prec_t working_bits(mpfr_srcptr r, mpfr_srcptr x) {
    return std::max(mpfr_get_prec(r), mpfr_get_prec(x)) + guard_bits;
}

// gelu amplifies the rounding of x / sqrt 2 by about x^2: that many more bits.
mpfr_prec_t argument_bits(mpfr_srcptr x) {
    if (!mpfr_regular_p(x)) return 0;
    return 2 * std::clamp<mpfr_prec_t>(mpfr_get_exp(x), 0, 64);
}

mpfr_exp_t exponent_or_min(mpfr_srcptr v) { return mpfr_regular_p(v) ? mpfr_get_exp(v) : mpfr_get_emin_min(); }

// r = e^-|x| (r has at least x's precision, so -|x| is exact)
void exp_minus_abs(mpfr_ptr r, mpfr_srcptr x) {
    mpfr_abs(r, x, MPFR_RNDN);
    mpfr_neg(r, r, MPFR_RNDN);
    mpfr_exp(r, r, MPFR_RNDN);
}

void sigmoid(mpfr_ptr y, mpfr_srcptr x, scratch& s) {
    s.working(working_bits(y, x));
    exp_minus_abs(s[0], x);
    mpfr_add_ui(s[1], s[0], 1, MPFR_RNDN);
    if (mpfr_sgn(x) >= 0)
        mpfr_ui_div(y, 1, s[1], MPFR_RNDN);
    else
        mpfr_div(y, s[0], s[1], MPFR_RNDN);
}

void softplus(mpfr_ptr y, mpfr_srcptr x, scratch& s) {
    s.working(working_bits(y, x));
    exp_minus_abs(s[0], x);
    mpfr_log1p(s[0], s[0], MPFR_RNDN);
    if (mpfr_sgn(x) > 0)
        mpfr_add(y, s[0], x, MPFR_RNDN);
    else
        mpfr_set(y, s[0], MPFR_RNDN);
}

// r = erfc(-x / sqrt 2) = 2 Phi(x), using t
void twice_cdf(mpfr_ptr r, mpfr_srcptr x, mpfr_ptr t) {
    mpfr_sqrt_ui(t, 2, MPFR_RNDN);
    mpfr_div(r, x, t, MPFR_RNDN);
    mpfr_neg(r, r, MPFR_RNDN);
    mpfr_erfc(r, r, MPFR_RNDN);
}

void gelu(mpfr_ptr y, mpfr_srcptr x, scratch& s) {
    if (mpfr_inf_p(x)) {
        if (mpfr_sgn(x) > 0)
            mpfr_set_inf(y, 1);
        else
            mpfr_set_zero(y, -1);
        return;
    }
    s.working(working_bits(y, x) + argument_bits(x));
    twice_cdf(s[0], x, s[1]);
    mpfr_mul(y, s[0], x, MPFR_RNDN);
    mpfr_div_2ui(y, y, 1, MPFR_RNDN);
}

// Phi(x) + x phi(x) cancels near its root x0 = -0.7518...: when the sum has
// lost more than half the guard bits to it, the terms are computed again
// with as many more bits as were lost.
void gelu_derivative(mpfr_ptr d, mpfr_srcptr x, scratch& s) {
    if (mpfr_inf_p(x)) {
        if (mpfr_sgn(x) > 0)
            mpfr_set_ui(d, 1, MPFR_RNDN);
        else
            mpfr_set_zero(d, -1);
        return;
    }
    mpfr_prec_t bits = working_bits(d, x) + argument_bits(x);
    for (;;) {
        bits = s.working(bits);
        twice_cdf(s[0], x, s[1]);
        mpfr_div_2ui(s[0], s[0], 1, MPFR_RNDN);  // Phi(x)
        mpfr_sqr(s[1], x, MPFR_RNDN);
        mpfr_div_2ui(s[1], s[1], 1, MPFR_RNDN);
        mpfr_neg(s[1], s[1], MPFR_RNDN);
        mpfr_exp(s[1], s[1], MPFR_RNDN);
        mpfr_const_pi(s[2], MPFR_RNDN);
        mpfr_mul_2ui(s[2], s[2], 1, MPFR_RNDN);
        mpfr_sqrt(s[2], s[2], MPFR_RNDN);
        mpfr_div(s[1], s[1], s[2], MPFR_RNDN);
        mpfr_mul(s[1], s[1], x, MPFR_RNDN);                 // x phi(x)
        if (mpfr_zero_p(s[0]) && mpfr_zero_p(s[1])) break;  // both underflowed
        mpfr_add(s[2], s[0], s[1], MPFR_RNDN);
        const mpfr_exp_t top = std::max(exponent_or_min(s[0]), exponent_or_min(s[1]));
        const mpfr_prec_t lost = mpfr_zero_p(s[2]) ? bits : top - mpfr_get_exp(s[2]);
        if (lost <= guard_bits / 2 || bits == s.capacity()) break;
        bits += lost + guard_bits;
    }
    mpfr_add(d, s[0], s[1], MPFR_RNDN);
}

void forward_one(const activation& f, mpfr_ptr y, mpfr_srcptr x, scratch& s) {
    if (mpfr_nan_p(x)) return mpfr_set_nan(y);
    switch (f.kind) {
        case activation_kind::identity: mpfr_set(y, x, MPFR_RNDN); return;
        case activation_kind::sigmoid: return sigmoid(y, x, s);
        case activation_kind::tanh: mpfr_tanh(y, x, MPFR_RNDN); return;
        case activation_kind::relu:
            if (mpfr_sgn(x) > 0)
                mpfr_set(y, x, MPFR_RNDN);
            else
                mpfr_set_zero(y, 1);
            return;
        case activation_kind::leaky_relu:
        case activation_kind::prelu:
            if (mpfr_sgn(x) > 0)
                mpfr_set(y, x, MPFR_RNDN);
            else
                mpfr_mul_d(y, x, f.parameter, MPFR_RNDN);
            return;
        case activation_kind::elu:
            if (mpfr_sgn(x) > 0) {
                mpfr_set(y, x, MPFR_RNDN);
            } else {
                s.working(working_bits(y, x));
                mpfr_expm1(s[0], x, MPFR_RNDN);
                mpfr_mul_d(y, s[0], f.parameter, MPFR_RNDN);
            }
            return;
        case activation_kind::gelu: return gelu(y, x, s);
        case activation_kind::softplus: return softplus(y, x, s);
    }
}

void derivative_one(const activation& f, mpfr_ptr d, mpfr_srcptr x, mpfr_srcptr y, scratch& s) {
    if (mpfr_nan_p(x) || mpfr_nan_p(y)) return mpfr_set_nan(d);
    const bool positive = mpfr_sgn(x) > 0;
    switch (f.kind) {
        case activation_kind::identity: mpfr_set_ui(d, 1, MPFR_RNDN); return;
        case activation_kind::sigmoid:  // y (1 - y)
            s.working(working_bits(d, y));
            mpfr_ui_sub(s[0], 1, y, MPFR_RNDN);
            mpfr_mul(d, y, s[0], MPFR_RNDN);
            return;
        case activation_kind::tanh:  // (1 - y)(1 + y)
            s.working(working_bits(d, y));
            mpfr_ui_sub(s[0], 1, y, MPFR_RNDN);
            mpfr_add_ui(s[1], y, 1, MPFR_RNDN);
            mpfr_mul(d, s[0], s[1], MPFR_RNDN);
            return;
        case activation_kind::relu: mpfr_set_ui(d, positive ? 1 : 0, MPFR_RNDN); return;
        case activation_kind::leaky_relu:
        case activation_kind::prelu:
            if (positive)
                mpfr_set_ui(d, 1, MPFR_RNDN);
            else
                mpfr_set_d(d, f.parameter, MPFR_RNDN);
            return;
        case activation_kind::elu:  // alpha e^x for x <= 0
            if (positive) {
                mpfr_set_ui(d, 1, MPFR_RNDN);
            } else {
                s.working(working_bits(d, x));
                mpfr_exp(s[0], x, MPFR_RNDN);
                mpfr_mul_d(d, s[0], f.parameter, MPFR_RNDN);
            }
            return;
        case activation_kind::gelu: return gelu_derivative(d, x, s);
        case activation_kind::softplus: return sigmoid(d, x, s);
    }
}

void require_sizes(const char* function, std::size_t x, std::size_t y, std::size_t out) {
    kernels_detail::require_same_size(function, x, y);
    kernels_detail::require_same_size(function, x, out);
}

}  // namespace

void add(std::span<const mp_float> x, std::span<const mp_float> y, std::span<mp_float> result) {
    require_sizes("add", x.size(), y.size(), result.size());
    for_each_element(x.size(), MPFR_PREC_MIN,
                     [&](std::size_t i, scratch&) { mpfr_add(out(result[i]), in(x[i]), in(y[i]), MPFR_RNDN); });
}

void scale(const mp_float& a, std::span<const mp_float> x, std::span<mp_float> result) {
    kernels_detail::require_same_size("scale", x.size(), result.size());
    for_each_element(x.size(), MPFR_PREC_MIN,
                     [&](std::size_t i, scratch&) { mpfr_mul(out(result[i]), in(a), in(x[i]), MPFR_RNDN); });
}

void axpy(const mp_float& a, std::span<const mp_float> x, std::span<const mp_float> y, std::span<mp_float> result) {
    require_sizes("axpy", x.size(), y.size(), result.size());
    for_each_element(x.size(), capacity_for({}, result), [&](std::size_t i, scratch& s) {
        s.working(mpfr_get_prec(out(result[i])));  // the product, rounded as the result is
        mpfr_mul(s[0], in(a), in(x[i]), MPFR_RNDN);
        mpfr_add(out(result[i]), s[0], in(y[i]), MPFR_RNDN);
    });
}

void hadamard(std::span<const mp_float> x, std::span<const mp_float> y, std::span<mp_float> result) {
    require_sizes("hadamard", x.size(), y.size(), result.size());
    for_each_element(x.size(), MPFR_PREC_MIN,
                     [&](std::size_t i, scratch&) { mpfr_mul(out(result[i]), in(x[i]), in(y[i]), MPFR_RNDN); });
}

void exponential(std::span<const mp_float> x, std::span<mp_float> result) {
    kernels_detail::require_same_size("exponential", x.size(), result.size());
    for_each_element(x.size(), MPFR_PREC_MIN,
                     [&](std::size_t i, scratch&) { mpfr_exp(out(result[i]), in(x[i]), MPFR_RNDN); });
}

void activation_forward(const activation& f, std::span<const mp_float> x, std::span<mp_float> y) {
    kernels_detail::require_same_size("activation_forward", x.size(), y.size());
    for_each_element(x.size(), capacity_for(x, y),
                     [&](std::size_t i, scratch& s) { forward_one(f, out(y[i]), in(x[i]), s); });
}

void activation_derivative(const activation& f, std::span<const mp_float> x, std::span<const mp_float> y,
                           std::span<mp_float> d) {
    require_sizes("activation_derivative", x.size(), y.size(), d.size());
    for_each_element(x.size(), std::max(capacity_for(x, y), capacity_for({}, d)),
                     [&](std::size_t i, scratch& s) { derivative_one(f, out(d[i]), in(x[i]), in(y[i]), s); });
}

}  // namespace gradlab
