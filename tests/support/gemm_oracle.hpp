#pragma once
// The oracle for the GEMM tests: every precision's gemm behind one interface
// (gemm_case), random operands stored in each layout, the exact
// alpha op(A) op(B) + beta C0 computed by MPFR from the exact element values,
// and the error bound a computed element must meet (gemm_bound).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>
#include <mpfr.h>

#include "gradlab/kernels/gemm.hpp"
#include "gradlab/tensor/matrix.hpp"
#include "support/reduce_oracle.hpp"

namespace gradlab::test {

inline constexpr gemm_layout all_gemm_layouts[] = {gemm_layout::nt, gemm_layout::nn, gemm_layout::tn};

// ---------------------------------------------------------------------------
// Values of any precision, seen through MPFR

// Significand bits of x.
template <class T>
long bits_of(const T& x) {
    if constexpr (std::is_same_v<T, mp_float>) return mpfr_get_prec(x.backend().data());
    else return reduce_traits<T>::bits;
}

// x's exact value: x itself for mp, else `scratch` (113 bits or more) set to it.
template <class T>
mpfr_srcptr exact_value(const T& x, mp& scratch) {
    if constexpr (std::is_same_v<T, mp_float>) {
        return x.backend().data();
    } else {
        set_exact(scratch.v, x);
        return scratch.v;
    }
}

// "(i, j)", for messages.
inline std::string position(std::size_t i, std::size_t j) {
    char text[48];
    std::snprintf(text, sizeof text, "(%zu, %zu)", i, j);
    return text;
}

// Bitwise equality of got(i, j) and expected(i, j), a matrix or a function
// (every NaN equal to every other; mp: the precisions too). Returns the
// number of elements that differ, and puts the first one's position in `where`.
template <class T, class Expected>
std::size_t count_differences(const matrix<T>& got, const Expected& expected, std::string& where) {
    std::size_t count = 0;
    for (std::size_t i = 0; i < got.rows(); ++i)
        for (std::size_t j = 0; j < got.cols(); ++j)
            if (!same_bits(got(i, j), expected(i, j)) && count++ == 0) where = position(i, j);
    return count;
}

// ---------------------------------------------------------------------------
// The precisions under test

// The rounding of one operation: relative error at most u = 2^-log2_inverse_u
// (2^-p to nearest; 2^(1-p), a whole step, for the directed and stochastic
// modes), and where the precision has subnormals, an absolute error of at
// most eta = 2^eta_exponent (its smallest subnormal) on underflow.
struct rounding_unit {
    long log2_inverse_u = 0;
    std::optional<long> eta_exponent;
};

template <class T>
rounding_unit native_unit() {
    return {reduce_traits<T>::bits, reduce_traits<T>::eta_exponent};
}

inline rounding_unit unit_of(const float_format& format, rounding_mode mode) {
    const long p = format.precision;
    return {mode == rounding_mode::nearest_even ? p : p - 1, format.emin - p + 1};
}

// One precision's gemm, made uniform: every variant (one per instruction set
// for fp32, fp64 and the emulated formats) computes C = alpha op(A) op(B) + beta C.
template <class T>
struct gemm_case {
    using value_type = T;
    using run_type = std::function<void(gemm_layout, const T& alpha, matrix_view<const T> a, matrix_view<const T> b,
                                        const T& beta, matrix_view<T> c)>;
    struct variant {
        std::string name;  // "fp32 avx2"
        run_type run;
        std::optional<isa> level = std::nullopt;  // fp32, fp64 and emulated: the instruction set
    };

