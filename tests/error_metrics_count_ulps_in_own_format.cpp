// compare() measures ULP errors on the grid of the lane's own format: a value
// rounded to nearest from the reference is at most 0.5 ulp off, its
// neighbour away from zero exactly 1 (the difference is exact and ulp(r) a
// power of two, so "exactly" is an equality); below 2^emin the spacing stops
// shrinking; specials follow the documented rules. Relative error and cosine
// are checked on vectors whose values are exact.

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include <quadmath.h>

#include "gradlab/probe/error_metrics.hpp"
#include "support/gmp_allocation_counter.hpp"
#include "support/mp_values.hpp"

using namespace gradlab;
using probe::compare;
using probe::ulp_scale;

namespace {

constexpr mpfr_prec_t reference_bits = 256;
constexpr long double ld_inf = std::numeric_limits<long double>::infinity();
constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double qnan = std::numeric_limits<double>::quiet_NaN();

const ulp_scale fp16_grid{11, -14}, fp32_grid{24, -126}, fp64_grid{53, -1022}, f128_grid{113, -16382},
    mp64_grid{64, std::nullopt};

std::vector<mp_float> reference_of(const std::vector<double>& values) {
    auto r = test::mp_values(values.size(), reference_bits);
    for (std::size_t i = 0; i < values.size(); ++i) mpfr_set_d(r[i].backend().data(), values[i], MPFR_RNDN);
    return r;
}

// n references of 256 random bits, magnitudes in [2^-10, 2^10), random signs.
std::vector<mp_float> random_reference(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    auto r = test::mp_values(n, reference_bits);
    for (auto& v : r) {
        mpfr_ptr p = v.backend().data();
        mpfr_set_ui(p, 1, MPFR_RNDN);  // 1 + four random 53-bit fractions: 213 bits, exact
        for (int part = 1; part <= 4; ++part)
            mpfr_add_d(p, p, std::ldexp(static_cast<double>(rng() >> 11), -53 * part), MPFR_RNDN);
        mpfr_mul_2si(p, p, static_cast<long>(rng() % 20) - 10, MPFR_RNDN);
        if (rng() & 1) mpfr_neg(p, p, MPFR_RNDN);
    }
    return r;
}

// Each reference rounded to nearest in a precision.
template <class T, class Round>
std::vector<T> rounded(const std::vector<mp_float>& r, Round round) {
    std::vector<T> x;
    for (const auto& v : r) x.push_back(round(v.backend().data()));
    return x;
}

std::vector<mp_float> rounded_mp(const std::vector<mp_float>& r, int bits) {
    std::vector<mp_float> x;
    for (const auto& v : r) x.push_back(to_mp(v.backend().data(), bits));
    return x;
}

// x's values (exact) as 256-bit references.
template <class T>
std::vector<mp_float> exact_reference(const std::vector<T>& x) {
    auto r = test::mp_values(x.size(), reference_bits);
    for (std::size_t i = 0; i < x.size(); ++i) {
        mpfr_ptr p = r[i].backend().data();
        if constexpr (std::is_same_v<T, float128>) mpfr_set_float128(p, x[i].backend().value(), MPFR_RNDN);
        else if constexpr (std::is_same_v<T, mp_float>) mpfr_set(p, x[i].backend().data(), MPFR_RNDN);
        else mpfr_set_d(p, x[i], MPFR_RNDN);
    }
    return r;
}

template <class T>
probe::error_metrics compare_vectors(const std::vector<T>& x, const std::vector<mp_float>& r, const ulp_scale& own) {
    return compare(std::span<const T>(x), std::span<const mp_float>(r), own);
}

}  // namespace

