// Stochastic rounding: for x a fraction f of the way from lo to hi (format
// neighbours), N = 100,000 draws (element indices 0..N-1 of an sr_stream)
// give only lo or hi, go up with frequency f, and average to x; the same key
// gives the same bits, another key other bits; the SIMD path (round_array)
// gives exactly the scalar results, however the array is split.
//
// Bounds: the number of ups is Binomial(N, f) when the draws are
// independent, so the frequency is within 5 standard errors sqrt(f(1-f)/N)
// of f except with probability about 6e-7 per check; the mean of the rounded
// values is lo + frequency * (hi - lo), so it is within 5 standard errors
// times (hi - lo) of x. The seeds are fixed, so the test is deterministic;
// the 5-sigma margin says how lucky a seed would have to be to hide a bias.

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include <mpfr.h>

#include "gradlab/scalar/round_array.hpp"

using namespace gradlab;

namespace {

constexpr std::size_t draws = 100000;
constexpr double sigmas = 5.0;

struct sr_case {
    const char* name;
    float_format format;
    double lo, hi;  // neighbours in the format, by magnitude
    double x;       // lo < |x| < hi
    double f;       // (|x| - lo) / (hi - lo), the probability of rounding away from zero
};

std::vector<sr_case> cases() {
    const double fp16_ulp = 0x1p-10, bf16_ulp = 0x1p-6;  // at 1.0 and at 2.0
    return {
        {"fp16 1/4", binary16(), 1.0, 1.0 + fp16_ulp, 1.0 + fp16_ulp / 4, 0.25},
        {"fp16 1/2", binary16(), 1.0, 1.0 + fp16_ulp, 1.0 + fp16_ulp / 2, 0.5},
        {"fp16 3/4", binary16(), 1.0, 1.0 + fp16_ulp, 1.0 + 3 * fp16_ulp / 4, 0.75},
        {"fp16 -3/4", binary16(), 1.0, 1.0 + fp16_ulp, -(1.0 + 3 * fp16_ulp / 4), 0.75},
        // f not a multiple of 2^-31: the probability is within 2^-31 above f
        {"fp16 about 1/3", binary16(), 1.0, 1.0 + fp16_ulp, 1.0 + fp16_ulp / 3, 1.0 / 3},
        {"fp16 subnormal 1/2", binary16(), 3 * 0x1p-24, 4 * 0x1p-24, 3.5 * 0x1p-24, 0.5},
        {"fp16 below the smallest subnormal 1/4", binary16(), 0.0, 0x1p-24, 0x1p-26, 0.25},
        {"bf16 1/4", bfloat16(), 2.0, 2.0 + bf16_ulp, 2.0 + bf16_ulp / 4, 0.25},
        {"bf16 3/4", bfloat16(), 0x1.fcp100, 0x1.fep100, 0x1.fcp100 + 3 * 0x1p91, 0.75},  // spacing 2^93
        {"fp8e4m3 3/4", fp8_e4m3(), 10.0, 11.0, 10.75, 0.75},
        {"fp8e5m2 1/4", fp8_e5m2(), 5.0, 6.0, 5.25, 0.25},
        {"fp8e4m3 subnormal 1/2", fp8_e4m3(), 0x1p-9, 0x1p-8, 0x1.8p-9, 0.5},
    };
}

// The bits element i of the stream draws, through the scalar reference.
double scalar_round(const sr_case& c, const sr_stream& sr, std::uint64_t i) {
    return round_to_format(c.x, c.format, rounding_mode::stochastic, sr.bits(sr.offset + i));
}

std::vector<double> scalar_draws(const sr_case& c, const sr_stream& sr) {
    std::vector<double> out(draws);
    for (std::size_t i = 0; i < draws; ++i) out[i] = scalar_round(c, sr, i);
    return out;
}

void check_unbiased(const sr_case& c, const std::vector<double>& rounded) {
    const double sign = c.x < 0 ? -1.0 : 1.0;
    std::size_t ups = 0, others = 0, up_pairs = 0;
    double sum = 0;  // of up to 10^5 values in [lo, hi]: its rounding error is far below the bound
    for (std::size_t i = 0; i < rounded.size(); ++i) {
        const bool up = rounded[i] == sign * c.hi;
        ups += up;
        others += !up && rounded[i] != sign * c.lo;
        if (up && i + 1 < rounded.size() && rounded[i + 1] == sign * c.hi) ++up_pairs;
        sum += rounded[i];
    }
    const double n = static_cast<double>(rounded.size());
    const double frequency = static_cast<double>(ups) / n;
    const double standard_error = std::sqrt(c.f * (1 - c.f) / n);
    const double mean = sum / n;
    INFO(c.name << ": " << ups << " ups in " << rounded.size() << " draws, frequency " << frequency << ", expected "
                << c.f << " +- " << sigmas * standard_error << "; mean " << mean << ", x " << c.x);
    CHECK(others == 0);
    CHECK(std::fabs(frequency - c.f) <= sigmas * standard_error);
    CHECK(std::fabs(mean - c.x) <= sigmas * standard_error * (c.hi - c.lo));
    // Consecutive indices independent: both up with probability q = f^2.
    // Overlapping pairs (i, i+1) and (i+1, i+2) share a draw, so the count's
    // variance per pair is q(1-q) + 2 Cov = q(1-q) + 2(f^3 - f^4).
    const double pair_frequency = static_cast<double>(up_pairs) / (n - 1);
    const double q = c.f * c.f;
    const double pair_variance = q * (1 - q) + 2 * (c.f * c.f * c.f - q * q);
    CHECK(std::fabs(pair_frequency - q) <= sigmas * std::sqrt(pair_variance / (n - 1)));
}

}  // namespace