    std::string name;  // "fp32", "bf16/rn+acc32", "mp256"
    long bits = 0;     // of the elements; what matrix<mp_float> is made with
    rounding_unit unit;
    // +acc32: the one rounding of the fp32 result to the format, after `unit`'s.
    std::optional<rounding_unit> final_rounding;
    std::optional<float_format> format;  // emulated: the values are this format's
    std::optional<T> largest;            // the largest finite value; none for mp
    std::optional<long> eta_exponent;    // the smallest subnormal value is 2^eta_exponent; none for mp
    // Magnitudes in [2^min_exponent, 2^(max_exponent + 1)) keep sums of 300
    // products, times 2, far from overflow (fp16: 300 * 2^6 * 2 < 65504).
    int min_exponent = -10, max_exponent = 10;
    std::function<T(double)> value;  // a double rounded to nearest in the precision
    std::vector<variant> variants;

    matrix<T> make(std::size_t rows, std::size_t cols) const { return matrix<T>(rows, cols, element_precision{bits}); }
};

template <class T>
gemm_case<T> native_case() {
    gemm_case<T> c;
    c.name = reduce_traits<T>::name;
    c.bits = reduce_traits<T>::bits;
    c.unit = native_unit<T>();
    c.eta_exponent = c.unit.eta_exponent;
    // (2 - 2^(1-p)) 2^emax, spelt out: numeric_limits<float128>::max() does
    // not compile with Boost 1.74 in C++20
    using std::ldexp;
    c.largest = ldexp(T(2) - ldexp(T(1), 1 - reduce_traits<T>::bits), std::numeric_limits<T>::max_exponent - 1);
    c.value = [](double x) { return static_cast<T>(x); };
    if constexpr (std::is_same_v<T, float128>) {
        c.variants.push_back(
            {c.name, [](gemm_layout layout, const T& alpha, matrix_view<const T> a, matrix_view<const T> b,
                        const T& beta, matrix_view<T> out) { gemm(layout, alpha, a, b, beta, out); }});
    } else {
        for (isa level : supported_isas())
            c.variants.push_back(
                {c.name + " " + std::string(isa_name(level)),
                 [level](gemm_layout layout, const T& alpha, matrix_view<const T> a, matrix_view<const T> b,
                         const T& beta, matrix_view<T> out) { gemm(layout, alpha, a, b, beta, out, level); },
                 level});
    }
    return c;
}

inline gemm_case<mp_float> mp_case(long bits) {
    gemm_case<mp_float> c;
    c.name = std::string("mp") + std::to_string(bits);
    c.bits = bits;
    c.unit = {bits, std::nullopt};
    c.value = [bits](double x) { return to_mp(x, static_cast<int>(bits)); };
    c.variants.push_back({c.name, [](gemm_layout layout, const mp_float& alpha, matrix_view<const mp_float> a,
                                     matrix_view<const mp_float> b, const mp_float& beta,
                                     matrix_view<mp_float> out) { gemm(layout, alpha, a, b, beta, out); }});
    return c;
}

inline gemm_case<float> emulated_case(const float_format& format, rounding_mode mode, gemm_accumulation accumulation,
                                      sr_stream sr = {.key = 0x5eed}, std::vector<isa> levels = supported_isas()) {
    const bool acc32 = accumulation == gemm_accumulation::fp32;
    gemm_case<float> c;
    c.name = format.name + "/" + std::string(short_name(mode)) + (acc32 ? "+acc32" : "");
    c.bits = format.precision;
    c.unit = acc32 ? native_unit<float>() : unit_of(format, mode);
    if (acc32) c.final_rounding = unit_of(format, mode);
    c.format = format;
    c.largest = static_cast<float>(format.max_finite());
    c.eta_exponent = unit_of(format, mode).eta_exponent;
    // narrower for fp16: 600 products stay below 2^(emax+1), each above 2^(emin+4)
    c.max_exponent = std::min(c.max_exponent, (format.emax + 1 - 10) / 2 - 1);
    c.min_exponent = std::max(c.min_exponent, (format.emin + 4) / 2);
    c.value = [format](double x) {
        return static_cast<float>(round_to_format(x, format, rounding_mode::nearest_even));
    };
    for (isa level : levels)
        c.variants.push_back({c.name + " " + std::string(isa_name(level)),
                              [=](gemm_layout layout, float alpha, matrix_view<const float> a,
                                  matrix_view<const float> b, float beta, matrix_view<float> out) {
                                  gemm(layout, alpha, a, b, beta, out, format, mode, accumulation, sr, level);
                              },
                              level});
    return c;
}

// Calls f(variant, layout) for every variant of c and every layout, with
// their names in Catch's messages.
template <class T, class F>
void for_each_variant_and_layout(const gemm_case<T>& c, F f) {
    for (const auto& v : c.variants)
        for (gemm_layout layout : all_gemm_layouts) {
            INFO(v.name << " " << gemm_layout_name(layout));
            f(v, layout);
        }
}

// Calls f(gemm_case) for every precision: fp32, fp64, f128, mp128, mp256,
// and fp16 and bf16 in both accumulation policies, rounding in each of `modes`.
template <class F>
void for_each_gemm_case(F&& f, std::initializer_list<rounding_mode> modes = {rounding_mode::nearest_even}) {
    f(native_case<float>());
    f(native_case<double>());
    f(native_case<float128>());
    f(mp_case(128));
    f(mp_case(256));
    for (const auto& format : {binary16(), bfloat16()})
        for (rounding_mode mode : modes)
            for (auto accumulation : {gemm_accumulation::format, gemm_accumulation::fp32})
                f(emulated_case(format, mode, accumulation));
}

// ---------------------------------------------------------------------------
// Operands

// rows x cols values of the case's precision: magnitudes log-uniform over
// [2^min_exponent, 2^(max_exponent + 1)), random signs, random significands.
template <class T>
matrix<T> random_matrix(const gemm_case<T>& c, std::size_t rows, std::size_t cols, int min_exponent, int max_exponent,
                        std::uint64_t seed) {
    std::vector<T> values;
    if constexpr (std::is_same_v<T, mp_float>) {
        values = random_mp_values(rows * cols, c.bits, min_exponent, max_exponent, seed);
    } else {
        values = random_values<T>(rows * cols, min_exponent, max_exponent, seed);
        if constexpr (std::is_same_v<T, float>)
            for (auto& v : values) v = c.value(v);  // emulated: to the format
    }
    matrix<T> x = c.make(rows, cols);
    for (std::size_t e = 0; e < values.size(); ++e) detail::assign_value(x.elements()[e], values[e]);
    return x;
}

struct gemm_dims {
    std::size_t m, n, k;
};

// op(A) (m x k), op(B) (k x n) and C0 (m x n), random as random_matrix makes
// them, seeded by the shape; A and B in the precisions of a_case and b_case
// when given.
template <class T>
struct gemm_inputs {
    matrix<T> op_a, op_b, c0;
    gemm_inputs(const gemm_case<T>& c, gemm_dims d) : gemm_inputs(c, d, c.min_exponent, c.max_exponent) {}
    gemm_inputs(const gemm_case<T>& c, gemm_dims d, int min_exponent, int max_exponent,
                const gemm_case<T>* a_case = nullptr, const gemm_case<T>* b_case = nullptr) {
        const std::uint64_t seed = d.m * 1000003 + d.n * 1009 + d.k;
        op_a = random_matrix(a_case ? *a_case : c, d.m, d.k, min_exponent, max_exponent, seed);
        op_b = random_matrix(b_case ? *b_case : c, d.k, d.n, min_exponent, max_exponent, seed + 1);
        c0 = random_matrix(c, d.m, d.n, min_exponent, max_exponent, seed + 2);
    }
};

template <class T>
matrix<T> transposed(const matrix<T>& x) {
    matrix<T> t(x.cols(), x.rows(), element_precision{x.empty() ? 2 : bits_of(x(0, 0))});
    for (std::size_t i = 0; i < x.rows(); ++i)
        for (std::size_t j = 0; j < x.cols(); ++j) detail::assign_value(t(j, i), x(i, j));
    return t;
}

// A and B as gemm takes them in `layout`, from op(A) (m x k) and op(B) (k x n).
template <class T>
struct gemm_operands {
    matrix<T> a, b;
    gemm_operands(gemm_layout layout, const matrix<T>& op_a, const matrix<T>& op_b)
        : a(layout == gemm_layout::tn ? transposed(op_a) : op_a),
          b(layout == gemm_layout::nt ? transposed(op_b) : op_b) {}
};

// C = alpha op(A) op(B) + beta C0 by one variant, in `layout`.
template <class T>
matrix<T> gemm_result(const typename gemm_case<T>::variant& v, gemm_layout layout, const T& alpha,
                      const matrix<T>& op_a, const matrix<T>& op_b, const T& beta, const matrix<T>& c0) {
    const gemm_operands<T> x(layout, op_a, op_b);
    matrix<T> c = c0;
    v.run(layout, alpha, x.a.view(), x.b.view(), beta, c.view());
    return c;
}

// ---------------------------------------------------------------------------
// The exact product and the bound

// alpha op(A) op(B) + beta C0, element by element: each of the k + 1 terms
// alpha a_il b_lj and beta c0_ij is exact (at the sum of its factors' bits),
// and mpfr_sum rounds their sum once to oracle_bits (1024). So the reference
// is within 2^-1024 |exact| of the exact value, whatever the cancellation:
// 2^-768 of the unit roundoff of mp256, the widest precision tested, and
// gemm_bound adds 2^-1000 M for it.
template <class T>
class gemm_oracle {
public:
    gemm_oracle(const matrix<T>& op_a, const matrix<T>& op_b, const T& alpha, const T& beta, const matrix<T>& c0)
        : n_(op_b.cols()), k_(op_a.cols()) {
        mp scratch(128), factor(128);
        mpfr_set_prec(factor.v, bits_of(alpha));
        mpfr_set(factor.v, exact_value(alpha, scratch), MPFR_RNDN);
        scaled_a_ = scaled(op_a, factor.v, term_bits_);
        long b_bits = 0;
        b_columns_ = scaled(transposed(op_b), nullptr, b_bits);  // element (i, j) reads a row of each
        term_bits_ += b_bits;
        mpfr_set_prec(factor.v, bits_of(beta));
        mpfr_set(factor.v, exact_value(beta, scratch), MPFR_RNDN);
        long c_bits = 0;
        scaled_c0_ = scaled(c0, factor.v, c_bits);
        term_bits_ = std::max(term_bits_, c_bits);
    }

