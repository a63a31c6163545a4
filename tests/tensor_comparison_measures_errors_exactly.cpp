// compare_tensor's metrics against a brute-force oracle: every difference
// |x_i - r_i| computed exactly in MPFR at 2048 bits (the data span less than
// 2^100 in magnitude and the references have 256 bits, so nothing rounds),
// ulp(r) from scalar/conversions' ulp_of. The absolute, ULP and scaled errors
// are that exact value rounded once, so they must be equal, as must the
// worst indices and the beyond-tolerance counts; the maximum relative error
// divides at 128 bits (2^-126) before its rounding to long double, so it is
// checked to 2^-62 relative (the two roundings, one ulp of long double);
// the normwise error sums 128-bit terms, so n 2^-127 plus the roundings:
// 2^-60 relative.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include "gradlab/validate/tensor_comparison.hpp"
#include "support/mp_values.hpp"

using namespace gradlab;
using probe::ulp_scale;
using validate::compare_tensor;
using validate::tensor_comparison;

namespace {

constexpr mpfr_prec_t reference_bits = 256;
constexpr mpfr_prec_t oracle_bits = 2048;
constexpr long double ld_inf = std::numeric_limits<long double>::infinity();
constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double qnan = std::numeric_limits<double>::quiet_NaN();

const ulp_scale fp32_grid{24, -126}, fp64_grid{53, -1022};

const float_format& format_of(const ulp_scale& grid) {
    static const float_format fp32 = binary32(), fp64 = binary64();
    return grid.precision == 24 ? fp32 : fp64;
}

std::vector<mp_float> reference_of(const std::vector<double>& values) {
    auto r = test::mp_values(values.size(), reference_bits);
    for (std::size_t i = 0; i < values.size(); ++i) mpfr_set_d(r[i].backend().data(), values[i], MPFR_RNDN);
    return r;
}

tensor_comparison compare_vectors(const std::vector<double>& x, const std::vector<mp_float>& r,
                                  const ulp_scale& grid = fp64_grid) {
    return compare_tensor(std::span<const double>(x), std::span<const mp_float>(r), grid);
}

// ulp(r) on the grid, by the scalar module: r truncated to double keeps its binade.
double ulp_at(mpfr_srcptr r, const ulp_scale& grid) {
    return ulp_of(std::fabs(mpfr_get_d(r, MPFR_RNDZ)), format_of(grid));
}

// The metrics of finite x and r, each from exact differences.
struct oracle {
    tensor_comparison expected;
    std::deque<test::mp> elementwise, scaled;  // each entry's ULP errors, exact
    static std::size_t beyond(const std::deque<test::mp>& errors, long double t) {
        return static_cast<std::size_t>(std::count_if(errors.begin(), errors.end(),
                                                      [&](const test::mp& e) { return mpfr_cmp_ld(e.v, t) > 0; }));
    }
};

long double ld(mpfr_srcptr v) { return mpfr_get_ld(v, MPFR_RNDN); }

void brute_force(const std::vector<double>& x, const std::vector<mp_float>& r, const ulp_scale& grid, oracle& o) {
    const std::size_t n = x.size();
    test::mp d(oracle_bits), q(oracle_bits), largest_d(oracle_bits), largest_r(oracle_bits), dd(oracle_bits),
        rr(oracle_bits);
    mpfr_set_zero(largest_d.v, 1);
    mpfr_set_zero(largest_r.v, 1);
    mpfr_set_zero(dd.v, 1);
    mpfr_set_zero(rr.v, 1);
    for (const auto& ri : r)
        if (mpfr_cmpabs(ri.backend().data(), largest_r.v) > 0)
            REQUIRE(mpfr_abs(largest_r.v, ri.backend().data(), MPFR_RNDN) == 0);
    const double scale_ulp = ulp_at(largest_r.v, grid);

    o.expected.count = n;
    std::vector<long double> ulps;
    for (std::size_t i = 0; i < n; ++i) {
        mpfr_srcptr ri = r[i].backend().data();
        REQUIRE(mpfr_sub_d(d.v, ri, x[i], MPFR_RNDN) == 0);  // exact
        mpfr_abs(d.v, d.v, MPFR_RNDN);
        if (mpfr_cmp(d.v, largest_d.v) > 0) {
            mpfr_set(largest_d.v, d.v, MPFR_RNDN);
            o.expected.worst_absolute = i;
        }
        mpfr_fma(dd.v, d.v, d.v, dd.v, MPFR_RNDN);
        mpfr_fma(rr.v, ri, ri, rr.v, MPFR_RNDN);
        if (mpfr_zero_p(ri)) {
            if (!mpfr_zero_p(d.v)) o.expected.max_relative_error = ld_inf;
        } else {
            mpfr_div(q.v, d.v, ri, MPFR_RNDN);
            o.expected.max_relative_error = std::max(o.expected.max_relative_error, std::fabs(ld(q.v)));
        }
        auto& e = o.elementwise.emplace_back(oracle_bits);
        REQUIRE(mpfr_div_d(e.v, d.v, ulp_at(ri, grid), MPFR_RNDN) == 0);
        ulps.push_back(ld(e.v));
        if (mpfr_cmp(e.v, o.elementwise[o.expected.worst_elementwise].v) > 0) o.expected.worst_elementwise = i;
        auto& s = o.scaled.emplace_back(oracle_bits);
        REQUIRE(mpfr_div_d(s.v, d.v, scale_ulp, MPFR_RNDN) == 0);
    }
    o.expected.max_abs_error = ld(largest_d.v);
    REQUIRE(mpfr_div_d(largest_d.v, largest_d.v, scale_ulp, MPFR_RNDN) == 0);
    o.expected.scaled_ulp = ld(largest_d.v);
    if (n > 0) {
        std::sort(ulps.begin(), ulps.end());
        o.expected.max_ulp = ulps.back();
        o.expected.median_ulp = ulps[(n - 1) / 2];
        mpfr_div(q.v, dd.v, rr.v, MPFR_RNDN);
        mpfr_sqrt(q.v, q.v, MPFR_RNDN);
        o.expected.normwise_relative = ld(q.v);
    }
}

// x's value rounded to the grid's format from `v`, as double.
double rounded_to(mpfr_srcptr v, const ulp_scale& grid) {
    return grid.precision == 24 ? static_cast<double>(to_fp32(v)) : to_fp64(v);
}

// One step of the grid's format from x towards `direction`.
double step(double x, double direction, const ulp_scale& grid) {
    return grid.precision == 24 ? static_cast<double>(std::nextafter(static_cast<float>(x), static_cast<float>(direction)))
                                : std::nextafter(x, direction);
}

// Random references of 256 bits over 2^[-20, 20) with random signs, one in
// eight a sum with cancellation (near 2^-40), and x near each: rounded to the
// format and moved 0 to 40 steps (at most 81 ulps of the largest, where a
// step crosses a binade), the cancelled ones given an error of up to 1.75
// ulps of the tensor's largest binade, 2^19, instead.
void random_case(std::size_t n, std::uint64_t seed, const ulp_scale& grid, std::vector<double>& x,
                 std::vector<mp_float>& r) {
    std::mt19937_64 rng(seed);
    r = test::mp_values(n, reference_bits);
    x.clear();
    test::mp shifted(reference_bits + 100);
    for (auto& v : r) {
        mpfr_ptr p = v.backend().data();
        mpfr_set_ui(p, 1, MPFR_RNDN);
        for (int part = 1; part <= 4; ++part)
            mpfr_add_d(p, p, std::ldexp(static_cast<double>(rng() >> 11), -53 * part), MPFR_RNDN);
        const bool cancelled = rng() % 8 == 0;
        mpfr_mul_2si(p, p, cancelled ? -40 : static_cast<long>(rng() % 40) - 20, MPFR_RNDN);
        if (rng() & 1) mpfr_neg(p, p, MPFR_RNDN);
        if (cancelled) {
            // off by up to 7 quarters of an ulp of 2^19
            const long quarters = static_cast<long>(rng() % 15) - 7;
            mpfr_set(shifted.v, p, MPFR_RNDN);
            REQUIRE(mpfr_add_d(shifted.v, shifted.v, std::ldexp(static_cast<double>(quarters), 19 - grid.precision - 1),
                               MPFR_RNDN) == 0);
            x.push_back(rounded_to(shifted.v, grid));
        } else {
            double xi = rounded_to(p, grid);
            const double direction = rng() & 1 ? inf : -inf;
            for (auto k = rng() % 41; k > 0; --k) xi = step(xi, direction, grid);
            x.push_back(xi);
        }
    }
}

void check_against_oracle(const std::vector<double>& x, const std::vector<mp_float>& r, const ulp_scale& grid) {
    oracle o;
    brute_force(x, r, grid, o);
    const auto& e = o.expected;
    const auto m = compare_vectors(x, r, grid);
    CHECK(m.count == e.count);
    CHECK(m.max_abs_error == e.max_abs_error);
    CHECK(std::fabs(m.max_relative_error - e.max_relative_error) <= std::ldexp(e.max_relative_error, -62));
    CHECK(m.max_ulp == e.max_ulp);
    CHECK(m.median_ulp == e.median_ulp);
    CHECK(m.scaled_ulp == e.scaled_ulp);
    CHECK(std::fabs(m.normwise_relative - e.normwise_relative) <= std::ldexp(e.normwise_relative, -60));
    CHECK(m.worst_elementwise == e.worst_elementwise);
    CHECK(m.worst_absolute == e.worst_absolute);
    for (long double t : {0.0L, 0.25L, 0.5L, 1.0L, 3.7L, 16.0L, 1000.0L, 1e9L, 1e30L}) {
        INFO("tolerance " << static_cast<double>(t));
        CHECK(m.beyond_elementwise(t) == o.beyond(o.elementwise, t));
        CHECK(m.beyond_scaled(t) == o.beyond(o.scaled, t));
    }
}

}  // namespace

