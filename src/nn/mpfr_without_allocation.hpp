#pragma once
// MPFR scalars for per-step paths, which must not allocate: variables made
// once, and a power computed with mpfr_sqr and mpfr_mul only (their
// temporaries are on the stack below some 16 KB of limbs), unlike mpfr_pow_ui
// and the transcendental functions, which make MPFR variables on the heap.

#include <mpfr.h>

namespace gradlab::nn::detail {

// An MPFR variable of a fixed precision, made once and reused.
class mpfr_variable {
public:
    explicit mpfr_variable(mpfr_prec_t bits) { mpfr_init2(x_, bits); }
    ~mpfr_variable() { mpfr_clear(x_); }
    mpfr_variable(const mpfr_variable&) = delete;
    mpfr_variable& operator=(const mpfr_variable&) = delete;

    mpfr_ptr get() { return x_; }
    mpfr_srcptr get() const { return x_; }

private:
    mpfr_t x_;
};

// out = x^n (x^0 = 1) at out's precision P, by left-to-right binary powering,
// every operation rounded to nearest: relative error below 2 (n + 1) 2^-P to
// first order (a squaring doubles the error carried, each operation adds
// 2^-P). out must not be x.
inline void power_ui(mpfr_ptr out, mpfr_srcptr x, unsigned long n) {
    mpfr_set_ui(out, 1, MPFR_RNDN);
    for (int bit = 8 * static_cast<int>(sizeof n) - 1; bit >= 0; --bit) {
        mpfr_sqr(out, out, MPFR_RNDN);
        if ((n >> bit) & 1) mpfr_mul(out, out, x, MPFR_RNDN);
    }
}

}  // namespace gradlab::nn::detail
