// gemm() at the edges, for every precision, layout and instruction set:
// k = 0 gives beta C; an empty C is left alone; NaN and Inf in A or B reach
// exactly the elements whose dot products meet them, by IEEE 754's rules
// (Inf x 0 and Inf - Inf are NaN); products and sums beyond the largest
// finite value give Inf; subnormal inputs are computed, not flushed.

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gradlab/kernels/gemm.hpp"
#include "support/gemm_oracle.hpp"

#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

using namespace gradlab;
using namespace gradlab::test;

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double quiet_nan = std::numeric_limits<double>::quiet_NaN();

// What IEEE 754 makes of a value: NaN, +Inf, -Inf or a finite number.
template <class T>
std::string value_class(const T& x) {
    mp scratch(128);
    const mpfr_srcptr v = exact_value(x, scratch);
    if (mpfr_nan_p(v)) return "NaN";
    if (mpfr_inf_p(v)) return mpfr_sgn(v) > 0 ? "+Inf" : "-Inf";
    return "finite";
}

template <class T>
double to_double(const T& x) {
    mp scratch(128);
    return mpfr_get_d(exact_value(x, scratch), MPFR_RNDN);
}

// x times a small integer, exactly, at x's precision.
template <class T>
T times(const T& x, long factor) {
    T y = x;
    if constexpr (std::is_same_v<T, mp_float>) mpfr_mul_si(y.backend().data(), x.backend().data(), factor, MPFR_RNDN);
    else y = x * static_cast<T>(factor);
    return y;
}

// Checks every element of got against expected(i, j) bit for bit.
template <class T, class Expected>
void check_elements(const matrix<T>& got, const Expected& expected) {
    std::string first;
    const std::size_t differences = count_differences(got, expected, first);
    INFO(differences << " elements differ, the first at " << first);
    CHECK(differences == 0);
}

}  // namespace

TEST_CASE("gemm: k = 0 gives beta C exactly, and zeros with beta 0 even over NaN", "[kernels][gemm]") {
    for_each_gemm_case([](const auto& c) {
        using T = typename std::decay_t<decltype(c)>::value_type;
        const gemm_inputs<T> x(c, {7, 37, 0});
        for_each_variant_and_layout(c, [&](const auto& v, gemm_layout layout) {
            // alpha is irrelevant; beta -2 and 1 are exact
            const auto doubled = gemm_result(v, layout, c.value(3), x.op_a, x.op_b, c.value(-2), x.c0);
            check_elements(doubled, [&](std::size_t i, std::size_t j) { return times(x.c0(i, j), -2); });
            const auto same = gemm_result(v, layout, c.value(3), x.op_a, x.op_b, c.value(1), x.c0);
            check_elements(same, x.c0);
            auto stale = c.make(7, 37);
            stale.fill(c.value(quiet_nan));
            const auto zeros = gemm_result(v, layout, c.value(3), x.op_a, x.op_b, c.value(0), stale);
            for (const auto& z : zeros.elements()) CHECK(to_double(z) == 0);
        });
    });
}

TEST_CASE("gemm: an empty C (m or n = 0) is left alone, whatever k", "[kernels][gemm]") {
    for_each_gemm_case([](const auto& c) {
        using T = typename std::decay_t<decltype(c)>::value_type;
        for (gemm_dims d :
             {gemm_dims{0, 5, 3}, gemm_dims{4, 0, 3}, gemm_dims{0, 0, 0}, gemm_dims{0, 5, 0}, gemm_dims{0, 0, 9}}) {
            const gemm_inputs<T> x(c, d);
            for_each_variant_and_layout(c, [&](const auto& v, gemm_layout layout) {
                INFO(d.m << "x" << d.n << "x" << d.k);
                matrix<T> result;
                CHECK_NOTHROW(result = gemm_result(v, layout, c.value(1), x.op_a, x.op_b, c.value(0.5), x.c0));
                CHECK((result.rows() == d.m && result.cols() == d.n));
            });
        }
    });
}