TEST_CASE("ulp scales: each precision's own p and emin", "[probe]") {
    const auto check = [](std::string_view name, int p, std::optional<int> emin) {
        const auto s = probe::ulp_scale_of(parse_precision(name));
        INFO(name);
        CHECK(s.precision == p);
        CHECK(s.emin == emin);
    };
    check("fp32", 24, -126);
    check("fp64", 53, -1022);
    check("f128", 113, -16382);
    check("mp100", 100, std::nullopt);
    check("fp16", 11, -14);
    check("bf16/sr+master32", 8, -126);
    check("fp8e4m3", 4, -6);
}

TEST_CASE("ulp error: rounded to nearest is at most half an ulp in every precision", "[probe]") {
    const auto r = random_reference(2001, 42);
    const auto check = [&](const probe::error_metrics& m, const char* name) {
        INFO(name << ": max " << m.max_ulp << " median " << m.median_ulp);
        CHECK(m.count == r.size());
        CHECK(m.max_ulp <= 0.5);
        CHECK(m.max_ulp > 0.45);  // not an ulp twice too large
        CHECK(m.median_ulp > 0.2);  // errors spread evenly over [0, 0.5]
        CHECK(m.median_ulp < 0.3);
        CHECK(m.cosine > 0.99);
    };
    const auto fp16 = rounded<float>(
        r, [](mpfr_srcptr v) { return static_cast<float>(round_to_format(v, binary16(), rounding_mode::nearest_even)); });
    check(compare_vectors(fp16, r, fp16_grid), "fp16");
    check(compare_vectors(rounded<float>(r, [](mpfr_srcptr v) { return to_fp32(v); }), r, fp32_grid), "fp32");
    check(compare_vectors(rounded<double>(r, [](mpfr_srcptr v) { return to_fp64(v); }), r, fp64_grid), "fp64");
    check(compare_vectors(rounded<float128>(r, [](mpfr_srcptr v) { return to_f128(v); }), r, f128_grid), "f128");
    check(compare_vectors(rounded_mp(r, 64), r, mp64_grid), "mp64");
}

TEST_CASE("ulp error: the neighbour away from zero is exactly one ulp", "[probe]") {
    const auto r = random_reference(500, 7);
    const auto check = [](const probe::error_metrics& m, const char* name) {
        INFO(name);
        CHECK(m.max_ulp == 1);
        CHECK(m.median_ulp == 1);
    };
    const auto away = [](auto v) { return std::copysign(inf, static_cast<double>(v)); };

    auto fp16 = rounded<float>(r, [](mpfr_srcptr v) {
        return static_cast<float>(round_to_format(v, binary16(), rounding_mode::nearest_even));
    });
    const auto fp16_reference = exact_reference(fp16);
    for (float& v : fp16) v += std::copysign(static_cast<float>(ulp_of(v, binary16())), v);
    check(compare_vectors(fp16, fp16_reference, fp16_grid), "fp16");

    auto fp32 = rounded<float>(r, [](mpfr_srcptr v) { return to_fp32(v); });
    const auto fp32_reference = exact_reference(fp32);
    for (float& v : fp32) v = std::nextafter(v, static_cast<float>(away(v)));
    check(compare_vectors(fp32, fp32_reference, fp32_grid), "fp32");

    auto fp64 = rounded<double>(r, [](mpfr_srcptr v) { return to_fp64(v); });
    const auto fp64_reference = exact_reference(fp64);
    for (double& v : fp64) v = std::nextafter(v, away(v));
    check(compare_vectors(fp64, fp64_reference, fp64_grid), "fp64");

    auto f128 = rounded<float128>(r, [](mpfr_srcptr v) { return to_f128(v); });
    const auto f128_reference = exact_reference(f128);
    for (float128& v : f128) v.backend().value() = nextafterq(v.backend().value(), away(v));
    check(compare_vectors(f128, f128_reference, f128_grid), "f128");

    auto mp64 = rounded_mp(r, 64);
    const auto mp64_reference = exact_reference(mp64);
    for (auto& v : mp64) {
        if (mpfr_signbit(v.backend().data())) mpfr_nextbelow(v.backend().data());
        else mpfr_nextabove(v.backend().data());
    }
    check(compare_vectors(mp64, mp64_reference, mp64_grid), "mp64");

    // Below a power of two the grid is twice as fine, but ulp(r) is r's binade's.
    CHECK(compare_vectors(std::vector<double>{std::nextafter(1.0, 0.0)}, reference_of({1.0}), fp64_grid).max_ulp ==
          0.5);
}

