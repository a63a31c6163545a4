// Converting an MPFR value to fp32, fp64, binary128 or an emulated format is
// done every training step (learning rates, bias corrections, loss scales),
// so after a first call it must allocate nothing, and it must give bit for
// bit what the allocating MPFR routines give: mpfr_get_float128 for
// binary128, and for the rest the unpacking through mpfr_get_uj that the
// in-place limb read replaced (kept below as the reference).

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <utility>
#include <vector>

#include <gmp.h>
#include <mpfr.h>

#include "gradlab/scalar/conversions.hpp"
#include "gradlab/scalar/round_to_format.hpp"
#include "support/gmp_allocation_counter.hpp"

using namespace gradlab;

namespace {

constexpr mpfr_prec_t bits = 256;

struct mpfr_value {
    mpfr_t v;
    mpfr_value() { mpfr_init2(v, bits); }
    mpfr_value(const mpfr_value& other) : mpfr_value() { mpfr_set(v, other.v, MPFR_RNDN); }
    mpfr_value& operator=(const mpfr_value&) = delete;
    ~mpfr_value() { mpfr_clear(v); }
};

// (-1)^negative * m * 2^(e - significant), m odd-ended random with exactly
// `significant` bits (top and bottom bits set), so |x| in [2^(e-1), 2^e).
mpfr_value with_bits(std::mt19937_64& rng, int significant, mpfr_exp_t e, bool negative) {
    mpfr_value x;
    mpfr_set_ui(x.v, 1, MPFR_RNDN);
    for (int i = 1; i < significant; ++i) {
        mpfr_mul_2ui(x.v, x.v, 1, MPFR_RNDN);
        if (i == significant - 1 || (rng() & 1)) mpfr_add_ui(x.v, x.v, 1, MPFR_RNDN);
    }
    mpfr_set_exp(x.v, e);
    if (negative) mpfr_neg(x.v, x.v, MPFR_RNDN);
    return x;
}

// Values across binary128's and binary32's ranges, from far below the least
// subnormal to far past the largest finite value, with random 256-bit
// significands, and with significands one bit longer than the format keeps
// at that exponent ending in 1 (exact halfway cases), plus the specials.
std::vector<mpfr_value> inputs() {
    std::mt19937_64 rng(20261123);
    std::vector<mpfr_value> values;
    const auto add_around = [&](mpfr_exp_t e, int kept) {
        const bool negative = rng() & 1;
        values.push_back(with_bits(rng, bits, e, negative));
        values.push_back(with_bits(rng, kept + 1, e, negative));  // a tie
        values.push_back(with_bits(rng, 1, e, negative));         // a power of two
    };
    // binary128: 113 bits from exponent -16381 up, fewer below; least subnormal 2^-16494
    for (mpfr_exp_t e = -16500; e <= -16370; ++e) add_around(e, static_cast<int>(std::clamp<mpfr_exp_t>(e + 16494, 1, 113)));
    for (mpfr_exp_t e = 16370; e <= 16390; ++e) add_around(e, 113);
    for (int i = 0; i < 2000; ++i) add_around(std::uniform_int_distribution<mpfr_exp_t>(-17000, 17000)(rng), 113);
    // binary32 and binary64 subnormals and overflow, and the emulated formats' ranges
    for (mpfr_exp_t e = -1080; e <= -1015; ++e) add_around(e, 53);
    for (mpfr_exp_t e = -160; e <= 140; ++e) add_around(e, 24);
    for (int i = 0; i < 2000; ++i) add_around(std::uniform_int_distribution<mpfr_exp_t>(-200, 200)(rng), 8);
    // just below and at the largest finite binary128 and its midpoint with 2^16384
    for (int significant : {113, 114}) {
        mpfr_value x;
        mpfr_set_ui_2exp(x.v, 1, 16384, MPFR_RNDN);
        mpfr_value ulp;
        mpfr_set_ui_2exp(ulp.v, 1, 16384 - significant, MPFR_RNDN);
        mpfr_sub(x.v, x.v, ulp.v, MPFR_RNDN);
        values.push_back(x);
        mpfr_neg(x.v, x.v, MPFR_RNDN);
        values.push_back(x);
    }
    for (int sign : {1, -1}) {
        mpfr_value x;
        mpfr_set_zero(x.v, sign);
        values.push_back(x);
        mpfr_set_inf(x.v, sign);
        values.push_back(x);
        mpfr_set_nan(x.v);
        if (sign < 0) mpfr_neg(x.v, x.v, MPFR_RNDN);
        values.push_back(x);
    }
    return values;
}

constexpr std::pair<rounding_mode, mpfr_rnd_t> modes[] = {{rounding_mode::nearest_even, MPFR_RNDN},
                                                          {rounding_mode::toward_zero, MPFR_RNDZ},
                                                          {rounding_mode::upward, MPFR_RNDU},
                                                          {rounding_mode::downward, MPFR_RNDD}};

// The unpacking as it was, reading the truncated significand with mpfr_get_uj.
unpacked_value unpack_reference(mpfr_srcptr x) {
    unpacked_value v;
    v.negative = mpfr_signbit(x) != 0;
    v.is_nan = mpfr_nan_p(x) != 0;
    v.is_infinite = mpfr_inf_p(x) != 0;
    if (!mpfr_regular_p(x)) return v;
    mpfr_t top;
    mpfr_init2(top, 64);
    v.sticky = mpfr_abs(top, x, MPFR_RNDZ) != 0;
    v.exponent = mpfr_get_exp(top) - 64;
    mpfr_set_exp(top, 64);
    v.significand = mpfr_get_uj(top, MPFR_RNDN);
    mpfr_clear(top);
    return v;
}

template <typename T>
auto bits_of(T x) {
    unsigned char bytes[sizeof x];
    std::memcpy(bytes, &x, sizeof x);
    return std::vector<unsigned char>(bytes, bytes + sizeof x);
}

std::vector<float_format> emulated_formats() { return {binary16(), bfloat16(), fp8_e4m3(), fp8_e5m2()}; }


}  // namespace