    std::size_t k() const { return k_; }

    // Scratch for element(): one per thread.
    std::vector<mp_float> make_terms() const { return mp_values(k_ + 1, term_bits_); }

    // exact = alpha op(A) op(B) + beta C0 at (i, j), rounded to oracle_bits;
    // magnitude = the same sum of |terms|, rounded up.
    void element(std::size_t i, std::size_t j, std::vector<mp_float>& terms, mpfr_ptr exact, mpfr_ptr magnitude) const {
        std::vector<mpfr_ptr> pointers(k_ + 1);
        for (std::size_t l = 0; l < k_; ++l) {
            pointers[l] = terms[l].backend().data();
            mpfr_mul(pointers[l], scaled_a_[i * k_ + l].backend().data(), b_columns_[j * k_ + l].backend().data(),
                     MPFR_RNDN);
        }
        pointers[k_] = terms[k_].backend().data();
        mpfr_set(pointers[k_], scaled_c0_[i * n_ + j].backend().data(), MPFR_RNDN);
        mpfr_sum(exact, pointers.data(), k_ + 1, MPFR_RNDN);
        for (mpfr_ptr t : pointers) mpfr_abs(t, t, MPFR_RNDN);
        mpfr_sum(magnitude, pointers.data(), k_ + 1, MPFR_RNDU);
    }

private:
    // factor * x (x when factor is null), exactly; `bits` is set to the widest.
    static std::vector<mp_float> scaled(const matrix<T>& x, mpfr_srcptr factor, long& bits) {
        std::vector<mp_float> out = mp_values(x.size(), 2);
        mp scratch(128);
        bits = 0;
        for (std::size_t e = 0; e < x.size(); ++e) {
            const long b = bits_of(x.elements()[e]) + (factor ? mpfr_get_prec(factor) : 0);
            bits = std::max(bits, b);
            mpfr_ptr o = out[e].backend().data();
            mpfr_set_prec(o, b);
            mpfr_set(o, exact_value(x.elements()[e], scratch), MPFR_RNDN);
            if (factor) mpfr_mul(o, o, factor, MPFR_RNDN);
        }
        return out;
    }