TEST_CASE("stochastic rounding goes up with probability f and averages to x", "[scalar][rounding][stochastic]") {
    const sr_stream sr{.key = 0x9e3779b97f4a7c15ULL, .offset = 0};
    for (const auto& c : cases()) {
        REQUIRE((std::fabs(c.x) - c.lo) / (c.hi - c.lo) == Approx(c.f).margin(1e-12));  // the case is what it says
        check_unbiased(c, scalar_draws(c, sr));
    }
}

TEST_CASE("stochastic rounding stays unbiased for other keys and for indices past 2^32",
          "[scalar][rounding][stochastic]") {
    // The key's low and high halves and the index's high half all enter the hash.
    for (const sr_stream sr : {sr_stream{.key = 1, .offset = 0}, sr_stream{.key = std::uint64_t{1} << 32, .offset = 0},
                               sr_stream{.key = 42, .offset = (std::uint64_t{1} << 32) - draws / 2},
                               sr_stream{.key = 42, .offset = std::uint64_t{7} << 40}}) {
        INFO("key " << sr.key << " offset " << sr.offset);
        check_unbiased(cases()[0], scalar_draws(cases()[0], sr));
        check_unbiased(cases()[1], scalar_draws(cases()[1], sr));
    }
}

TEST_CASE("stochastic rounding: same key same bits, another key other bits", "[scalar][rounding][stochastic]") {
    const sr_case c = cases()[1];  // f = 1/2: two independent streams disagree half the time
    const sr_stream a{.key = 0x0123456789abcdefULL, .offset = 0};
    const auto first = scalar_draws(c, a);
    CHECK(scalar_draws(c, a) == first);
    // Another key: differing in the low half, in the high half, or the offset by one.
    for (const sr_stream b : {sr_stream{.key = a.key ^ 1, .offset = 0},
                              sr_stream{.key = a.key ^ (std::uint64_t{1} << 40), .offset = 0},
                              sr_stream{.key = a.key, .offset = 1}}) {
        const auto other = scalar_draws(c, b);
        std::size_t differ = 0;
        for (std::size_t i = 0; i < draws; ++i) differ += first[i] != other[i];
        // independent: P(differ) = 2 f (1 - f) = 1/2, and with f = 1/2 even the
        // offset-by-one stream's consecutive differences are uncorrelated
        const double q = 2 * c.f * (1 - c.f), frequency = static_cast<double>(differ) / draws;
        INFO("key " << std::hex << b.key << " offset " << b.offset << std::dec << ": " << differ << " of " << draws
                    << " differ");
        CHECK(std::fabs(frequency - q) <= sigmas * std::sqrt(q * (1 - q) / draws));
    }
    // the raw bits too
    std::size_t equal_bits = 0;
    const sr_stream b{.key = a.key + 1, .offset = 0};
    for (std::uint64_t i = 0; i < draws; ++i) equal_bits += a.bits(i) == b.bits(i);
    CHECK(equal_bits <= 2);  // a 32-bit collision has probability 2^-32 per index
}

