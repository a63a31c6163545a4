// Variate i is a function of (seed, stream, i) alone: the same bits for 1 or 2
// OpenMP threads, for any order of calls, and for any split of an array.

#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include <omp.h>

#include "gradlab/scalar/counter_rng.hpp"
#include "support/mp_values.hpp"

using namespace gradlab;
using boost::multiprecision::mpfr_float;

namespace {

constexpr std::size_t count = 10000;

std::size_t mismatches(const std::vector<mpfr_float>& a, const std::vector<mpfr_float>& b) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (!mpfr_equal_p(a[i].backend().data(), b[i].backend().data())) ++n;
    return n;
}

// Restores the caller's thread count however the test ends.
struct thread_count_guard {
    int saved = omp_get_max_threads();
    ~thread_count_guard() { omp_set_num_threads(saved); }
};

std::vector<mpfr_float> fill_with_threads(int threads, bool normal, mpfr_prec_t bits) {
    const counter_rng rng(0xfeedface, 11);
    omp_set_num_threads(threads);
    REQUIRE(omp_get_max_threads() == threads);
    auto v = test::mp_values(count, bits);
    if (normal)
        rng.fill_normal(v, 1000);
    else
        rng.fill_uniform(v, 1000);
    return v;
}

}  // namespace

TEST_CASE("fill_normal gives the same bits with 1 and 2 threads", "[scalar][rng][omp]") {
    thread_count_guard guard;
    const auto one = fill_with_threads(1, true, 113);
    const auto two = fill_with_threads(2, true, 113);
    CHECK(mismatches(one, two) == 0);
}

TEST_CASE("fill_uniform gives the same bits with 1 and 2 threads", "[scalar][rng][omp]") {
    thread_count_guard guard;
    const auto one = fill_with_threads(1, false, 300);
    const auto two = fill_with_threads(2, false, 300);
    CHECK(mismatches(one, two) == 0);
}

TEST_CASE("normal variates do not depend on the order of calls", "[scalar][rng]") {
    const counter_rng rng(0xfeedface, 11);
    auto in_order = test::mp_values(count, 113);
    rng.fill_normal(in_order, 1000);

    // Backwards, then with a stride coprime to the count: every odd (sin)
    // variate drawn before its even (cos) partner and far from it.
    auto backwards = test::mp_values(count, 113);
    for (std::size_t e = count; e-- > 0;) rng.normal(backwards[e].backend().data(), 1000 + e);
    CHECK(mismatches(in_order, backwards) == 0);

    auto strided = test::mp_values(count, 113);
    for (std::size_t k = 0, e = 0; k < count; ++k, e = (e + 7919) % count)
        rng.normal(strided[e].backend().data(), 1000 + e);
    CHECK(mismatches(in_order, strided) == 0);
}

TEST_CASE("a fill of part of an array equals the same part of a whole fill", "[scalar][rng]") {
    const counter_rng rng(5, 6);
    auto whole = test::mp_values(count, 64);
    rng.fill_normal(whole, 0);
    // starts at an odd index, so the first value is the sin half of a pair
    auto part = test::mp_values(count / 2, 64);
    rng.fill_normal(part, 2001);
    std::size_t n = 0;
    for (std::size_t e = 0; e < part.size(); ++e)
        if (!mpfr_equal_p(part[e].backend().data(), whole[2001 + e].backend().data())) ++n;
    CHECK(n == 0);
}

TEST_CASE("fill_normal with scale 1 and offset 0 is normal(), with others one fma of it", "[scalar][rng]") {
    const counter_rng rng(77);
    auto plain = test::mp_values(100, 200);
    auto scaled = test::mp_values(100, 200);
    rng.fill_normal(plain, 0);
    rng.fill_normal(scaled, 0, mpfr_float(0.25), mpfr_float(-3));
    for (std::size_t e = 0; e < plain.size(); ++e) {
        mpfr_t single, expected;
        mpfr_inits2(200, single, expected, static_cast<mpfr_ptr>(nullptr));
        rng.normal(single, e);
        CHECK(mpfr_equal_p(single, plain[e].backend().data()));
        mpfr_mul_2si(expected, single, -2, MPFR_RNDN);  // exact
        mpfr_sub_ui(expected, expected, 3, MPFR_RNDN);  // the fma's one rounding
        CHECK(mpfr_equal_p(expected, scaled[e].backend().data()));
        mpfr_clears(single, expected, static_cast<mpfr_ptr>(nullptr));
    }
}