TEST_CASE("binary128 from mpfr is bit for bit mpfr_get_float128, in every mode", "[scalar][conversions][allocation]") {
    for (const auto& x : inputs()) {
        for (const auto& [mode, rnd] : modes) {
            INFO(to_round_trip_decimal(x.v) << " mode " << short_name(mode));
            REQUIRE(bits_of(to_f128(x.v, mode).backend().value()) == bits_of(mpfr_get_float128(x.v, rnd)));
        }
    }
}

TEST_CASE("binary128 into mpfr (set_exactly) is mpfr_set_float128's value, and allocates nothing",
          "[scalar][conversions][allocation]") {
    // Every binary128 value: normals, subnormals, ±0, ±Inf, NaN from the inputs' roundings.
    std::vector<float128> values;
    for (const auto& x : inputs())
        for (const auto& [mode, rnd] : modes) values.push_back(to_f128(x.v, mode));
    mpfr_t got, want;
    mpfr_init2(got, 113);
    mpfr_init2(want, 113);
    for (const auto& v : values) {
        set_exactly(got, v);
        mpfr_set_float128(want, v.backend().value(), MPFR_RNDN);
        INFO(to_round_trip_decimal(want));
        REQUIRE(((mpfr_nan_p(got) && mpfr_nan_p(want)) ||
                 (mpfr_equal_p(got, want) && mpfr_signbit(got) == mpfr_signbit(want))));
    }
    long allocations = 0;
    {
        const test::gmp_allocation_counter counter;
        for (const auto& v : values) set_exactly(got, v);
        allocations = counter.count();
    }
    CHECK(allocations == 0);
    mpfr_clear(got);
    mpfr_clear(want);
}

TEST_CASE("binary128 from mpfr neither depends on nor changes the caller's exponent range and flags",
          "[scalar][conversions][allocation]") {
    std::mt19937_64 rng(5);
    const mpfr_value subnormal = with_bits(rng, bits, -16450, false), large = with_bits(rng, bits, 16000, true);
    const auto expected_subnormal = bits_of(mpfr_get_float128(subnormal.v, MPFR_RNDN));
    const auto expected_large = bits_of(mpfr_get_float128(large.v, MPFR_RNDN));
    const mpfr_exp_t emin = mpfr_get_emin(), emax = mpfr_get_emax();
    mpfr_set_emin(-100);
    mpfr_set_emax(100);
    mpfr_clear_flags();
    CHECK(bits_of(to_f128(subnormal.v).backend().value()) == expected_subnormal);
    CHECK(bits_of(to_f128(large.v).backend().value()) == expected_large);
    CHECK(mpfr_get_emin() == -100);
    CHECK(mpfr_get_emax() == 100);
    CHECK(mpfr_flags_save() == 0);
    mpfr_set_emin(emin);
    mpfr_set_emax(emax);
}

TEST_CASE("fp32, fp64 and emulated formats from mpfr unpack as mpfr_get_uj did", "[scalar][conversions][allocation]") {
    for (const auto& x : inputs()) {
        const unpacked_value got = unpack(x.v), expected = unpack_reference(x.v);
        INFO(to_round_trip_decimal(x.v));
        REQUIRE(got.negative == expected.negative);
        REQUIRE(got.is_nan == expected.is_nan);
        REQUIRE(got.is_infinite == expected.is_infinite);
        REQUIRE(got.exponent == expected.exponent);
        REQUIRE(got.significand == expected.significand);
        REQUIRE(got.sticky == expected.sticky);
        for (const auto& [mode, rnd] : modes) {
            // mpfr_get_flt and mpfr_get_d round correctly, subnormals
            // included; their NaN is the FPU's default one, gradlab's the
            // positive quiet one
            if (mpfr_nan_p(x.v)) {
                REQUIRE(std::isnan(to_fp32(x.v, mode)));
                REQUIRE(std::isnan(to_fp64(x.v, mode)));
                continue;
            }
            REQUIRE(bits_of(to_fp32(x.v, mode)) == bits_of(mpfr_get_flt(x.v, rnd)));
            REQUIRE(bits_of(to_fp64(x.v, mode)) == bits_of(mpfr_get_d(x.v, rnd)));
        }
    }
}

TEST_CASE("converting from mpfr allocates nothing after a first call", "[scalar][conversions][allocation]") {
    const std::vector<mpfr_value> values = inputs();
    const std::vector<float_format> formats = emulated_formats();
    volatile double sink = 0;  // keeps the calls from being optimised away
    const auto convert_all = [&] {
        for (const auto& x : values) {
            for (const auto& [mode, rnd] : modes) {
                sink = to_fp32(x.v, mode);
                sink = to_fp64(x.v, mode);
                sink = static_cast<double>(to_f128(x.v, mode));
                for (const auto& format : formats) sink = round_to_format(x.v, format, mode);
            }
            for (const auto& format : formats) sink = round_to_format(x.v, format, rounding_mode::stochastic, 12345);
        }
    };
    convert_all();  // the first call makes this thread's scratch numbers

    {
        const test::gmp_allocation_counter counter;
        mpfr_t probe;
        mpfr_init2(probe, 256);
        mpfr_clear(probe);
        REQUIRE(counter.count() == 1);  // the counter sees MPFR's allocations
    }
    long allocations = 0;
    {
        const test::gmp_allocation_counter counter;
        convert_all();
        allocations = counter.count();
    }
    CHECK(allocations == 0);
}