TEST_CASE("tensor comparison: every metric equals the exact one on random data", "[validate]") {
    std::vector<double> x;
    std::vector<mp_float> r;
    for (const ulp_scale& grid : {fp64_grid, fp32_grid}) {
        for (std::uint64_t seed : {1, 2, 3}) {
            INFO("p " << grid.precision << " seed " << seed);
            random_case(1000, seed, grid, x, r);
            check_against_oracle(x, r, grid);
            const auto m = compare_vectors(x, r, grid);
            CHECK(m.max_ulp > 1e15);  // the cancelled entries, elementwise
            CHECK(m.scaled_ulp <= 81);  // and on the tensor's scale
            CHECK(m.beyond_elementwise(81) > 50);
            CHECK(m.beyond_scaled(81) == 0);
        }
    }
}

TEST_CASE("tensor comparison: empty tensors, and sizes that differ", "[validate]") {
    const auto m = compare_vectors({}, {});
    CHECK(m.count == 0);
    CHECK(m.max_abs_error == 0);
    CHECK(m.max_relative_error == 0);
    CHECK(m.max_ulp == 0);
    CHECK(m.median_ulp == 0);
    CHECK(m.scaled_ulp == 0);
    CHECK(m.normwise_relative == 0);
    CHECK(m.worst_elementwise == 0);
    CHECK(m.worst_absolute == 0);
    CHECK(m.beyond_elementwise(0) == 0);
    CHECK(m.beyond_scaled(0) == 0);
    CHECK_THROWS_AS(compare_vectors({1.0}, reference_of({1.0, 2.0})), std::invalid_argument);
}

