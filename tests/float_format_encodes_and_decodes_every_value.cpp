// float_format's derived quantities and its encoding, checked exhaustively on
// the 8- and 16-bit formats: decode(encode(v)) == v for every pattern, and the
// encoding orders positive values like the integers.

#include <catch2/catch.hpp>

#include <cmath>

#include "gradlab/scalar/float_format.hpp"

using namespace gradlab;

TEST_CASE("derived quantities of the named formats", "[scalar][format]") {
    CHECK(binary16().max_finite() == 65504.0);
    CHECK(binary16().min_normal() == std::ldexp(1.0, -14));
    CHECK(binary16().min_subnormal() == std::ldexp(1.0, -24));
    CHECK(binary16().unit_roundoff() == std::ldexp(1.0, -11));
    CHECK(bfloat16().max_finite() == 0x1.fep127);
    CHECK(bfloat16().min_subnormal() == std::ldexp(1.0, -133));
    CHECK(fp8_e4m3().max_finite() == 448.0);
    CHECK(fp8_e4m3().min_subnormal() == std::ldexp(1.0, -9));
    CHECK(fp8_e5m2().max_finite() == 57344.0);
    CHECK(fp8_e5m2().min_subnormal() == std::ldexp(1.0, -16));
    CHECK(binary32().max_finite() == static_cast<double>(std::numeric_limits<float>::max()));
    CHECK(binary64().max_finite() == std::numeric_limits<double>::max());
    CHECK(binary64().min_subnormal() == std::numeric_limits<double>::denorm_min());
    for (const auto& f : {binary16(), bfloat16(), fp8_e4m3(), fp8_e5m2()}) CHECK(f.fits_in_float());
    CHECK(binary16().total_bits() == 16);
    CHECK(fp8_e4m3().total_bits() == 8);
    CHECK(custom_format(11, 15).total_bits() == 16);
}

TEST_CASE("every pattern of the small formats decodes and encodes back", "[scalar][format]") {
    for (const auto& format : {binary16(), bfloat16(), fp8_e4m3(), fp8_e5m2(), custom_format(4, 3)}) {
        INFO(format.name);
        const std::uint64_t count = std::uint64_t{1} << format.total_bits();
        const std::uint64_t sign = count / 2;
        std::uint64_t nans = 0;
        double previous = -1;
        for (std::uint64_t bits = 0; bits < count; ++bits) {
            const double v = format.decode(bits);
            if (std::isnan(v)) {
                ++nans;
                continue;
            }
            CHECK(format.encode(v) == bits);
            CHECK(std::signbit(v) == (bits >= sign));
            if (bits < sign) {
                CHECK(v > previous);  // positive patterns increase with the value
                previous = v;
            }
        }
        CHECK(previous == (format.has_infinity ? INFINITY : format.max_finite()));
        // IEEE layout: 2 * (2^(p-1) - 1) NaN patterns; e4m3: just S.1111.111.
        CHECK(nans == (format.ieee_specials ? 2 * ((std::uint64_t{1} << (format.precision - 1)) - 1) : 2));
    }
}

TEST_CASE("encode rejects values the format does not have", "[scalar][format]") {
    CHECK_THROWS_AS(binary16().encode(0.1), std::domain_error);
    CHECK_THROWS_AS(binary16().encode(65536.0), std::domain_error);
    CHECK_THROWS_AS(fp8_e4m3().encode(INFINITY), std::domain_error);
    CHECK_THROWS_AS(binary16().encode(std::ldexp(1.0, -25)), std::domain_error);
    CHECK(binary16().encode(NAN) == 0x7e00);
    CHECK(fp8_e4m3().encode(NAN) == 0x7f);
    CHECK(binary16().encode(-0.0) == 0x8000);
}

TEST_CASE("custom formats outside binary64 are rejected", "[scalar][format]") {
    CHECK_THROWS_AS(custom_format(54, 15), std::invalid_argument);
    CHECK_THROWS_AS(custom_format(1, 15), std::invalid_argument);
    CHECK_THROWS_AS(custom_format(11, 1024), std::invalid_argument);
    CHECK_THROWS_AS(custom_format(53, 1023 + 1), std::invalid_argument);
    CHECK_NOTHROW(custom_format(53, 1023));
    CHECK_FALSE(custom_format(25, 15).fits_in_float());
}