TEST_CASE("gemm: NaN and Inf reach exactly the elements whose terms meet them (Inf x 0, Inf - Inf are NaN)",
          "[kernels][gemm]") {
    // op(A), op(B) and C0 finite and moderate but for the specials placed
    // below; what each element must be follows from IEEE 754 alone, so the
    // same sum in double (no overflow at these magnitudes) predicts it.
    for_each_gemm_case([](const auto& c) {
        using T = typename std::decay_t<decltype(c)>::value_type;
        // 300: the specials in a later k block of fp32 and fp64 too
        for (gemm_dims d : {gemm_dims{9, 8, 7}, gemm_dims{9, 40, 300}}) {
            gemm_inputs<T> x(c, d);
            const std::size_t last = d.k - 1;
            x.op_a(1, 2) = c.value(quiet_nan);  // row 1: NaN
            x.op_a(3, last) = c.value(inf);     // row 3: +-Inf where op(B)(last, j) is nonzero ...
            x.op_b(last, 2) = c.value(0);       // ... NaN at (3, 2): Inf x 0
            x.op_b(5, 6) = c.value(-inf);       // column 6: -+Inf, and Inf - Inf at (3, 6) when the signs meet
            x.op_a(7, 5) = c.value(0);          // ... NaN at (7, 6): 0 x Inf
            x.c0(2, 3) = c.value(quiet_nan);    // with beta != 0 only
            x.c0(4, 1) = c.value(-inf);
            for (const auto& [alpha, beta] : {std::pair{1.0, 0.0}, std::pair{-2.0, 1.5}}) {
                matrix<std::string> predicted(d.m, d.n);
                for (std::size_t i = 0; i < d.m; ++i)
                    for (std::size_t j = 0; j < d.n; ++j) {
                        double dot = 0;
                        for (std::size_t l = 0; l < d.k; ++l) dot += to_double(x.op_a(i, l)) * to_double(x.op_b(l, j));
                        predicted(i, j) =
                            value_class(beta == 0 ? alpha * dot : alpha * dot + beta * to_double(x.c0(i, j)));
                    }
                for_each_variant_and_layout(c, [&](const auto& v, gemm_layout layout) {
                    const auto got = gemm_result(v, layout, c.value(alpha), x.op_a, x.op_b, c.value(beta), x.c0);
                    std::size_t wrong = 0;
                    std::string first;
                    for (std::size_t i = 0; i < d.m; ++i)
                        for (std::size_t j = 0; j < d.n; ++j) {
                            const auto have = value_class(got(i, j));
                            if (have != predicted(i, j) && wrong++ == 0)
                                first = position(i, j) + " is " + have + ", not " + predicted(i, j);
                        }
                    INFO(d.m << "x" << d.n << "x" << d.k << ", alpha " << alpha << " beta " << beta << ": " << wrong
                             << " wrong, first " << first);
                    CHECK(wrong == 0);
                });
            }
        }
    });
}

TEST_CASE("gemm: products and sums beyond the largest finite value give Inf", "[kernels][gemm]") {
    // Every precision but mp, whose exponent range no test value approaches.
    for_each_gemm_case([](const auto& c) {
        using T = typename std::decay_t<decltype(c)>::value_type;
        if (!c.largest) return;
        const T largest = *c.largest, half = largest * c.value(0.5);
        gemm_inputs<T> x(c, {3, 4, 5}, -1, 1);  // row 2 stays finite
        x.op_a(0, 0) = largest;                 // a product beyond: largest x +-4
        x.op_b(0, 0) = c.value(4);
        x.op_b(0, 1) = c.value(-4);
        for (std::size_t l = 0; l < 3; ++l) x.op_a(1, l) = half;  // a sum beyond: three times 0.75 largest
        for (std::size_t l = 0; l < 3; ++l) x.op_b(l, 2) = c.value(1.5);
        for_each_variant_and_layout(c, [&](const auto& v, gemm_layout layout) {
            const auto got = gemm_result(v, layout, c.value(1), x.op_a, x.op_b, c.value(0), x.c0);
            CHECK(to_double(got(0, 0)) == inf);
            CHECK(to_double(got(0, 1)) == -inf);
            CHECK(to_double(got(1, 2)) == inf);
            CHECK(std::isfinite(to_double(got(2, 3))));
        });
    });
}

TEST_CASE("gemm: subnormal inputs give their exact subnormal sums, not zeros, even under the caller's FTZ and DAZ",
          "[kernels][gemm]") {
    // op(A)(i, l) = (1 + (i + l) mod 5) eta, eta the smallest subnormal, and
    // op(B) = +-1: every partial sum is a multiple of eta below 2^p eta, so a
    // value of the precision, and the result is exact in any order. Then once
    // more with flush-to-zero and denormals-are-zero set by the caller, as
    // -ffast-math's start-up code sets them.
    for_each_gemm_case([](const auto& c) {
        using T = typename std::decay_t<decltype(c)>::value_type;
        if (!c.eta_exponent) return;  // mp: no subnormals
        using std::ldexp;
        const T eta = ldexp(T(1), static_cast<int>(*c.eta_exponent));
        // fp32, fp64, f128: two k blocks, and threads; the formats: sums below 2^8 eta
        const gemm_dims d = c.format ? gemm_dims{6, 5, 17} : gemm_dims{30, 37, 300};
        gemm_inputs<T> x(c, d, 0, 0);
        auto expected = c.make(d.m, d.n);
        for (std::size_t i = 0; i < d.m; ++i) {
            long multiple = 0;
            for (std::size_t l = 0; l < d.k; ++l) {
                x.op_a(i, l) = static_cast<T>(1 + (i + l) % 5) * eta;
                multiple += static_cast<long>(1 + (i + l) % 5);
            }
            for (std::size_t j = 0; j < d.n; ++j) expected(i, j) = static_cast<T>(j % 2 ? -multiple : multiple) * eta;
        }
        for (std::size_t l = 0; l < d.k; ++l)
            for (std::size_t j = 0; j < d.n; ++j) x.op_b(l, j) = c.value(j % 2 ? -1 : 1);
        for_each_variant_and_layout(c, [&](const auto& v, gemm_layout layout) {
            check_elements(gemm_result(v, layout, c.value(1), x.op_a, x.op_b, c.value(0), x.c0), expected);
#if defined(__x86_64__)
            const unsigned saved = _mm_getcsr();
            _mm_setcsr(saved | (1u << 15) | (1u << 6));
            const auto got = gemm_result(v, layout, c.value(1), x.op_a, x.op_b, c.value(0), x.c0);
            const unsigned during = _mm_getcsr();
            _mm_setcsr(saved);
            INFO("under FTZ and DAZ");
            CHECK(during == (saved | (1u << 15) | (1u << 6)));  // the caller's modes are back
            check_elements(got, expected);
#endif
        });
    });
}