TEST_CASE("tensor comparison: an all-zero reference measures on the smallest subnormal spacing", "[validate]") {
    const auto zeros = reference_of({0.0, 0.0, 0.0});
    const auto exact = compare_vectors({0.0, -0.0, 0.0}, zeros);
    CHECK(exact.max_abs_error == 0);
    CHECK(exact.max_relative_error == 0);
    CHECK(exact.max_ulp == 0);
    CHECK(exact.scaled_ulp == 0);
    CHECK(exact.normwise_relative == 0);
    CHECK(exact.beyond_scaled(0) == 0);

    const double tiny = std::numeric_limits<double>::denorm_min();
    const auto m = compare_vectors({0.0, 3 * tiny, -tiny}, zeros);
    CHECK(m.max_abs_error == 3 * static_cast<long double>(tiny));
    CHECK(m.max_relative_error == ld_inf);
    CHECK(m.max_ulp == 3);
    CHECK(m.median_ulp == 1);
    CHECK(m.scaled_ulp == 3);
    CHECK(m.normwise_relative == ld_inf);
    CHECK(m.worst_elementwise == 1);
    CHECK(m.worst_absolute == 1);
    CHECK(m.beyond_elementwise(1) == 1);
    CHECK(m.beyond_scaled(0) == 2);
    // fp32: its smallest subnormal 2^-149.
    CHECK(compare_vectors({std::ldexp(5.0, -149)}, reference_of({0.0}), fp32_grid).max_ulp == 5);
}

