// The SIMD rounding kernel against the scalar reference round_to_format(),
// bit for bit, on every instruction set this CPU and build support, for every
// format and rounding mode, float and double arrays, odd lengths included.

#include <catch2/catch.hpp>

#include <bit>
#include <limits>
#include <random>
#include <vector>

#include "gradlab/scalar/round_array.hpp"
#include "support/edge_values.hpp"

using namespace gradlab;

namespace {

std::vector<float_format> formats_for_float() {
    auto ftz = binary16();
    ftz.subnormals = false;
    auto saturating = fp8_e4m3();
    saturating.overflow = overflow_rule::saturate;
    return {binary16(), bfloat16(), fp8_e4m3(), fp8_e5m2(), custom_format(5, 7), custom_format(20, 100), ftz,
            saturating};
}

template <class T>
void check_all_isas(const float_format& format) {
    const auto input = test::edge_values<T>(format, 20000);
    const sr_stream sr{.key = 0x1234567890abcdefULL, .offset = 3};
    for (rounding_mode mode : {rounding_mode::nearest_even, rounding_mode::toward_zero, rounding_mode::upward,
                               rounding_mode::downward, rounding_mode::stochastic}) {
        std::vector<T> expected(input.size());
        for (std::size_t i = 0; i < input.size(); ++i)
            expected[i] = static_cast<T>(round_to_format(input[i], format, mode, sr.bits(sr.offset + i)));
        for (isa level : supported_isas()) {
            // lengths around the vector widths, then the whole array
            for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{17}, input.size()}) {
                std::vector<T> out(n);
                round_array(std::span<const T>(input.data(), n), std::span<T>(out), format, mode, sr, level);
                std::size_t mismatches = 0, first = n;
                for (std::size_t i = 0; i < n; ++i)
                    if (!test::same_value(out[i], expected[i]) && mismatches++ == 0) first = i;
                INFO(format.name << " " << short_name(mode) << " isa " << isa_name(level) << " n " << n);
                if (first < n) INFO("first mismatch: input " << input[first] << " gives " << out[first]
                                                             << ", reference " << expected[first]);
                CHECK(mismatches == 0);
            }
        }
    }
}

}  // namespace

TEST_CASE("round_array on float arrays is bitwise the scalar reference", "[scalar][rounding]") {
    for (const auto& format : formats_for_float()) check_all_isas<float>(format);
}

TEST_CASE("round_array on double arrays is bitwise the scalar reference", "[scalar][rounding]") {
    auto formats = formats_for_float();
    formats.push_back(binary32());
    formats.push_back(custom_format(40, 600));
    for (const auto& format : formats) check_all_isas<double>(format);
}

TEST_CASE("round_array on normally distributed data (the fast path) is bitwise the scalar reference",
          "[scalar][rounding]") {
    // Vectors made only of normal numbers of the format take the kernel's
    // constant-shift path; a few edge values scattered in send their vectors
    // through the full path, so both paths and the switch between them are hit.
    std::mt19937_64 rng(5);
    std::normal_distribution<double> normal(0.0, 1.0);
    std::vector<double> wide(4099);
    for (auto& v : wide) v = normal(rng);
    wide[100] = 70000.0;
    wide[2000] = 1e-9;
    wide[3001] = std::numeric_limits<double>::quiet_NaN();
    const std::vector<float> narrow(wide.begin(), wide.end());
    const sr_stream sr{.key = 42, .offset = (std::uint64_t{1} << 32) - 100};  // crosses a 2^32 index boundary
    for (const auto& format : {binary16(), bfloat16(), fp8_e4m3(), fp8_e5m2()})
        for (rounding_mode mode : {rounding_mode::nearest_even, rounding_mode::toward_zero, rounding_mode::upward,
                                   rounding_mode::downward, rounding_mode::stochastic})
            for (isa level : supported_isas()) {
                std::vector<float> out_f(narrow.size());
                std::vector<double> out_d(wide.size());
                round_array(narrow, out_f, format, mode, sr, level);
                round_array(wide, out_d, format, mode, sr, level);
                std::size_t mismatches = 0;
                for (std::size_t i = 0; i < wide.size(); ++i) {
                    const auto bits = sr.bits(sr.offset + i);
                    mismatches += !test::same_value(out_f[i], static_cast<float>(round_to_format(narrow[i], format, mode, bits)));
                    mismatches += !test::same_value(out_d[i], round_to_format(wide[i], format, mode, bits));
                }
                INFO(format.name << " " << short_name(mode) << " isa " << isa_name(level));
                CHECK(mismatches == 0);
            }
}

TEST_CASE("round_array works in place", "[scalar][rounding]") {
    std::vector<float> values{1.0f + 0x1p-12f, 65520.0f, -0x1p-25f, 3.14159f};
    const std::vector<float> expected{1.0f, INFINITY, -0.0f, 3.140625f};
    round_array(values, values, binary16(), rounding_mode::nearest_even);
    for (std::size_t i = 0; i < values.size(); ++i) CHECK(test::same_value(values[i], expected[i]));
}

TEST_CASE("round_array rejects mismatched sizes and formats wider than float", "[scalar][rounding]") {
    std::vector<float> in(4), out(3);
    CHECK_THROWS_AS(round_array(in, out, binary16(), rounding_mode::nearest_even), std::invalid_argument);
    std::vector<float> same(4);
    CHECK_THROWS_AS(round_array(in, same, custom_format(30, 15), rounding_mode::nearest_even), std::invalid_argument);
}
