// Emulated precisions compute in float and round the result once to the
// format with round_array: with stochastic rounding, element i of a call
// draws sr.bits(sr.offset + i), and axpy's sum draws from the stream keyed
// sr.key ^ axpy_sum_key, its product from sr itself. Checked bit for bit
// against those steps done by hand, across axpy's internal blocks. Without a
// stream, stochastic rounding is refused.

#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "gradlab/kernels/activation.hpp"
#include "gradlab/kernels/elementwise.hpp"
#include "gradlab/scalar/round_array.hpp"

using namespace gradlab;

namespace {

// n values of the format
std::vector<float> format_values(std::size_t n, const float_format& format, float step) {
    std::vector<float> v(n);
    for (std::size_t i = 0; i < n; ++i)
        v[i] = static_cast<float>(
            round_to_format(std::sin(step * static_cast<float>(i)) * 3.0f, format, rounding_mode::nearest_even));
    return v;
}

}  // namespace

TEST_CASE("elementwise: emulated stochastic rounding draws the documented random streams",
          "[kernels][elementwise][emulated]") {
    const auto format = bfloat16();
    constexpr auto sr_mode = rounding_mode::stochastic;
    const sr_stream sr{.key = 0xfeedfacecafebeefULL, .offset = 1000};
    const std::size_t n = 2500;  // more than one of axpy's blocks
    const auto x = format_values(n, format, 0.37f);
    const auto y = format_values(n, format, 0.11f);
    const float a = 0.3f;
    for (isa level : supported_isas()) {
        INFO(isa_name(level));
        // axpy: the product rounded with sr, the sum with the sum stream
        std::vector<float> expected(n), got(n);
        for (std::size_t i = 0; i < n; ++i) expected[i] = a * x[i];
        round_array(expected, expected, format, sr_mode, sr, level);
        for (std::size_t i = 0; i < n; ++i) expected[i] += y[i];
        const sr_stream sum_stream{.key = sr.key ^ axpy_sum_key, .offset = sr.offset};
        round_array(expected, expected, format, sr_mode, sum_stream, level);
        axpy(a, x, y, got, format, sr_mode, sr, level);
        CHECK(got == expected);

        // an activation: the float result, then one rounding with sr
        activation_forward({activation_kind::tanh}, x, expected, level);
        round_array(expected, expected, format, sr_mode, sr, level);
        activation_forward({activation_kind::tanh}, x, got, format, sr_mode, sr, level);
        CHECK(got == expected);

        // the same seed gives the same bits; another offset other bits
        std::vector<float> again(n), shifted(n);
        activation_forward({activation_kind::tanh}, x, again, format, sr_mode, sr, level);
        activation_forward({activation_kind::tanh}, x, shifted, format, sr_mode, sr_stream{.key = sr.key, .offset = 0},
                           level);
        CHECK(again == got);
        CHECK(shifted != got);
    }
}

TEST_CASE("elementwise: emulated stochastic rounding without a stream throws, naming the function",
          "[kernels][elementwise][emulated]") {
    // A default stream would draw the same bits for the same index in every
    // call. The check comes before any output is written.
    const auto format = bfloat16();
    const std::size_t n = 5;
    const auto x = format_values(n, format, 0.37f);
    const auto y = format_values(n, format, 0.11f);
    const activation tanh{activation_kind::tanh};
    using call = std::function<void(std::span<float>, rounding_mode, const std::optional<sr_stream>&)>;
    const std::pair<std::string, call> calls[] = {
        {"add", [&](auto out, auto mode, const auto& sr) { add(x, y, out, format, mode, sr); }},
        {"scale", [&](auto out, auto mode, const auto& sr) { scale(0.5f, x, out, format, mode, sr); }},
        {"axpy", [&](auto out, auto mode, const auto& sr) { axpy(0.5f, x, y, out, format, mode, sr); }},
        {"hadamard", [&](auto out, auto mode, const auto& sr) { hadamard(x, y, out, format, mode, sr); }},
        {"exponential", [&](auto out, auto mode, const auto& sr) { exponential(x, out, format, mode, sr); }},
        {"activation_forward",
         [&](auto out, auto mode, const auto& sr) { activation_forward(tanh, x, out, format, mode, sr); }},
        {"activation_derivative",
         [&](auto out, auto mode, const auto& sr) { activation_derivative(tanh, x, y, out, format, mode, sr); }},
    };
    for (const auto& [name, run] : calls) {
        INFO(name);
        const std::vector<float> untouched(n, -7.0f);
        std::vector<float> out = untouched;
        CHECK_THROWS_AS(run(out, rounding_mode::stochastic, std::nullopt), std::invalid_argument);
        CHECK_THROWS_WITH(run(out, rounding_mode::stochastic, std::nullopt), Catch::StartsWith(name + ": "));
        CHECK(out == untouched);
        CHECK_NOTHROW(run(out, rounding_mode::stochastic, sr_stream{.key = 5}));
        CHECK_NOTHROW(run(out, rounding_mode::nearest_even, std::nullopt));  // other modes draw no bits
    }
}