TEST_CASE("ulp error: below 2^emin the spacing is the smallest subnormal", "[probe]") {
    // fp32: 2^-140 and its neighbour, 2^-149 apart.
    const std::vector<float> x = {std::nextafter(std::ldexp(1.0f, -140), 1.0f)};
    const auto r = reference_of({std::ldexp(1.0, -140)});
    CHECK(compare_vectors(x, r, fp32_grid).max_ulp == 1);
    CHECK(compare_vectors(x, r, ulp_scale{24, std::nullopt}).max_ulp == 16384);  // 2^-149 / 2^(-140-23)
    // fp16 in float: 2^-20 + 2^-24, one step of binary16's subnormals.
    CHECK(compare_vectors(std::vector<float>{std::ldexp(1.0f, -20) + std::ldexp(1.0f, -24)},
                          reference_of({std::ldexp(1.0, -20)}), fp16_grid)
              .max_ulp == 1);
    // fp64 and f128: the smallest subnormal against 0.
    const auto zero = reference_of({0.0});
    CHECK(compare_vectors(std::vector<double>{std::numeric_limits<double>::denorm_min()}, zero, fp64_grid).max_ulp ==
          1);
    CHECK(compare_vectors(std::vector<float128>{ldexp(float128(1), -16494)}, zero, f128_grid)
              .max_ulp == 1);
}

TEST_CASE("ulp error: a zero reference", "[probe]") {
    const auto zeros = reference_of({0.0, 0.0});
    const auto exact = compare_vectors(std::vector<double>{0.0, -0.0}, zeros, fp64_grid);
    CHECK(exact.max_ulp == 0);
    CHECK(exact.relative_error == 0);  // 0 / 0 read as no error
    CHECK(std::isnan(exact.cosine));
    // mp has no emin: nothing measures a nonzero x against 0.
    auto x = test::mp_values(2, 64);
    mpfr_set_zero(x[0].backend().data(), 1);
    mpfr_set_d(x[1].backend().data(), 1e-30, MPFR_RNDN);
    const auto m = compare_vectors(x, zeros, mp64_grid);
    CHECK(m.max_ulp == ld_inf);
    CHECK(m.worst_index == 1);
    CHECK(m.median_ulp == 0);
    CHECK(m.relative_error == ld_inf);
}

TEST_CASE("ulp error: infinities and NaN", "[probe]") {
    const auto r = reference_of({inf, -inf, qnan, 2.0});
    const auto same = compare_vectors(std::vector<double>{inf, -inf, qnan, 2.0}, r, fp64_grid);
    CHECK(same.max_ulp == 0);
    CHECK(same.relative_error == 0);
    CHECK(std::isnan(same.cosine));

    const auto check_one_off = [&](std::vector<double> x, std::size_t index) {
        const auto m = compare_vectors(x, r, fp64_grid);
        INFO("element " << index << " = " << x[index]);
        CHECK(m.max_ulp == ld_inf);
        CHECK(m.worst_index == index);
        CHECK(m.median_ulp == 0);
        CHECK(m.relative_error == ld_inf);
        CHECK(std::isnan(m.cosine));
    };
    // binary128's specials, read from their encoding.
    const std::vector<float128> f128 = {inf, -inf, qnan, 2.0};
    CHECK(compare_vectors(f128, r, f128_grid).max_ulp == 0);
    CHECK(compare_vectors(std::vector<float128>{-inf, -inf, qnan, 2.0}, r, f128_grid).worst_index == 0);

    check_one_off({-inf, -inf, qnan, 2.0}, 0);
    check_one_off({std::numeric_limits<double>::max(), -inf, qnan, 2.0}, 0);
    check_one_off({inf, -inf, 1.0, 2.0}, 2);
    check_one_off({inf, -inf, qnan, qnan}, 3);
    check_one_off({inf, -inf, qnan, inf}, 3);
}