TEST_CASE("stochastic rounding: round_array gives the scalar results bit for bit, at every SIMD level and split",
          "[scalar][rounding][stochastic]") {
    for (const auto& c : cases()) {
        for (const sr_stream sr : {sr_stream{.key = 0xfeedULL, .offset = 0}, sr_stream{.key = 0xfeedULL, .offset = 12345},
                                   sr_stream{.key = 3, .offset = (std::uint64_t{1} << 32) - 333}}) {
            const auto expected = scalar_draws(c, sr);
            const std::vector<double> in(draws, c.x);
            const std::vector<float> in_float(draws, static_cast<float>(c.x));
            const bool x_is_float = static_cast<double>(in_float[0]) == c.x;
            for (isa level : supported_isas()) {
                INFO(c.name << " at " << isa_name(level) << ", key " << sr.key << " offset " << sr.offset);
                std::vector<double> out(draws);
                round_array(in, out, c.format, rounding_mode::stochastic, sr, level);
                CHECK(out == expected);
                if (x_is_float) {
                    std::vector<float> out_float(draws);
                    round_array(in_float, out_float, c.format, rounding_mode::stochastic, sr, level);
                    CHECK(std::vector<double>(out_float.begin(), out_float.end()) == expected);
                }
                // split at an odd point: the second part continues the stream at offset + split
                const std::size_t split = 40001;
                std::vector<double> parts(draws);
                round_array(std::span<const double>(in.data(), split), std::span<double>(parts.data(), split), c.format,
                            rounding_mode::stochastic, sr, level);
                const sr_stream rest{.key = sr.key, .offset = sr.offset + split};
                round_array(std::span<const double>(in.data() + split, draws - split),
                            std::span<double>(parts.data() + split, draws - split), c.format, rounding_mode::stochastic,
                            rest, level);
                CHECK(parts == expected);
            }
        }
    }
}

TEST_CASE("stochastic rounding of an MPFR value with bits far below double's is unbiased too",
          "[scalar][rounding][stochastic][mp]") {
    // x = 1 + (1/4 + 2^-100) fp16 ulps: the 2^-100 is only in the sticky bit,
    // which makes the probability ceil(f * 2^31) / 2^31 = 1/4 + 2^-31.
    const sr_case c{"fp16 from mp, 1/4 + 2^-100", binary16(), 1.0, 1.0 + 0x1p-10, 1.0 + 0x1p-12, 0.25};
    mpfr_t x;
    mpfr_init2(x, 200);
    mpfr_set_d(x, c.x, MPFR_RNDN);
    mpfr_t tiny;
    mpfr_init2(tiny, 200);
    mpfr_set_d(tiny, 0x1p-110, MPFR_RNDN);  // 2^-100 of an ulp of 2^-10
    mpfr_add(x, x, tiny, MPFR_RNDN);
    const sr_stream sr{.key = 77, .offset = 0};
    std::vector<double> rounded(draws);
    for (std::size_t i = 0; i < draws; ++i)
        rounded[i] = round_to_format(static_cast<mpfr_srcptr>(x), c.format, rounding_mode::stochastic, sr.bits(i));
    check_unbiased(c, rounded);
    // and the draws are those of the double 1 + 2^-12 except where the sticky
    // bit tips r = 2^31 - 2^29 - 1 exactly over: at most a handful of indices
    std::size_t differ = 0;
    for (std::size_t i = 0; i < draws; ++i) differ += rounded[i] != scalar_round(c, sr, i);
    CHECK(differ <= 3);
    mpfr_clear(tiny);
    mpfr_clear(x);
}
