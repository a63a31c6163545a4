// The scalar traits against what each type's own library says: IEEE binary32
// and binary64 against std::numeric_limits and float_format's data, binary128
// against Boost's limits and the IEEE 754 values, mp against MPFR, emulated
// formats against their float_format. The precision type list against the
// precision families, and gamma against MPFR's exact value of k u / (1 - k u).

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include <mpfr.h>
#include <quadmath.h>

#include "gradlab/scalar/error_bounds.hpp"
#include "gradlab/scalar/precision.hpp"
#include "gradlab/scalar/precision_types.hpp"
#include "gradlab/scalar/scalar_traits.hpp"
#include "support/mp_values.hpp"

using namespace gradlab;

static_assert(!scalar_type<int>, "a type without traits is not a scalar type");
static_assert(fixed_precision_scalar<double> && !fixed_precision_scalar<mp_float>);
static_assert(scalar_traits<float>::significand_bits() == 24 && scalar_traits<double>::significand_bits() == 53,
              "the native traits are compile-time constants");

namespace {

// The traits of a native type against its float_format and its limits.
template <class T>
void check_native(const float_format& format) {
    using traits = scalar_traits<T>;
    using limits = std::numeric_limits<T>;
    INFO(traits::name());
    CHECK(traits::name() == format.name);
    CHECK(traits::significand_bits() == format.precision);
    CHECK(traits::significand_bits() == limits::digits);
    CHECK(traits::emin() == format.emin);
    CHECK(traits::emax() == format.emax);
    CHECK(traits::has_subnormals() == format.subnormals);
    CHECK(std::ldexp(T(1), static_cast<int>(traits::emin())) == limits::min());
    CHECK(std::ldexp(T(1), static_cast<int>(traits::emin()) - traits::significand_bits() + 1) == limits::denorm_min());
    CHECK(static_cast<double>(limits::max()) == format.max_finite());
    CHECK(unit_roundoff<T>() == format.unit_roundoff());
    CHECK(unit_roundoff<T>() == limits::epsilon() / 2);
    CHECK(!traits::emulated);
    CHECK(traits::simd);
}

}  // namespace

TEST_CASE("scalar traits: fp32 and fp64 agree with numeric_limits and their float_format", "[scalar][traits]") {
    check_native<float>(binary32());
    check_native<double>(binary64());
}

TEST_CASE("scalar traits: f128 agrees with Boost's limits and IEEE binary128", "[scalar][traits]") {
    using traits = scalar_traits<float128>;
    using limits = std::numeric_limits<float128>;
    CHECK(traits::name() == "f128");
    CHECK(traits::significand_bits() == 113);  // IEEE 754-2008, table 3.5
    CHECK(traits::emin() == -16382);
    CHECK(traits::emax() == 16383);
    CHECK(traits::has_subnormals());
    CHECK(traits::significand_bits() == limits::digits);
    CHECK(traits::emin() == limits::min_exponent - 1);
    CHECK(traits::emax() == limits::max_exponent - 1);
    // Boost 1.74's numeric_limits<float128>::min() and max() do not compile
    // in C++20: quadmath.h's constants instead.
    CHECK(traits::significand_bits() == FLT128_MANT_DIG);
    CHECK(ldexp(float128(1), static_cast<int>(traits::emin())) == float128(FLT128_MIN));
    CHECK(ldexp(float128(1), static_cast<int>(traits::emin()) - 112) == float128(FLT128_DENORM_MIN));
    CHECK(ldexp(2 - ldexp(float128(1), -112), static_cast<int>(traits::emax())) == float128(FLT128_MAX));
    CHECK(unit_roundoff<float128>() == std::ldexp(1.0, -113));
    CHECK(float128(unit_roundoff<float128>()) == limits::epsilon() / 2);
    CHECK(!traits::emulated);
    CHECK(!traits::simd);
}