TEST_CASE("tensor comparison: subnormal references share the spacing at emin", "[validate]") {
    // fp64: r = 5 2^-1074 and x two steps above; r = 2^-1030 (a subnormal's
    // binade) and x one subnormal step below: both on the grid 2^-1074.
    const double d = std::numeric_limits<double>::denorm_min();
    const auto r = reference_of({5 * d, std::ldexp(1.0, -1030)});
    const auto m = compare_vectors({7 * d, std::ldexp(1.0, -1030) - d}, r);
    CHECK(m.max_ulp == 2);
    CHECK(m.worst_elementwise == 0);
    CHECK(m.scaled_ulp == 2);  // the largest |r| is subnormal too
    check_against_oracle({7 * d, std::ldexp(1.0, -1030) - d}, r, fp64_grid);

    // fp32, values held in double: 3 2^-149 against 2^-149, and 2^-127 + 2^-149 against 2^-127.
    const auto m32 = compare_vectors({std::ldexp(3.0, -149), std::ldexp(1.0, -127) + std::ldexp(1.0, -149)},
                                     reference_of({std::ldexp(1.0, -149), std::ldexp(1.0, -127)}), fp32_grid);
    CHECK(m32.max_ulp == 2);
    CHECK(m32.median_ulp == 1);
    CHECK(m32.scaled_ulp == 2);
}

TEST_CASE("tensor comparison: NaN and Inf in x are infinitely wrong and the worst entry", "[validate]") {
    const auto r = reference_of({1.0, 2.0, -3.0, 4.0});
    for (double special : {qnan, inf, -inf}) {
        INFO("x_1 = " << special);
        const auto m = compare_vectors({1.0, special, -3.0, inf}, r);
        CHECK(m.max_abs_error == ld_inf);
        CHECK(m.max_relative_error == ld_inf);
        CHECK(m.max_ulp == ld_inf);
        CHECK(m.median_ulp == 0);  // sorted 0 0 Inf Inf
        CHECK(m.scaled_ulp == ld_inf);
        CHECK(m.normwise_relative == ld_inf);
        CHECK(m.worst_elementwise == 1);
        CHECK(m.worst_absolute == 1);
        CHECK(m.beyond_elementwise(1e30L) == 2);
        CHECK(m.beyond_scaled(1e30L) == 2);
    }

    // Equal infinities and NaN against NaN are no error; anything else with one is.
    const auto specials = reference_of({inf, -inf, qnan, 2.0});
    const auto same = compare_vectors({inf, -inf, qnan, 2.0}, specials);
    CHECK(same.max_abs_error == 0);
    CHECK(same.max_relative_error == 0);
    CHECK(same.max_ulp == 0);
    CHECK(same.scaled_ulp == 0);
    CHECK(same.normwise_relative == 0);
    CHECK(same.beyond_scaled(0) == 0);
    const auto swapped = compare_vectors({inf, inf, qnan, 2.0}, specials);
    CHECK(swapped.max_abs_error == ld_inf);
    CHECK(swapped.worst_absolute == 1);
    CHECK(swapped.worst_elementwise == 1);
    CHECK(swapped.beyond_elementwise(0) == 1);
    const auto finite_against_nan = compare_vectors({inf, -inf, 1.0, 2.0}, specials);
    CHECK(finite_against_nan.max_relative_error == ld_inf);
    CHECK(finite_against_nan.worst_absolute == 2);
    CHECK(finite_against_nan.scaled_ulp == ld_inf);
}

TEST_CASE("tensor comparison: a cancelled entry is far off elementwise and close on the tensor's scale",
          "[validate]") {
    // r_2 = 2^-30 (1 + 2^-200) is a sum of the size of r_0 that cancelled; x_2
    // is off by 2^-44, half an ulp of 1000 (2^9 - 52 = -43).
    auto r = reference_of({1000.0, -999.5, std::ldexp(1.0, -30)});
    mpfr_ptr r2 = r[2].backend().data();
    mpfr_add_d(r2, r2, std::ldexp(1.0, -230), MPFR_RNDN);
    const std::vector<double> x = {1000.0, -999.5, std::ldexp(1.0, -30) + std::ldexp(1.0, -44)};
    const auto m = compare_vectors(x, r);
    check_against_oracle(x, r, fp64_grid);
    CHECK(m.max_ulp == 0x1p38L);  // 2^-44 / 2^-82, less a hair (2^-148), rounded
    CHECK(m.worst_elementwise == 2);
    CHECK(m.scaled_ulp == 0.5L);  // 2^-44 / 2^-43, less 2^-187, rounded
    CHECK(m.beyond_elementwise(16) == 1);
    CHECK(m.beyond_scaled(16) == 0);
    CHECK(m.beyond_scaled(0.5L) == 0);
    CHECK(m.beyond_scaled(std::nextafter(0.5L, 0.0L)) == 1);
    CHECK(m.normwise_relative < 1e-16L);
}

