#pragma once
// The oracle for the reduction tests: exact (or 1024-bit) sums computed by
// MPFR from the exact element values, the bounds of kernels/reduce_blocking.hpp
// evaluated in MPFR, random test arrays of every precision, and bitwise
// comparison of results.

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>
#include <mpfr.h>

#include "gradlab/kernels/reduce.hpp"
#include "gradlab/scalar/scalar_traits.hpp"
#include "support/mp_values.hpp"

namespace gradlab::test {

// Precision of the reference. mpfr_sum rounds its result once, so a reference
// is within 2^-1023 of exact, relatively; every bound below adds that.
inline constexpr mpfr_prec_t oracle_bits = 1024;

// What the bound needs to know about a precision of fixed significand, from
// its scalar traits: its significand bits p (u = 2^-p to nearest), the
// exponent of its smallest subnormal (eta = 2^(emin - p + 1)) and its name.
template <fixed_precision_scalar T>
struct reduce_traits {
    static constexpr long bits = scalar_traits<T>::significand_bits();
    static constexpr long eta_exponent = scalar_traits<T>::emin() - bits + 1;
    static constexpr const char* name = scalar_traits<T>::name().data();  // a literal: NUL-terminated
};

// The exact value of x in out (out has at least x's precision).
inline void set_exact(mpfr_ptr out, float x) { mpfr_set_flt(out, x, MPFR_RNDN); }
inline void set_exact(mpfr_ptr out, double x) { mpfr_set_d(out, x, MPFR_RNDN); }
inline void set_exact(mpfr_ptr out, float128 x) { mpfr_set_float128(out, x.backend().value(), MPFR_RNDN); }
inline void set_exact(mpfr_ptr out, const mp_float& x) { mpfr_set(out, x.backend().data(), MPFR_RNDN); }

enum class term { value, magnitude, square };

// out = sum over i of x_i, |x_i| or x_i^2, each term exact, the sum rounded
// once to out's precision.
template <class T>
void reference_sum(std::span<const T> x, term kind, mpfr_ptr out) {
    std::vector<mp_float> terms = mp_values(x.size(), 64);
    std::vector<mpfr_ptr> pointers;
    for (std::size_t i = 0; i < x.size(); ++i) {
        mpfr_ptr t = terms[i].backend().data();
        mpfr_prec_t bits;
        if constexpr (std::is_same_v<T, mp_float>) bits = mpfr_get_prec(x[i].backend().data());
        else bits = reduce_traits<T>::bits;
        mpfr_set_prec(t, kind == term::square ? 2 * bits : bits);  // a square is exact at twice the bits
        set_exact(t, x[i]);
        if (kind == term::magnitude) mpfr_abs(t, t, MPFR_RNDN);
        if (kind == term::square) mpfr_sqr(t, t, MPFR_RNDN);
        pointers.push_back(t);
    }
    mpfr_sum(out, pointers.data(), pointers.size(), MPFR_RNDN);
}

// gamma_k = k u / (1 - k u), u = 2^-log2_inverse_u: gradlab::gamma at out's
// precision, for the oracle's bounds (u may be below double's range).
inline void gamma(mpfr_ptr out, std::size_t k, long log2_inverse_u) {
    mp ku(oracle_bits);
    mpfr_set_ui(ku.v, k, MPFR_RNDN);
    mpfr_div_2si(ku.v, ku.v, log2_inverse_u, MPFR_RNDN);
    mpfr_ui_sub(out, 1, ku.v, MPFR_RNDN);
    mpfr_div(out, ku.v, out, MPFR_RNDN);
}

// error / bound, in MPFR (both may be far below the double range); 0 when
// the error is 0, +Inf when it is not a number (a NaN or Inf result).
inline double error_over_bound(mpfr_ptr error, mpfr_srcptr bound) {
    if (mpfr_zero_p(error)) return 0;
    if (!mpfr_number_p(error)) return INFINITY;
    mpfr_div(error, error, bound, MPFR_RNDU);
    return mpfr_get_d(error, MPFR_RNDU);
}

// A reference value and the bound on a computed result's distance from it.
class reference_bound {
public:
    // |computed - reference| / bound: at most 1 when the bound holds.
    double error_over_bound(mpfr_srcptr computed) const {
        mp error(oracle_bits);
        mpfr_sub(error.v, computed, reference_.v, MPFR_RNDN);
        mpfr_abs(error.v, error.v, MPFR_RNDN);
        return test::error_over_bound(error.v, bound_.v);
    }

protected:
    mp reference_{oracle_bits}, bound_{oracle_bits};
};

// The exact sum and the bound gamma_D sum |x_i| (D = sum_rounding_depth(n),
// u = 2^-log2_inverse_u), computed once for any number of results.
class sum_bound : public reference_bound {
public:
    template <class T>
    sum_bound(std::span<const T> x, long log2_inverse_u) {
        reference_sum(x, term::value, reference_.v);
        mp magnitudes(oracle_bits), slack(oracle_bits);
        reference_sum(x, term::magnitude, magnitudes.v);
        gamma(bound_.v, sum_rounding_depth(x.size()), log2_inverse_u);
        mpfr_mul(bound_.v, bound_.v, magnitudes.v, MPFR_RNDN);
        mpfr_mul_2si(slack.v, magnitudes.v, -1000, MPFR_RNDN);  // the reference's own error
        mpfr_add(bound_.v, bound_.v, slack.v, MPFR_RNDN);
    }
};

// The exact norm and the bound ((1 + gamma_D)^(1/2) (1 + u) - 1) ||x|| + eta / 2
// (D = sum_of_squares_rounding_depth(n), eta = 2^eta_exponent, or 0 for a
// precision without subnormals), computed once.
class norm_bound : public reference_bound {
public:
    template <class T>
    norm_bound(std::span<const T> x, long log2_inverse_u, long eta_exponent, bool has_subnormals = true) {
        reference_sum(x, term::square, reference_.v);
        mpfr_sqrt(reference_.v, reference_.v, MPFR_RNDN);
        mp relative(oracle_bits), one_plus_u(oracle_bits);
        gamma(relative.v, sum_of_squares_rounding_depth(x.size()), log2_inverse_u);
        mpfr_add_ui(relative.v, relative.v, 1, MPFR_RNDN);
        mpfr_sqrt(relative.v, relative.v, MPFR_RNDN);
        mpfr_set_ui_2exp(one_plus_u.v, 1, -log2_inverse_u, MPFR_RNDN);
        mpfr_add_ui(one_plus_u.v, one_plus_u.v, 1, MPFR_RNDN);
        mpfr_mul(relative.v, relative.v, one_plus_u.v, MPFR_RNDN);
        mpfr_sub_ui(relative.v, relative.v, 1, MPFR_RNDN);
        mpfr_add_d(relative.v, relative.v, std::ldexp(1.0, -1000), MPFR_RNDN);  // the reference's own error
        mpfr_mul(bound_.v, relative.v, reference_.v, MPFR_RNDN);
        if (has_subnormals) {
            mp half_eta(oracle_bits);
            mpfr_set_ui_2exp(half_eta.v, 1, eta_exponent - 1, MPFR_RNDN);
            mpfr_add(bound_.v, bound_.v, half_eta.v, MPFR_RNDN);
        }
    }
};

// Array lengths for the reduction tests: around the 32 lanes (7, 17, 64,
// 129), one block plus one (4097), many blocks (100000).
inline constexpr std::size_t reduce_lengths[] = {0, 1, 7, 17, 64, 129, 4097, 100000};

// Checks error/bound ratios against 1 and reports the worst of a test case.
class worst_ratio {
public:
    explicit worst_ratio(std::string what) : what_(std::move(what)) {}
    void check(double ratio) {
        CHECK(ratio <= 1);
        worst_ = std::max(worst_, ratio);
    }
    void report() const { WARN(what_ << ": worst error / bound " << worst_); }

private:
    std::string what_;
    double worst_ = 0;
};

// The bound of the norm of fp32, fp64 or f128 values.
template <class T>
norm_bound native_norm_bound(std::span<const T> x) {
    return norm_bound(x, reduce_traits<T>::bits, reduce_traits<T>::eta_exponent);
}

// l2_norm(x) of fp32, fp64 (on instruction set `level`) or f128 over its bound.
template <class T>
double l2_norm_error_over_bound(std::span<const T> x, const norm_bound& bound, isa level) {
    mp computed(reduce_traits<T>::bits);
    if constexpr (std::is_same_v<T, float128>) set_exact(computed.v, l2_norm(x));
    else set_exact(computed.v, l2_norm(x, level));
    return bound.error_over_bound(computed.v);
}

// Random arrays: magnitudes log-uniform over [2^min_exponent, 2^max_exponent],
// random signs, full random significands.
template <class T>
std::vector<T> random_values(std::size_t n, int min_exponent, int max_exponent, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> significand(1.0, 2.0);
    std::uniform_int_distribution<int> exponent(min_exponent, max_exponent);
    std::vector<T> values;
    values.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        const int e = exponent(rng);
        T v;
        if constexpr (std::is_same_v<T, float128>)  // 113 random bits from two doubles
            v = ldexp(float128(significand(rng)) + ldexp(float128(significand(rng)), -53), e);
        else
            v = static_cast<T>(std::ldexp(significand(rng), e));
        values.push_back(rng() & 1 ? -v : v);
    }
    return values;
}