    std::size_t n_, k_;
    long term_bits_ = 0;
    std::vector<mp_float> scaled_a_, b_columns_, scaled_c0_;
};

// The bound on |computed - exact| for one element, with X the exact value and
// M = |alpha| |op(A)| |op(B)| + |beta| |C0| there:
//
//   (1 + u_f) (gamma_s(u) M + 2 s eta) + u_f |X| + eta_f + 2^-1000 M.
//
// gamma_s M is the standard bound (Higham, Accuracy and Stability, 3.1): with
// alpha = 1 and beta = 0, s = k, the bound gemm.hpp states. Otherwise
// s = k + 2: a term alpha a_l b_l meets at most k roundings inside the dot
// product, one more when scaled by alpha and one when beta C0's term is added
// (blocked along k, a term of a block of kc meets kc inside it, one for alpha
// and one per block added after it, and each of the other blocks holds at
// least one term, so still at most k + 2); beta c0 meets one for beta and at
// most k more. So |C - (alpha A B + beta C0)| <= gamma_(k+2) M.
// 2 s eta: each of the at most s multiplications (or fused multiply-adds) may
// also lose up to eta absolutely on underflow (Higham's model
// fl(x y) = x y (1 + d) + e, |e| <= eta; an addition that underflows is
// exact), and the later roundings grow that by at most 1 + gamma_s <= 2 (s u
// stays below 1/2 in every test).
// u_f, eta_f: +acc32 rounds the fp32 result C32 once more, to the format:
// C = C32 (1 + d) + e with |d| <= u_f, |e| <= eta_f, so
// |C - X| <= |C32 - X| + u_f (|X| + |C32 - X|) + eta_f; zero without it.
// 2^-1000 M: the reference's own error (gemm_oracle).
class gemm_bound {
public:
    gemm_bound(std::size_t k, bool alpha_one_beta_zero, rounding_unit unit,
               std::optional<rounding_unit> final_rounding = std::nullopt) {
        const std::size_t s = alpha_one_beta_zero ? k : k + 2;
        REQUIRE(std::ldexp(static_cast<double>(s), static_cast<int>(-unit.log2_inverse_u)) < 0.5);
        gamma(gamma_.v, s, unit.log2_inverse_u);
        for (mpfr_ptr zero : {underflow_.v, final_u_.v, final_eta_.v}) mpfr_set_zero(zero, 1);
        if (unit.eta_exponent) mpfr_set_ui_2exp(underflow_.v, 2 * s, *unit.eta_exponent, MPFR_RNDU);
        mpfr_set_ui(outer_scale_.v, 1, MPFR_RNDN);
        if (final_rounding) {
            mpfr_set_ui_2exp(final_u_.v, 1, -final_rounding->log2_inverse_u, MPFR_RNDN);
            mpfr_add(outer_scale_.v, outer_scale_.v, final_u_.v, MPFR_RNDU);
            if (final_rounding->eta_exponent)
                mpfr_set_ui_2exp(final_eta_.v, 1, *final_rounding->eta_exponent, MPFR_RNDN);
        }
    }

