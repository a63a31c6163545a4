#pragma once
// An exact dot product of MPFR numbers, rounded once (F. Johansson, "Faster
// arbitrary-precision dot product and matrix multiplication", ARITH 2019).
// Each product of two significands is computed exactly by GMP (mpn_mul), then
// shifted into place in a fixed-point accumulator of limbs whose least
// significant bit is the lowest bit any of the products can have, so no bit
// is ever dropped; the exact sum is rounded once, to nearest even, by
// mpfr_set_z_2exp. Per term that is one mpn multiplication, one shift and one
// addition of limbs, with no normalisation or rounding: about a third of the
// cost of mpfr_mul then mpfr_add at 256 bits.
//
// The significands are read through MPFR's public custom interface
// (mpfr_custom_get_significand): the limbs of a p-bit number x, least
// significant first, hold an integer M of ceil(p / limb_bits) limbs whose top
// bit is set, and x = ±M 2^(e - limb_bits size) with e = mpfr_get_exp(x), so
// 2^(e-1) <= |x| < 2^e.
//
// Only zeros and regular numbers are accumulated. NaN, Inf, and vectors whose
// products span more than exact_dot_max_limbs limbs (exponents far apart, or
// huge precisions) are the caller's to handle another way: fits() says so.

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include <gmp.h>
#include <mpfr.h>

namespace gradlab::kernels_detail {

static_assert(GMP_NAIL_BITS == 0, "the accumulator adds whole limbs");
constexpr mpfr_exp_t limb_bits = GMP_NUMB_BITS;

// The widest accumulator, in limbs (8192 bits with 64-bit limbs): products of
// two mp256 numbers whose exponents span up to about 7600 bits still fit.
constexpr mp_size_t exact_dot_max_limbs = 128;

// Exponents beyond this take the other path, so that sums of two exponents
// and bottoms of two ranges never overflow mpfr_exp_t (MPFR's own reach
// 2^62 is far beyond what any computation meets).
constexpr mpfr_exp_t exact_dot_max_exponent = mpfr_exp_t{1} << 60;

// One factor of a term, unpacked once: ±M 2^(exp - limb_bits size) with M in
// limbs[0, size); size 0 for a zero (of sign `negative`).
struct exact_factor {
    const mp_limb_t* limbs = nullptr;
    mpfr_exp_t exp = 0;
    std::int32_t size = 0;
    bool negative = false;
};

// What a vector of factors (a row of op(A), a column of op(B)) spans: every
// nonzero factor x has |x| < 2^top and is a multiple of 2^bottom.
struct exact_factor_range {
    mpfr_exp_t top = std::numeric_limits<mpfr_exp_t>::min();
    mpfr_exp_t bottom = std::numeric_limits<mpfr_exp_t>::max();
    bool nonzero = false;      // some factor is not zero
    bool accumulable = true;   // no NaN or Inf, exponents and sizes within bounds
};

// x unpacked; its span is folded into `range`.
inline exact_factor unpack_factor(mpfr_srcptr x, exact_factor_range& range) {
    exact_factor f;
    f.negative = mpfr_signbit(x) != 0;
    if (mpfr_zero_p(x)) return f;
    const mpfr_exp_t exp = mpfr_get_exp(x);
    const mpfr_exp_t size = (mpfr_get_prec(x) + limb_bits - 1) / limb_bits;
    if (!mpfr_regular_p(x) || size > exact_dot_max_limbs || exp > exact_dot_max_exponent ||
        exp < -exact_dot_max_exponent) {
        range.accumulable = false;
        return f;
    }
    f.limbs = static_cast<const mp_limb_t*>(mpfr_custom_get_significand(x));
    f.exp = exp;
    f.size = static_cast<std::int32_t>(size);
    range.top = std::max(range.top, exp);
    range.bottom = std::min(range.bottom, exp - limb_bits * size);
    range.nonzero = true;
    return f;
}

// One thread's exact dot product: its limbs are allocated once, then any
// number of sums run through start(), add() and round_into().
class exact_dot {
public:
    exact_dot()
        : positive_(exact_dot_max_limbs), negative_(exact_dot_max_limbs), product_(2 * exact_dot_max_limbs + 1) {}

