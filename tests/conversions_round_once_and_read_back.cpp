// Conversions between precisions against MPFR's own correctly rounded
// conversions, the shortest-decimal printer against reading back, and ULP
// distances against counting the grid.

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>

#include "gradlab/scalar/conversions.hpp"

using namespace gradlab;

namespace {

mp_float random_mp(std::mt19937_64& rng, int bits, int min_exponent, int max_exponent) {
    mp_float x;
    mpfr_set_prec(x.backend().data(), bits);
    mpfr_set_ui(x.backend().data(), 0, MPFR_RNDN);
    // bits random bits, 64 at a time, then a random binade
    for (int filled = 0; filled < bits; filled += 64) {
        mpfr_mul_2ui(x.backend().data(), x.backend().data(), 64, MPFR_RNDN);
        mpfr_add_ui(x.backend().data(), x.backend().data(), rng() >> 1, MPFR_RNDN);
    }
    mpfr_set_exp(x.backend().data(), std::uniform_int_distribution<int>(min_exponent, max_exponent)(rng));
    if (rng() & 1) mpfr_neg(x.backend().data(), x.backend().data(), MPFR_RNDN);
    return x;
}

}  // namespace

TEST_CASE("mp to fp32, fp64 and f128 agree with MPFR's own rounding in every mode", "[scalar][conversions]") {
    std::mt19937_64 rng(7);
    for (int i = 0; i < 20000; ++i) {
        // exponents reaching the subnormal ranges and past the overflow threshold of binary32
        const mp_float x = random_mp(rng, 200, -160, 130);
        const mpfr_srcptr p = x.backend().data();
        const std::pair<rounding_mode, mpfr_rnd_t> modes[] = {{rounding_mode::nearest_even, MPFR_RNDN},
                                                              {rounding_mode::toward_zero, MPFR_RNDZ},
                                                              {rounding_mode::upward, MPFR_RNDU},
                                                              {rounding_mode::downward, MPFR_RNDD}};
        for (const auto& [mode, rnd] : modes) {
            // MPFR's mpfr_get_flt rounds correctly, subnormals included
            const float expected = mpfr_get_flt(p, rnd);
            const float got = to_fp32(p, mode);
            INFO(to_round_trip_decimal(p) << " mode " << short_name(mode));
            CHECK(std::bit_cast<std::uint32_t>(got) == std::bit_cast<std::uint32_t>(expected));
            CHECK(to_fp64(p, mode) == mpfr_get_d(p, rnd));
        }
        CHECK(to_f128(p) == float128(mpfr_get_float128(p, MPFR_RNDN)));
    }
}

TEST_CASE("double and f128 to fp32 round once, like MPFR from the exact value", "[scalar][conversions]") {
    std::mt19937_64 rng(11);
    for (int i = 0; i < 20000; ++i) {
        const mp_float x = random_mp(rng, 113, -155, 129);
        const float128 q = to_f128(x.backend().data());
        const mp_float q_exact = to_mp(q, 113);
        CHECK(std::bit_cast<std::uint32_t>(to_fp32(q)) ==
              std::bit_cast<std::uint32_t>(mpfr_get_flt(q_exact.backend().data(), MPFR_RNDN)));
        CHECK(to_fp64(q) == mpfr_get_d(q_exact.backend().data(), MPFR_RNDN));
        const double d = mpfr_get_d(x.backend().data(), MPFR_RNDN);
        CHECK(to_fp32(d) == static_cast<float>(d));  // the hardware conversion rounds once, to nearest
    }
}

TEST_CASE("to_mp keeps every bit when it fits and rounds once when not", "[scalar][conversions]") {
    const mp_float third = [] {
        mp_float t;
        mpfr_set_prec(t.backend().data(), 300);
        mpfr_set_ui(t.backend().data(), 1, MPFR_RNDN);
        mpfr_div_ui(t.backend().data(), t.backend().data(), 3, MPFR_RNDN);
        return t;
    }();
    const mp_float narrow = to_mp(third.backend().data(), 64, rounding_mode::toward_zero);
    CHECK(mpfr_get_prec(narrow.backend().data()) == 64);
    CHECK(mpfr_cmp(narrow.backend().data(), third.backend().data()) < 0);
    CHECK(mpfr_min_prec(to_mp(0.1, 256).backend().data()) <= 53);
    CHECK(mpfr_get_d(to_mp(0.1, 256).backend().data(), MPFR_RNDN) == 0.1);
    CHECK_THROWS_AS(to_fp32(third.backend().data(), rounding_mode::stochastic), std::invalid_argument);
}

