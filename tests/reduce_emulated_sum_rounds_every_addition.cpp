// The emulated sum rounds every addition to the format, in the precision's
// rounding mode: known answers where fp32 accumulation would differ, every
// result a value of the format, overflow by the format's rule, stochastic
// rounding reproducible per key and rounding up as often as it should.

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "gradlab/kernels/reduce.hpp"
#include "support/reduce_oracle.hpp"

using namespace gradlab;

namespace {

float emulated_sum(const std::vector<float>& x, const float_format& format, rounding_mode mode,
                   std::uint64_t key = 0) {
    return sum(std::span<const float>(x), format, mode, sr_stream{.key = key});
}

}  // namespace

TEST_CASE("emulated sum: fp16 additions round to fp16, not to fp32", "[kernels][reduce][emulated]") {
    const float half_ulp = std::ldexp(1.0f, -11);  // half a unit in the last place of 1 in fp16
    const std::vector<float> one_and_half_ulp = {1.0f, half_ulp};
    CHECK(sum(std::span<const float>(one_and_half_ulp)) == 1.0f + half_ulp);  // fp32 keeps it
    CHECK(emulated_sum(one_and_half_ulp, binary16(), rounding_mode::nearest_even) == 1.0f);  // tie to even
    CHECK(emulated_sum(one_and_half_ulp, binary16(), rounding_mode::toward_zero) == 1.0f);
    CHECK(emulated_sum(one_and_half_ulp, binary16(), rounding_mode::upward) == 1.0f + 2 * half_ulp);
    const std::vector<float> three_halves = {1.0f + 2 * half_ulp, half_ulp};  // tie, odd neighbour below
    CHECK(emulated_sum(three_halves, binary16(), rounding_mode::nearest_even) == 1.0f + 4 * half_ulp);
    // Near 2048 fp16 steps by 2. The lane tree adds lane 1 to lane 0, then
    // lane 2: each 1 meets 2048 on its own and is lost (a tie, to even); fp32 keeps both.
    const std::vector<float> ones_after = {2048.0f, 1.0f, 1.0f};
    CHECK(emulated_sum(ones_after, binary16(), rounding_mode::nearest_even) == 2048.0f);
    const std::vector<float> ones_first = {1.0f, 1.0f, 2048.0f};
    CHECK(emulated_sum(ones_first, binary16(), rounding_mode::nearest_even) == 2050.0f);
    // fp16's smallest subnormal, 2^-24, added to 1: fp32 would round 1 + 2^-24
    // to 1 (a tie, to even) before fp16 saw it; a directed rounding must still
    // see the tiny addend (rounding to odd in binary64 keeps it).
    const float tiny = std::ldexp(1.0f, -24);
    const std::vector<float> one_and_tiny = {1.0f, tiny};
    CHECK(emulated_sum(one_and_tiny, binary16(), rounding_mode::upward) == 1.0f + 2 * half_ulp);
    const std::vector<float> one_less_tiny = {1.0f, -tiny};
    CHECK(emulated_sum(one_less_tiny, binary16(), rounding_mode::toward_zero) == 1.0f - half_ulp);
}

TEST_CASE("emulated sum: every result is a value of the format", "[kernels][reduce][emulated]") {
    auto fp8 = fp8_e4m3();
    fp8.overflow = overflow_rule::saturate;
    for (const auto& format : {binary16(), bfloat16(), fp8_e5m2(), fp8}) {
        auto x = test::random_values<float>(5000, format.emin - format.precision, format.emax - 6, 1700);
        for (auto& v : x) v = static_cast<float>(round_to_format(v, format, rounding_mode::nearest_even));
        for (rounding_mode mode : {rounding_mode::nearest_even, rounding_mode::toward_zero, rounding_mode::upward,
                                   rounding_mode::downward, rounding_mode::stochastic}) {
            for (std::size_t n : {std::size_t{1}, std::size_t{7}, std::size_t{129}, x.size()}) {
                std::vector<float> prefix(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(n));
                const float s = emulated_sum(prefix, format, mode, 3);
                INFO(format.name << " " << short_name(mode) << " n " << n << " sum " << s);
                CHECK(test::same_bits(static_cast<float>(round_to_format(s, format, rounding_mode::nearest_even)), s));
            }
        }
    }
}

TEST_CASE("emulated sum: overflow follows the format's rule, NaN propagates", "[kernels][reduce][emulated]") {
    const std::vector<float> big = {40000.0f, 40000.0f};
    CHECK(emulated_sum(big, binary16(), rounding_mode::nearest_even) == INFINITY);
    CHECK(emulated_sum(big, binary16(), rounding_mode::toward_zero) == 65504.0f);
    auto saturating = fp8_e4m3();
    saturating.overflow = overflow_rule::saturate;
    const std::vector<float> fp8_big = {448.0f, 448.0f};
    CHECK(emulated_sum(fp8_big, saturating, rounding_mode::nearest_even) == 448.0f);
    CHECK(std::isnan(emulated_sum(fp8_big, fp8_e4m3(), rounding_mode::nearest_even)));  // e4m3 has no Inf
    const std::vector<float> with_nan = {1.0f, NAN, 2.0f};
    CHECK(std::isnan(emulated_sum(with_nan, binary16(), rounding_mode::nearest_even)));
}

TEST_CASE("emulated sum: formats wider than binary32, and stochastic rounding without a stream, are rejected",
          "[kernels][reduce][emulated]") {
    const std::vector<float> x = {1.0f};
    CHECK_THROWS_AS(emulated_sum(x, binary64(), rounding_mode::nearest_even), std::invalid_argument);
    CHECK_THROWS_AS(sum(std::span<const float>(x), binary16(), rounding_mode::stochastic), std::invalid_argument);
    CHECK(sum(std::span<const float>(x), binary16(), rounding_mode::nearest_even) == 1.0f);  // no stream needed
}

TEST_CASE("emulated sum: stochastic rounding is reproducible per key and rounds up as often as it should",
          "[kernels][reduce][emulated]") {
    // 1 + 2^-12 lies a quarter of the way from 1 to the next fp16 value.
    const std::vector<float> x = {1.0f, std::ldexp(1.0f, -12)};
    int up = 0;
    constexpr int draws = 1000;
    for (int key = 0; key < draws; ++key) {
        const float s = emulated_sum(x, binary16(), rounding_mode::stochastic, static_cast<std::uint64_t>(key));
        CHECK(test::same_bits(s, emulated_sum(x, binary16(), rounding_mode::stochastic, static_cast<std::uint64_t>(key))));
        if (s != 1.0f) ++up;
    }
    // Binomial(1000, 1/4): mean 250, standard deviation 13.7; 4 sigma either side.
    INFO("rounded up " << up << " times of " << draws);
    CHECK(up >= 195);
    CHECK(up <= 305);
}