    // The bound at an element of exact value `exact` and magnitude M.
    void evaluate(mpfr_ptr bound, mpfr_srcptr exact, mpfr_srcptr magnitude) const {
        mp t(bound_bits);
        mpfr_mul(bound, gamma_.v, magnitude, MPFR_RNDU);
        mpfr_add(bound, bound, underflow_.v, MPFR_RNDU);
        mpfr_mul(bound, bound, outer_scale_.v, MPFR_RNDU);
        mpfr_abs(t.v, exact, MPFR_RNDU);
        mpfr_mul(t.v, t.v, final_u_.v, MPFR_RNDU);
        mpfr_add(bound, bound, t.v, MPFR_RNDU);
        mpfr_add(bound, bound, final_eta_.v, MPFR_RNDU);
        mpfr_mul_2si(t.v, magnitude, -1000, MPFR_RNDU);
        mpfr_add(bound, bound, t.v, MPFR_RNDU);
    }

    // Bounds are evaluated rounding up, at this precision: an error / bound
    // ratio needs no more.
    static constexpr mpfr_prec_t bound_bits = 64;

private:
    mp gamma_{bound_bits}, underflow_{bound_bits}, outer_scale_{bound_bits}, final_u_{bound_bits},
        final_eta_{bound_bits};
};

// The worst error / bound of each result over every element, and where.
struct worst_element {
    double ratio = 0;
    std::string where;
};

// A computed C and the bound it must meet.
template <class T>
struct bounded_result {
    std::string name;
    matrix<T> c;
    const gemm_bound* bound;
};

// Compares every result (each computed from the oracle's operands) with the
// oracle, element by element; OpenMP over rows, each element's exact value
// computed once for all results, each bound evaluated once for the results
// that follow it with the same bound.
template <class T>
std::vector<worst_element> worst_over_bound(const gemm_oracle<T>& oracle, std::span<const bounded_result<T>> results) {
    std::vector<worst_element> worst(results.size());
    if (results.empty() || results[0].c.empty()) return worst;
    const std::size_t m = results[0].c.rows(), n = results[0].c.cols();
    std::vector<double> ratios(m * n * results.size());
    // threads from some 100 us of work on (in terms: ~50 ns each)
#pragma omp parallel if (m * n * (oracle.k() + results.size()) >= 2048)
    {
        auto terms = oracle.make_terms();
        mp exact(oracle_bits), magnitude(oracle_bits), scratch(128), limit(gemm_bound::bound_bits),
            error(gemm_bound::bound_bits);
#pragma omp for schedule(dynamic)
        for (std::size_t i = 0; i < m; ++i)
            for (std::size_t j = 0; j < n; ++j) {
                oracle.element(i, j, terms, exact.v, magnitude.v);
                for (std::size_t r = 0; r < results.size(); ++r) {
                    if (r == 0 || results[r].bound != results[r - 1].bound)
                        results[r].bound->evaluate(limit.v, exact.v, magnitude.v);
                    mpfr_sub(error.v, exact_value(results[r].c(i, j), scratch), exact.v, MPFR_RNDN);
                    mpfr_abs(error.v, error.v, MPFR_RNDN);
                    ratios[(r * m + i) * n + j] = test::error_over_bound(error.v, limit.v);
                }
            }
    }
    for (std::size_t r = 0; r < results.size(); ++r)
        for (std::size_t e = 0; e < m * n; ++e) {
            const double ratio = ratios[r * m * n + e];
            if (!(ratio <= worst[r].ratio)) {  // NaN included
                worst[r].ratio = std::isnan(ratio) ? INFINITY : ratio;
                worst[r].where = position(e / n, e % n);
            }
        }
    return worst;
}

// The worst error / bound per name (a variant), reported at the end.
class worst_ratios {
public:
    void record(const std::string& name, double ratio) {
        auto& w = worst_[name];
        w = std::max(w, ratio);
    }
    void report(const std::string& what) const {
        std::string text = what + ", worst error / bound:";
        for (const auto& [name, ratio] : worst_) {
            char line[160];
            std::snprintf(line, sizeof line, "\n  %-46s %.3g", name.c_str(), ratio);
            text += line;
        }
        WARN(text);
    }

private:
    std::map<std::string, double> worst_;
};

}  // namespace gradlab::test
