// Sample moments of counter_rng's variates within 5 standard errors of the
// true ones, uniforms in range and on their grid, and different seeds and
// streams giving different numbers.
//
// Why 5 standard errors: by the central limit theorem a sample statistic lies
// within 5 SE of its expectation with probability 1 - 5.7e-7, so a sound
// generator fails no check by chance, while a flaw that shifts a moment by
// more than about 5 SE (a stuck bit, a repeated word, a wrong Box-Muller
// factor) fails. The seeds are fixed, so the outcome is deterministic.
// Sums are accumulated in double: an error near n * 2^-53 relative, about
// 1e-11 for n = 1e5, far below every bound.

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <vector>

#include "gradlab/scalar/counter_rng.hpp"
#include "support/mp_values.hpp"

using namespace gradlab;
using boost::multiprecision::mpfr_float;

namespace {

constexpr std::size_t n = 100000;

std::vector<double> to_double(const std::vector<mpfr_float>& v) {
    std::vector<double> d;
    for (const auto& x : v) d.push_back(mpfr_get_d(x.backend().data(), MPFR_RNDN));
    return d;
}

double mean(const std::vector<double>& x) {
    double s = 0;
    for (double v : x) s += v;
    return s / static_cast<double>(x.size());
}

double variance(const std::vector<double>& x) {
    const double m = mean(x);
    double s = 0;
    for (double v : x) s += (v - m) * (v - m);
    return s / static_cast<double>(x.size() - 1);
}

// Pearson's chi-square of counts against equal expected counts.
double chi_square(const std::vector<std::size_t>& counts, std::size_t total) {
    const double expected = static_cast<double>(total) / static_cast<double>(counts.size());
    double s = 0;
    for (std::size_t c : counts) s += (static_cast<double>(c) - expected) * (static_cast<double>(c) - expected);
    return s / expected;
}

}  // namespace

TEST_CASE("uniform mean, variance and bins within 5 standard errors", "[scalar][rng][statistics]") {
    const counter_rng rng(20240501, 1);
    auto u = test::mp_values(n, 64);
    rng.fill_uniform(u, 0);
    const auto x = to_double(u);

    // U on the grid k * 2^-64 has mean 1/2 - 2^-65 and variance 1/12 - 2^-128/12:
    // the grid's offsets are far below the bounds. SE of the mean: sqrt(1/12 / n).
    // SE of the sample variance: sqrt((mu4 - sigma^4) / n), mu4 = 1/80, sigma^4 = 1/144.
    const double se_mean = std::sqrt(1.0 / 12 / n);
    const double se_variance = std::sqrt((1.0 / 80 - 1.0 / 144) / n);
    INFO("mean " << mean(x) << " variance " << variance(x));
    CHECK(std::abs(mean(x) - 0.5) < 5 * se_mean);
    CHECK(std::abs(variance(x) - 1.0 / 12) < 5 * se_variance);

    // 64 bins by the top 6 bits and by the lowest 6 bits (the end of the
    // second word): chi-square with 63 degrees of freedom has mean 63 and
    // SE sqrt(2 * 63).
    std::vector<std::size_t> top(64), low(64);
    mpfr_t scaled;
    mpfr_init2(scaled, 64);
    for (const auto& v : u) {
        mpfr_mul_2ui(scaled, v.backend().data(), 64, MPFR_RNDN);  // exact: an integer below 2^64
        const std::uint64_t k = mpfr_get_uj(scaled, MPFR_RNDN);
        ++top[k >> 58];
        ++low[k & 63];
    }
    mpfr_clear(scaled);
    const double bound = 63 + 5 * std::sqrt(2.0 * 63);
    CHECK(chi_square(top, n) < bound);
    CHECK(chi_square(low, n) < bound);
}