// The same for mp values of `bits` bits (bits random significand bits).
inline std::vector<mp_float> random_mp_values(std::size_t n, mpfr_prec_t bits, int min_exponent, int max_exponent,
                                              std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<int> exponent(min_exponent, max_exponent);
    auto values = mp_values(n, bits);
    for (auto& value : values) {
        mpfr_ptr v = value.backend().data();
        mpfr_set_ui(v, 1, MPFR_RNDN);
        for (mpfr_prec_t filled = 0; filled < bits; filled += 63) {
            mpfr_mul_2ui(v, v, 63, MPFR_RNDN);
            mpfr_add_ui(v, v, rng() >> 1, MPFR_RNDZ);
        }
        mpfr_set_exp(v, exponent(rng) + 1);  // magnitude in [2^e, 2^(e+1))
        if (rng() & 1) mpfr_neg(v, v, MPFR_RNDN);
    }
    return values;
}

// Bitwise equality of results (every NaN equal to every other).
inline bool same_bits(float a, float b) {
    return (a != a && b != b) || std::bit_cast<std::uint32_t>(a) == std::bit_cast<std::uint32_t>(b);
}
inline bool same_bits(double a, double b) {
    return (a != a && b != b) || std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}
inline bool same_bits(float128 a, float128 b) {
    if (isnan(a) && isnan(b)) return true;
    return std::memcmp(&a.backend().value(), &b.backend().value(), sizeof(__float128)) == 0;
}
inline bool same_bits(const mp_float& a, const mp_float& b) {
    mpfr_srcptr x = a.backend().data(), y = b.backend().data();
    if (mpfr_nan_p(x) || mpfr_nan_p(y)) return mpfr_nan_p(x) && mpfr_nan_p(y);
    return mpfr_get_prec(x) == mpfr_get_prec(y) && mpfr_equal_p(x, y) && mpfr_signbit(x) == mpfr_signbit(y);
}

}  // namespace gradlab::test

// Failed census comparisons print the counts.
template <>
struct Catch::StringMaker<gradlab::value_census> {
    static std::string convert(const gradlab::value_census& c) {
        return "{count " + std::to_string(c.count) + ", zeros " + std::to_string(c.zeros) + ", subnormals " +
               std::to_string(c.subnormals) + ", nans " + std::to_string(c.nans) + ", infinities " +
               std::to_string(c.infinities) + "}";
    }
};