TEST_CASE("parse_number reads decimal text rounded to odd", "[scalar][conversions]") {
    mp_float x;
    mpfr_set_prec(x.backend().data(), 8);
    REQUIRE(parse_number("0.1", x.backend().data()));
    // 0.1 = 0.000110011001100..._2: truncated to 8 bits ends in 0, so the odd neighbour is above
    mp_float truncated;
    mpfr_set_prec(truncated.backend().data(), 8);
    mpfr_set_str(truncated.backend().data(), "0.1", 10, MPFR_RNDZ);
    CHECK(mpfr_cmp(x.backend().data(), truncated.backend().data()) > 0);
    CHECK(mpfr_min_prec(x.backend().data()) == 8);
    REQUIRE(parse_number("0x1.8p-3", x.backend().data()));
    CHECK(mpfr_cmp_d(x.backend().data(), 0.1875) == 0);
    REQUIRE(parse_number("-inf", x.backend().data()));
    CHECK(mpfr_inf_p(x.backend().data()));
    for (const char* bad : {"", "abc", "1.0x", " 1", "1 ", "--1", "0x"}) CHECK_FALSE(parse_number(bad, x.backend().data()));
}

TEST_CASE("shortest decimals read back to the same value of the format", "[scalar][conversions]") {
    for (const auto& format : {binary16(), bfloat16(), fp8_e4m3()}) {
        const std::uint64_t count = std::uint64_t{1} << format.total_bits();
        mp_float back;
        mpfr_set_prec(back.backend().data(), 128);
        for (std::uint64_t bits = 0; bits < count; ++bits) {
            const double v = format.decode(bits);
            const std::string text = to_shortest_decimal(v, format);
            REQUIRE(parse_number(text, back.backend().data()));
            const double read = round_to_format(back.backend().data(), format, rounding_mode::nearest_even);
            INFO(format.name << " pattern " << bits << " printed " << text);
            CHECK((std::bit_cast<std::uint64_t>(read) == std::bit_cast<std::uint64_t>(v) ||
                   (std::isnan(read) && std::isnan(v))));
        }
    }
    CHECK(to_shortest_decimal(0.1f, binary32()) == "0.1");
    CHECK(to_shortest_decimal(65504.0, binary16()) == "6.55e+04");
    CHECK(to_shortest_decimal(-0.0, binary16()) == "-0");
}

TEST_CASE("ulp_distance counts grid steps across binades, zero and infinity", "[scalar][conversions]") {
    const auto f = binary16();
    CHECK(ulp_distance(1.0, 1.0, f) == 0);
    CHECK(ulp_distance(1.0, 1.0 + 0x1p-10, f) == 1);
    CHECK(ulp_distance(1.0 - 0x1p-11, 1.0 + 0x1p-10, f) == 2);  // the spacing halves below 1
    CHECK(ulp_distance(-0x1p-24, 0x1p-24, f) == 2);
    CHECK(ulp_distance(-0.0, 0.0, f) == 0);
    CHECK(ulp_distance(65504.0, INFINITY, f) == 1);
    CHECK(ulp_distance(-INFINITY, INFINITY, f) == 2 * 0x7c00);
    CHECK(std::isnan(ulp_distance(NAN, 1.0, f)));
    CHECK(ulp_of(1.0, f) == 0x1p-10);
    CHECK(ulp_of(0.0, f) == 0x1p-24);
    CHECK(ulp_of(0x1p-20, f) == 0x1p-24);
    CHECK(ulp_of(-3.0, bfloat16()) == 0x1p-6);
    CHECK_THROWS(ulp_distance(0.1, 1.0, f));  // 0.1 is no fp16 value
}