TEST_CASE("error metrics: relative error, lower median, worst index", "[probe]") {
    const auto r = reference_of({3.0, 4.0});
    CHECK(compare_vectors(std::vector<double>{3.0, 4.5}, r, fp64_grid).relative_error == 0.1L);  // 0.5 / 5

    // 1.5 + k 2^-52: k ulps off.
    const std::vector<double> off = {1.5 + std::ldexp(3.0, -52), 1.5, 1.5 + std::ldexp(2.0, -52),
                                     1.5 - std::ldexp(1.0, -52)};
    const auto m = compare_vectors(off, reference_of({1.5, 1.5, 1.5, 1.5}), fp64_grid);
    CHECK(m.max_ulp == 3);
    CHECK(m.worst_index == 0);
    CHECK(m.median_ulp == 1);  // sorted 0 1 2 3: the lower of the middle two
    const auto odd = compare_vectors(std::vector<double>(off.begin(), off.begin() + 3), reference_of({1.5, 1.5, 1.5}),
                                     fp64_grid);
    CHECK(odd.median_ulp == 2);
}

TEST_CASE("error metrics: cosine of parallel, opposite and orthogonal vectors", "[probe]") {
    const auto r = reference_of({1.0, -2.0, 0.5, 3.0});
    CHECK(compare_vectors(std::vector<double>{1.0, -2.0, 0.5, 3.0}, r, fp64_grid).cosine == 1);
    CHECK(compare_vectors(std::vector<float>{4.0f, -8.0f, 2.0f, 12.0f}, r, fp32_grid).cosine == 1);
    CHECK(compare_vectors(std::vector<double>{-1.0, 2.0, -0.5, -3.0}, r, fp64_grid).cosine == -1);
    CHECK(compare_vectors(std::vector<double>{2.0, 1.0, 0.0, 0.0}, r, fp64_grid).cosine == 0);
    CHECK(std::isnan(compare_vectors(std::vector<double>(4, 0.0), r, fp64_grid).cosine));
}

TEST_CASE("error metrics: empty spans, and sizes that differ", "[probe]") {
    const auto m = compare_vectors(std::vector<float>{}, std::vector<mp_float>{}, fp32_grid);
    CHECK(m.count == 0);
    CHECK(m.max_ulp == 0);
    CHECK(m.median_ulp == 0);
    CHECK(m.relative_error == 0);
    CHECK(std::isnan(m.cosine));
    CHECK_THROWS_AS(compare_vectors(std::vector<double>{1.0}, reference_of({1.0, 2.0}), fp64_grid),
                    std::invalid_argument);
    CHECK_THROWS_AS(compare_vectors(std::vector<double>{}, reference_of({1.0}), fp64_grid), std::invalid_argument);
}

TEST_CASE("error metrics: a second comparison of the same size and precisions allocates nothing", "[probe]") {
    const auto r = random_reference(1000, 3);
    const auto fp32 = rounded<float>(r, [](mpfr_srcptr v) { return to_fp32(v); });
    const auto mp = rounded_mp(r, 100);
    const auto first32 = compare_vectors(fp32, r, fp32_grid);
    const auto first_mp = compare_vectors(mp, r, ulp_scale{100, std::nullopt});
    const test::gmp_allocation_counter counter;
    const auto again32 = compare_vectors(fp32, r, fp32_grid);
    const auto again_mp = compare_vectors(mp, r, ulp_scale{100, std::nullopt});
    CHECK(counter.count() == 0);
    CHECK(again32.max_ulp == first32.max_ulp);
    CHECK(again_mp.median_ulp == first_mp.median_ulp);
}