TEST_CASE("scalar traits: mp takes each number's precision and MPFR's exponent range", "[scalar][traits]") {
    using traits = scalar_traits<mp_float>;
    for (const mpfr_prec_t bits : {2L, 24L, 64L, 256L, 1074L, 4096L}) {
        INFO(bits << " bits");
        const auto values = test::mp_values(1, bits);
        const auto p = mp_precision::of(values[0]);
        CHECK(traits::significand_bits(p) == bits);
        CHECK(traits::name(p) == "mp" + std::to_string(bits));
        CHECK(unit_roundoff<mp_float>(p) == std::ldexp(1.0, static_cast<int>(-bits)));  // 0 beyond 1074 bits
        const precision parsed = parse_precision(traits::name(p));
        CHECK(parsed.family == traits::family);
        CHECK(parsed.mp_bits == bits);
    }
    // 2^emin and 2^emax are values; half the one underflows, twice the other overflows.
    const mp_precision p{53};
    test::mp x(53);
    CHECK(mpfr_set_si_2exp(x.v, 1, traits::emin(p), MPFR_RNDN) == 0);
    CHECK(mpfr_get_exp(x.v) - 1 == traits::emin(p));
    mpfr_div_2ui(x.v, x.v, 1, MPFR_RNDZ);
    CHECK(mpfr_zero_p(x.v));
    CHECK(mpfr_set_si_2exp(x.v, 1, traits::emax(p), MPFR_RNDN) == 0);
    CHECK(mpfr_get_exp(x.v) - 1 == traits::emax(p));
    mpfr_mul_2ui(x.v, x.v, 1, MPFR_RNDN);
    CHECK(mpfr_inf_p(x.v));
    CHECK(traits::emin(p) == mpfr_get_emin() - 1);
    CHECK(traits::emax(p) == mpfr_get_emax() - 1);
    CHECK(!traits::has_subnormals(p));
    CHECK(!traits::emulated);
    CHECK(!traits::simd);
}

TEST_CASE("scalar traits: an emulated format's traits are its float_format", "[scalar][traits]") {
    using traits = scalar_traits<emulated_float>;
    for (const auto& format : {binary16(), bfloat16(), fp8_e4m3(), fp8_e5m2(), custom_format(5, 9)}) {
        INFO(format.name);
        CHECK(traits::name(format) == format.name);
        CHECK(traits::significand_bits(format) == format.precision);
        CHECK(traits::emin(format) == format.emin);
        CHECK(traits::emax(format) == format.emax);
        CHECK(traits::has_subnormals(format));
        CHECK(unit_roundoff<emulated_float>(format) == format.unit_roundoff());
        CHECK(unit_roundoff(parse_precision(format.name)) == format.unit_roundoff());
    }
    auto flushing = bfloat16();
    flushing.subnormals = false;
    CHECK(!traits::has_subnormals(flushing));
    CHECK(traits::emulated);
    CHECK(traits::simd);
    static_assert(std::is_same_v<traits::storage, float>);
}

TEST_CASE("scalar traits: the precision type list has one type per family, named as the grammar reads",
          "[scalar][traits]") {
    std::vector<precision_family> families;
    for_each_type(precision_types{}, [&]<class T>() {
        using traits = scalar_traits<T>;
        families.push_back(traits::family);
        if constexpr (fixed_precision_scalar<T>) {
            const precision parsed = parse_precision(traits::name());
            CHECK(parsed.family == traits::family);
            CHECK(parsed.significand_bits() == traits::significand_bits());
            CHECK(unit_roundoff(parsed) == unit_roundoff<T>());
        }
    });
    CHECK(families == std::vector<precision_family>{precision_family::fp32, precision_family::fp64,
                                                    precision_family::f128, precision_family::mp,
                                                    precision_family::emulated});
}

TEST_CASE("error bounds: the unit roundoff of a parsed precision follows its rounding mode", "[scalar][bounds]") {
    CHECK(unit_roundoff(parse_precision("fp32")) == 0x1p-24);
    CHECK(unit_roundoff(parse_precision("mp256")) == std::ldexp(1.0, -256));
    CHECK(unit_roundoff(parse_precision("bf16")) == 0x1p-8);
    for (const char* directed : {"bf16/rz", "bf16/ru", "bf16/rd", "bf16/sr"})
        CHECK(unit_roundoff(parse_precision(directed)) == 0x1p-7);  // either neighbour: a whole ulp
    CHECK(unit_roundoff(parse_precision("fp8e4m3/sr+ftz")) == 0x1p-3);
}

