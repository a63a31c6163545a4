// Rounding results do not depend on state the caller may have changed: the
// x86 flush-to-zero and denormals-are-zero modes (-ffast-math sets them) and
// MPFR's exponent range (mpfr_set_emax is how MPFR users emulate formats).
// Nor does rounding change that state.

#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <vector>

#include "gradlab/scalar/conversions.hpp"
#include "gradlab/scalar/round_array.hpp"

#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

using namespace gradlab;

#if defined(__x86_64__)
TEST_CASE("rounding keeps exact subnormals under flush-to-zero and denormals-are-zero", "[scalar][rounding]") {
    const unsigned saved = _mm_getcsr();
    _mm_setcsr(saved | (1u << 15) | (1u << 6));
    mp_float x;
    mpfr_set_prec(x.backend().data(), 64);
    mpfr_set_ui_2exp(x.backend().data(), 3, -1074, MPFR_RNDN);
    const double tiny = to_fp64(x.backend().data());
    const std::uint64_t tiny_bits = std::bit_cast<std::uint64_t>(tiny);
    std::vector<float> in{0x1p-130f, -0x1p-133f, 0x1p-25f * 3}, out(3);
    std::vector<std::uint32_t> generic_bits, simd_bits;
    round_array(in, out, bfloat16(), rounding_mode::nearest_even, std::nullopt, isa::generic);
    for (float v : out) generic_bits.push_back(std::bit_cast<std::uint32_t>(v));
    round_array(in, out, bfloat16(), rounding_mode::nearest_even);
    for (float v : out) simd_bits.push_back(std::bit_cast<std::uint32_t>(v));
    const double fp16_subnormal = binary16().decode(0x0003);
    const unsigned during = _mm_getcsr();
    _mm_setcsr(saved);
    CHECK(during == (saved | (1u << 15) | (1u << 6)));  // the caller's modes are back
    CHECK(tiny_bits == 3);                                // 3 * 2^-1074
    CHECK(generic_bits == std::vector<std::uint32_t>{0x00080000, 0x80010000, 0x33c00000});
    CHECK(simd_bits == generic_bits);
    CHECK(fp16_subnormal == 3 * 0x1p-24);
}
#endif

TEST_CASE("rounding an mp value ignores and keeps the caller's MPFR exponent range and flags", "[scalar][rounding]") {
    mp_float x;
    mpfr_set_prec(x.backend().data(), 64);
    mpfr_set_ui(x.backend().data(), 1000, MPFR_RNDN);
    const mpfr_exp_t emin = mpfr_get_emin(), emax = mpfr_get_emax();
    mpfr_set_emax(20);
    mpfr_set_emin(-10);
    mpfr_clear_flags();
    const double rounded = round_to_format(x.backend().data(), binary16(), rounding_mode::nearest_even);
    const bool flags_clear = mpfr_flags_test(MPFR_FLAGS_ALL) == 0;
    const bool range_kept = mpfr_get_emax() == 20 && mpfr_get_emin() == -10;
    mpfr_set_emin(emin);
    mpfr_set_emax(emax);
    CHECK(rounded == 1000.0);
    CHECK(flags_clear);
    CHECK(range_kept);
}

TEST_CASE("stochastic rounding of arrays requires a stream; instruction sets are checked", "[scalar][rounding]") {
    std::vector<float> in{1.1f, 2.2f}, out(2);
    CHECK_THROWS_AS(round_array(in, out, binary16(), rounding_mode::stochastic), std::invalid_argument);
    CHECK_NOTHROW(round_array(in, out, binary16(), rounding_mode::stochastic, sr_stream{.key = 3}));
    const auto supported = supported_isas();
    for (isa level : {isa::generic, isa::sse2, isa::avx2, isa::avx512})
        if (std::find(supported.begin(), supported.end(), level) == supported.end())
            CHECK_THROWS_AS(round_array(in, out, binary16(), rounding_mode::nearest_even, std::nullopt, level),
                            std::invalid_argument);
}

TEST_CASE("stochastic-rounding streams of nearby keys are unrelated", "[scalar][rounding]") {
    // With keys that differ in one bit, no fixed index permutation of the
    // form i -> i ^ c maps one stream onto the other: sample c from the
    // first draws and check it fails on the rest.
    for (std::uint64_t key : {std::uint64_t{1}, std::uint64_t{42}, std::uint64_t{1} << 40}) {
        const sr_stream a{.key = key}, b{.key = key ^ 1};
        std::size_t equal = 0;
        for (std::uint64_t i = 0; i < 1 << 16; ++i) equal += a.bits(i) == b.bits(i);
        CHECK(equal < 4);  // 2^16 pairs of independent 32-bit values: expected 2^-16 equal
        const std::uint32_t c = a.high_key(0) ^ b.high_key(0);
        std::size_t permuted = 0;
        for (std::uint64_t i = 0; i < 1000; ++i) permuted += a.bits(i) == b.bits(i ^ c);
        CHECK(permuted < 4);
    }
}