    // Whether a sum of k products of factors from a and b fits the accumulator.
    static bool fits(const exact_factor_range& a, const exact_factor_range& b, std::size_t k) {
        return a.accumulable && b.accumulable && limbs_for(a, b, k) <= exact_dot_max_limbs;
    }

    // Starts a sum of k products of factors from a and b; fits(a, b, k).
    void start(const exact_factor_range& a, const exact_factor_range& b, std::size_t k) {
        size_ = limbs_for(a, b, k);
        base_ = size_ == 0 ? 0 : a.bottom + b.bottom;
        std::fill_n(positive_.begin(), size_, 0);
        std::fill_n(negative_.begin(), size_, 0);
        all_negative_zeros_ = true;
    }

    // Adds x y exactly; x and y come from the ranges given to start().
    void add(const exact_factor& x, const exact_factor& y) {
        const bool negative = x.negative != y.negative;
        if (x.size == 0 || y.size == 0) {
            all_negative_zeros_ = all_negative_zeros_ && negative;
            return;
        }
        all_negative_zeros_ = false;
        const mp_size_t n = x.size + y.size;
        mp_limb_t* p = product_.data();
        if (x.size == y.size) mpn_mul_n(p, x.limbs, y.limbs, x.size);
        else if (x.size > y.size) mpn_mul(p, x.limbs, x.size, y.limbs, y.size);
        else mpn_mul(p, y.limbs, y.size, x.limbs, x.size);
        // x y = P 2^(x.exp + y.exp - limb_bits n), at or above 2^base_ since
        // base_ is the sum of the ranges' bottoms.
        const mpfr_exp_t offset = x.exp + y.exp - limb_bits * n - base_;
        const mp_size_t low = offset / limb_bits;
        const auto shift = static_cast<unsigned>(offset % limb_bits);
        p[n] = shift == 0 ? 0 : mpn_lshift(p, p, n, shift);
        // The product is below 2^(top of a + top of b), which limbs_for()
        // leaves a limb and bit_width(k) bits of room above: no carry is lost.
        mp_limb_t* sum = (negative ? negative_ : positive_).data() + low;
        mpn_add(sum, sum, size_ - low, p, n + 1);
    }

    // Bits that hold the exact sum: a variable of this precision takes it
    // from round_into() without rounding.
    mpfr_prec_t exact_bits() const { return std::max<mpfr_prec_t>(MPFR_PREC_MIN, limb_bits * size_); }

    // r = the sum rounded once to nearest even, at r's precision (within
    // MPFR's current exponent range). An exact zero is +0 unless every term
    // was -0, as IEEE 754 adds.
    void round_into(mpfr_ptr r) {
        const bool negative = size_ > 0 && mpn_cmp(positive_.data(), negative_.data(), size_) < 0;
        mp_limb_t* larger = (negative ? negative_ : positive_).data();
        const mp_limb_t* smaller = (negative ? positive_ : negative_).data();
        if (size_ > 0) mpn_sub_n(larger, larger, smaller, size_);
        mpz_t view;
        mpz_srcptr sum = mpz_roinit_n(view, larger, negative ? -size_ : size_);
        if (mpz_sgn(sum) == 0) mpfr_set_zero(r, all_negative_zeros_ ? -1 : 1);
        else mpfr_set_z_2exp(r, sum, base_, MPFR_RNDN);
    }

private:
    // Limbs from 2^(bottom of a + bottom of b) up to k times 2^(top of a +
    // top of b), plus one that the shifted products may spill into; 0 when
    // every product is zero.
    static mp_size_t limbs_for(const exact_factor_range& a, const exact_factor_range& b, std::size_t k) {
        if (!a.nonzero || !b.nonzero) return 0;
        const auto headroom = static_cast<mpfr_exp_t>(std::bit_width(k));
        const mpfr_exp_t bits = a.top + b.top - (a.bottom + b.bottom) + headroom;
        return (bits + limb_bits - 1) / limb_bits + 1;
    }

    std::vector<mp_limb_t> positive_, negative_;  // the sums of the positive and negative products
    std::vector<mp_limb_t> product_;
    mpfr_exp_t base_ = 0;  // the accumulators count units of 2^base_
    mp_size_t size_ = 0;   // limbs in use
    bool all_negative_zeros_ = true;
};

}  // namespace gradlab::kernels_detail