TEST_CASE("error bounds: gamma is exact where it can be, vacuous at k u >= 1", "[scalar][bounds]") {
    CHECK(gamma(0, 0x1p-24) == 0);
    CHECK(gamma(1, 0.5) == 1);   // 1/2 / (1/2)
    CHECK(gamma(2, 0.25) == 1);
    CHECK(gamma(3, 0.25) == 3);  // 3/4 / (1/4)
    CHECK(gamma(7, 0.125) == 7);
    CHECK(gamma((1 << 24) - 1, 0x1p-24) == (1 << 24) - 1);  // (1 - 2^-24) / 2^-24
    const double inf = std::numeric_limits<double>::infinity();
    CHECK(gamma(4, 0.25) == inf);
    CHECK(gamma(5, 0.25) == inf);
    CHECK(gamma(std::size_t{1} << 24, 0x1p-24) == inf);
    CHECK(gamma(std::size_t{1} << 53, 0x1p-53) == inf);
    CHECK(gamma(std::size_t{1} << 20, 0x1p-11) == inf);  // a long fp16 sum bounds nothing
}

TEST_CASE("error bounds: the default tolerance is gamma of four roundings", "[scalar][bounds]") {
    CHECK(default_tolerance<emulated_float>(fp8_e5m2()) == 1);  // 4/8 / (1 - 4/8)
    CHECK(default_tolerance<emulated_float>(fp8_e4m3()) > 1.0 / 3);
    CHECK(default_tolerance<emulated_float>(fp8_e4m3()) < 1.0 / 3 * (1 + 0x1p-50));
    CHECK(default_tolerance<double>() > 0x1p-51);
    CHECK(default_tolerance<double>() < 0x1p-51 * (1 + 0x1p-49));
    CHECK(default_tolerance<mp_float>(mp_precision{256}) == gamma(4, std::ldexp(1.0, -256)));
}

TEST_CASE("error bounds: gamma is rounded up, within 2^-50 of exact, and increases with k and u",
          "[scalar][bounds]") {
    test::mp exact(256), ku(256);
    const auto exact_gamma = [&](std::size_t k, int log2_u) {
        mpfr_set_ui(ku.v, k, MPFR_RNDN);
        mpfr_mul_2si(ku.v, ku.v, log2_u, MPFR_RNDN);
        mpfr_ui_sub(exact.v, 1, ku.v, MPFR_RNDN);
        mpfr_div(exact.v, ku.v, exact.v, MPFR_RNDN);
    };
    std::size_t checked = 0;
    double worst = 0;  // (gamma - exact) / exact
    for (const int log2_u : {-2, -3, -4, -8, -11, -24, -53, -113, -256}) {
        double previous = 0;
        for (std::size_t k = 1; std::ldexp(static_cast<double>(k), log2_u) < 1 && k < std::size_t{1} << 50;
             k = k < 64 ? k + 1 : k * 3 / 2 + 1) {
            INFO("k " << k << ", u 2^" << log2_u);
            const double g = gamma(k, std::ldexp(1.0, log2_u));
            exact_gamma(k, log2_u);
            CHECK(mpfr_cmp_d(exact.v, g) <= 0);
            mpfr_sub_d(ku.v, exact.v, g, MPFR_RNDN);
            mpfr_div(ku.v, ku.v, exact.v, MPFR_RNDN);
            const double excess = -mpfr_get_d(ku.v, MPFR_RNDN);
            CHECK(excess < 0x1p-50);
            worst = std::max(worst, excess);
            CHECK(g > previous);
            CHECK(g >= std::ldexp(static_cast<double>(k), log2_u));
            CHECK(gamma(k, std::ldexp(1.0, log2_u + 1)) > g);
            previous = g;
            ++checked;
        }
    }
    CHECK(checked > 500);
    WARN("gamma: " << checked << " values, worst excess over exact " << worst << " (bound 2^-50 = " << 0x1p-50 << ")");
}