TEST_CASE("tensor comparison: the worst indices are the first of ties, each its own", "[validate]") {
    // 1.5 + k 2^-52 is k ulps off; 1e6 + 2^-33 (an ulp of 2^19) one ulp of a big entry.
    const double u = std::ldexp(1.0, -52);
    const auto r = reference_of({1.5, 1e6, 1.5, 1.5, 1.5});
    const auto m = compare_vectors({1.5 + u, 1e6 + std::ldexp(1.0, -33), 1.5 - 3 * u, 1.5 + 3 * u, 1.5}, r);
    CHECK(m.max_ulp == 3);
    CHECK(m.worst_elementwise == 2);
    CHECK(m.worst_absolute == 1);
    CHECK(m.median_ulp == 1);  // sorted 0 1 1 3 3

    const auto tie = compare_vectors({1.5 - 2 * u, 1.5 + 2 * u}, reference_of({1.5, 1.5}));
    CHECK(tie.worst_elementwise == 0);
    CHECK(tie.worst_absolute == 0);
}

TEST_CASE("tensor comparison: an error of exactly the tolerance is within it, a hair more is not", "[validate]") {
    // 1.5 with x 16 ulps above: exactly 16; r = 1.5 + 2^-240 with x 16 ulps
    // below: 16 and a hair (2^-188, which rounds to 16 in long double), and
    // with x 16 ulps above: a hair less than 16.
    const double u = std::ldexp(1.0, -52);
    auto r = reference_of({1.5, 1.5, 1.5});
    for (std::size_t i : {1, 2}) mpfr_add_d(r[i].backend().data(), r[i].backend().data(), std::ldexp(1.0, -240), MPFR_RNDN);
    const std::vector<double> x = {1.5 + 16 * u, 1.5 - 16 * u, 1.5 + 16 * u};
    const auto m = compare_vectors(x, r);
    check_against_oracle(x, r, fp64_grid);
    CHECK(m.max_ulp == 16);  // rounded
    CHECK(m.scaled_ulp == 16);
    CHECK(m.worst_absolute == 1);
    CHECK(m.beyond_elementwise(16) == 1);  // exact: only the hair more
    CHECK(m.beyond_scaled(16) == 1);
    CHECK(m.beyond_elementwise(std::nextafter(16.0L, 0.0L)) == 3);
    CHECK(m.beyond_scaled(std::nextafter(16.0L, 0.0L)) == 3);

    // Scaled: a small entry exactly 4 ulps of the largest (2^3 binade, ulp 2^-49) off.
    const auto s = compare_vectors({10.0, 0.125 + std::ldexp(4.0, -49)}, reference_of({10.0, 0.125}));
    CHECK(s.scaled_ulp == 4);
    CHECK(s.max_ulp == std::ldexp(4.0L, -49 + 55));  // ulp(0.125) = 2^-55
    CHECK(s.beyond_scaled(4) == 0);
    CHECK(s.beyond_scaled(std::nextafter(4.0L, 0.0L)) == 1);
}

TEST_CASE("tensor comparison: the loss's error in ulps of its dtype", "[validate]") {
    const double u = std::ldexp(1.0, -52);
    const auto r = reference_of({1.5, 0.0, qnan, inf});
    CHECK(validate::loss_ulp_error(1.5 + 3 * u, r[0], fp64_grid) == 3);
    CHECK(validate::loss_ulp_error(1.5, r[0], fp64_grid) == 0);
    CHECK(validate::loss_ulp_error(1.5 + std::ldexp(1.0, -23), r[0], fp32_grid) == 1);
    CHECK(validate::loss_ulp_error(2 * std::numeric_limits<double>::denorm_min(), r[1], fp64_grid) == 2);
    CHECK(validate::loss_ulp_error(qnan, r[0], fp64_grid) == ld_inf);
    CHECK(validate::loss_ulp_error(inf, r[0], fp64_grid) == ld_inf);
    CHECK(validate::loss_ulp_error(qnan, r[2], fp64_grid) == 0);
    CHECK(validate::loss_ulp_error(inf, r[3], fp64_grid) == 0);
    CHECK(validate::loss_ulp_error(1.0, r[3], fp64_grid) == ld_inf);
}