TEST_CASE("normal mean, variance and pair correlation within 5 standard errors", "[scalar][rng][statistics]") {
    const counter_rng rng(20240501, 2);
    auto z = test::mp_values(n, 53);
    rng.fill_normal(z, 0);
    const auto x = to_double(z);

    // SE of the mean: 1 / sqrt(n). SE of the sample variance: sqrt((mu4 - 1) / n), mu4 = 3.
    INFO("mean " << mean(x) << " variance " << variance(x));
    CHECK(std::abs(mean(x)) < 5 / std::sqrt(double(n)));
    CHECK(std::abs(variance(x) - 1) < 5 * std::sqrt(2.0 / n));

    // The cos and sin halves of a Box-Muller pair are independent; the sample
    // correlation of m independent pairs has SE about 1 / sqrt(m).
    const std::size_t m = n / 2;
    double sum_xy = 0;
    for (std::size_t k = 0; k < m; ++k) sum_xy += x[2 * k] * x[2 * k + 1];
    const double correlation = sum_xy / static_cast<double>(m) / variance(x);
    INFO("pair correlation " << correlation);
    CHECK(std::abs(correlation) < 5 / std::sqrt(double(m)));
}

TEST_CASE("uniforms lie in [0, 1) on the 2^-p grid, and scaled ones in [offset, offset + scale)",
          "[scalar][rng]") {
    const counter_rng rng(9);
    for (mpfr_prec_t p : {1, 7, 53, 129}) {
        auto u = test::mp_values(2000, p);
        rng.fill_uniform(u, 0);
        std::size_t outside = 0, off_grid = 0;
        mpfr_t k;
        mpfr_init2(k, p);
        for (const auto& v : u) {
            mpfr_srcptr x = v.backend().data();
            if (mpfr_sgn(x) < 0 || mpfr_cmp_ui(x, 1) >= 0) ++outside;
            mpfr_mul_2ui(k, x, static_cast<unsigned long>(p), MPFR_RNDN);
            if (!mpfr_integer_p(k)) ++off_grid;
        }
        mpfr_clear(k);
        INFO("p " << p);
        CHECK(outside == 0);
        CHECK(off_grid == 0);
    }

    auto s = test::mp_values(2000, 53);
    rng.fill_uniform(s, 0, mpfr_float(2), mpfr_float(-1));
    std::size_t outside = 0;
    for (const auto& v : s)
        if (mpfr_cmp_si(v.backend().data(), -1) < 0 || mpfr_cmp_ui(v.backend().data(), 1) >= 0) ++outside;
    CHECK(outside == 0);
}

TEST_CASE("different seeds and streams give different sequences", "[scalar][rng]") {
    // Seeds and streams differing in their low or their high 32-bit word only.
    const std::vector<counter_rng> generators{
        counter_rng(1, 0), counter_rng(2, 0), counter_rng(1 + (std::uint64_t{1} << 32), 0),
        counter_rng(1, 1), counter_rng(1, std::uint64_t{1} << 32)};
    std::vector<std::vector<mpfr_float>> uniforms, normals;
    for (const auto& rng : generators) {
        uniforms.push_back(test::mp_values(1000, 64));
        normals.push_back(test::mp_values(1000, 64));
        rng.fill_uniform(uniforms.back(), 0);
        rng.fill_normal(normals.back(), 0);
    }
    // Two 64-bit uniforms coincide with probability 2^-64: any equality is a flaw.
    for (std::size_t a = 0; a < generators.size(); ++a)
        for (std::size_t b = a + 1; b < generators.size(); ++b) {
            std::size_t equal_uniforms = 0, equal_normals = 0;
            for (std::size_t i = 0; i < 1000; ++i) {
                equal_uniforms += mpfr_equal_p(uniforms[a][i].backend().data(), uniforms[b][i].backend().data());
                equal_normals += mpfr_equal_p(normals[a][i].backend().data(), normals[b][i].backend().data());
            }
            INFO("generators " << a << " and " << b);
            CHECK(equal_uniforms == 0);
            CHECK(equal_normals == 0);
        }
}
