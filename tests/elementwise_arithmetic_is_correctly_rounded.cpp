// add, scale and Hadamard are correctly rounded in every precision, on every
// instruction set, bit for bit: fp32, fp64, f128, mp, and the emulated
// formats of at most 11 bits to nearest (float's 24 bits are at least 2p + 2,
// so rounding to float first is innocuous). axpy is exactly those two
// operations in a row: the product rounded, then the sum, never an FMA.
// The oracle: the exact result in MPFR, rounded once to the precision.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <optional>
#include <random>
#include <vector>

#include "gradlab/kernels/elementwise.hpp"
#include "support/elementwise_precisions.hpp"

using namespace gradlab;
using namespace gradlab::test;

namespace {

// r = op(x, y) exactly, then rounded to the precision.
void exact_then_rounded(mpfr_ptr r, arithmetic op, mpfr_srcptr x, mpfr_srcptr y, const precision_under_test& p) {
    long bits = 2 * reference_bits + 2;
    if (op == arithmetic::add && mpfr_regular_p(x) && mpfr_regular_p(y))
        bits += std::labs(mpfr_get_exp(x) - mpfr_get_exp(y));  // the whole sum, however far apart
    mp exact(bits);
    if (op == arithmetic::add)
        mpfr_add(exact.v, x, y, MPFR_RNDN);
    else
        mpfr_mul(exact.v, x, y, MPFR_RNDN);
    p.round(exact.v);
    mpfr_set(r, exact.v, MPFR_RNDN);
}

bool same(mpfr_srcptr got, mpfr_srcptr expected) {
    if (mpfr_nan_p(expected)) return mpfr_nan_p(got);
    return mpfr_equal_p(got, expected) && mpfr_signbit(got) == mpfr_signbit(expected);
}

mp_vector shuffled(const mp_vector& x, std::uint64_t seed) {
    auto y = reference_values(x.size());
    std::vector<std::size_t> order(x.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), std::mt19937_64(seed));
    for (std::size_t i = 0; i < x.size(); ++i) mpfr_set(y[i].backend().data(), x[order[i]].backend().data(), MPFR_RNDN);
    // and partners that cancel exactly or nearly: -x and -x's neighbour
    for (std::size_t i = 0; i < x.size(); i += 5) mpfr_neg(y[i].backend().data(), x[i].backend().data(), MPFR_RNDN);
    return y;
}

}  // namespace

TEST_CASE("elementwise: add, scale, axpy and Hadamard are correctly rounded, bit for bit", "[kernels][elementwise]") {
    for (const auto& p : all_precisions()) {
        const auto x = inputs_for(p, 600);
        const auto y = shuffled(x, 3);
        auto a = reference_values(1);
        for (double factor : {1.5, -0.3, 1e-3, 0.0, -7.0, 3.0e30, 1.0 / 3}) {
            mpfr_set_d(a[0].backend().data(), factor, MPFR_RNDN);
            p.round(a[0].backend().data());
            const auto* av = a[0].backend().data();
            for (arithmetic op : {arithmetic::add, arithmetic::scale, arithmetic::axpy, arithmetic::hadamard}) {
                if (factor != 1.5 && (op == arithmetic::add || op == arithmetic::hadamard)) continue;
                auto expected = reference_values(x.size());
                for (std::size_t i = 0; i < x.size(); ++i) {
                    const auto* xi = x[i].backend().data();
                    const auto* yi = y[i].backend().data();
                    auto* e = expected[i].backend().data();
                    switch (op) {
                        case arithmetic::add: exact_then_rounded(e, arithmetic::add, xi, yi, p); break;
                        case arithmetic::scale: exact_then_rounded(e, arithmetic::scale, av, xi, p); break;
                        case arithmetic::hadamard: exact_then_rounded(e, arithmetic::hadamard, xi, yi, p); break;
                        case arithmetic::axpy:
                            exact_then_rounded(e, arithmetic::scale, av, xi, p);
                            exact_then_rounded(e, arithmetic::add, e, yi, p);
                            break;
                    }
                }
                for (isa level : levels_of(p)) {
                    const auto got = p.arithmetic_op(op, a, x, y, level);
                    std::size_t mismatches = 0, first = x.size();
                    for (std::size_t i = 0; i < x.size(); ++i)
                        if (!same(got[i].backend().data(), expected[i].backend().data()) && mismatches++ == 0)
                            first = i;
                    INFO(p.name << " op " << static_cast<int>(op) << " a = " << factor << " on " << isa_name(level)
                                << ": " << mismatches << " of " << x.size() << " differ");
                    if (first < x.size())
                        INFO("first: x = " << mpfr_get_d(x[first].backend().data(), MPFR_RNDN)
                                           << ", y = " << mpfr_get_d(y[first].backend().data(), MPFR_RNDN) << " gives "
                                           << mpfr_get_d(got[first].backend().data(), MPFR_RNDN) << ", expected "
                                           << mpfr_get_d(expected[first].backend().data(), MPFR_RNDN));
                    CHECK(mismatches == 0);
                }
            }
        }
    }
}

TEST_CASE("elementwise: emulated Hadamard products are correctly rounded in every mode", "[kernels][elementwise]") {
    // products of two values of at most 11 bits are exact in float, within
    // float's range: rounding them once to the format is all that happens
    std::mt19937_64 rng(11);
    std::uniform_real_distribution<double> log2_magnitude(-20, 20);
    for (const auto& format : {bfloat16(), binary16()}) {
        std::vector<float> x(301), y(301), got(301);
        for (std::size_t i = 0; i < x.size(); ++i) {
            const auto value = [&] {
                const double v = std::exp2(log2_magnitude(rng)) * (rng() % 2 ? 1 : -1);
                return static_cast<float>(round_to_format(v, format, rounding_mode::nearest_even));
            };
            x[i] = value();
            y[i] = value();
        }
        for (auto mode : {rounding_mode::toward_zero, rounding_mode::upward, rounding_mode::downward}) {
            for (isa level : supported_isas()) {
                hadamard(x, y, got, format, mode, std::nullopt, level);
                std::size_t mismatches = 0;
                for (std::size_t i = 0; i < x.size(); ++i) {
                    const double exact = static_cast<double>(x[i]) * y[i];  // exact in double as well
                    if (got[i] != static_cast<float>(round_to_format(exact, format, mode))) ++mismatches;
                }
                INFO(format.name << " " << short_name(mode) << " " << isa_name(level));
                CHECK(mismatches == 0);
            }
        }
    }
}

TEST_CASE("elementwise: axpy rounds the product before the sum on every instruction set", "[kernels][elementwise]") {
    // a x = 1 + 2^-k+1 + 2^-2k exactly; rounded, 1 + 2^-k+1, which y cancels.
    // A fused multiply-add would keep 2^-2k.
    const auto check = [](auto one, int k) {
        using T = decltype(one);
        const T a = 1 + std::ldexp(T(1), -k);
        const std::vector<T> x(19, a), y(19, -(1 + std::ldexp(T(1), 1 - k)));
        for (isa level : supported_isas()) {
            std::vector<T> out(x.size(), T(-1));
            axpy(a, std::span<const T>(x), std::span<const T>(y), std::span<T>(out), level);
            INFO(isa_name(level));
            CHECK(std::all_of(out.begin(), out.end(), [](T v) { return v == 0; }));
        }
    };
    check(1.0f, 23);
    check(1.0, 52);
}

TEST_CASE("elementwise: the output may be an input", "[kernels][elementwise]") {
    std::vector<float> x(37), y(37);
    for (std::size_t i = 0; i < x.size(); ++i) {
        x[i] = 0.37f * static_cast<float>(i) - 3;
        y[i] = 1.0f / (static_cast<float>(i) + 1);
    }
    for (isa level : supported_isas()) {
        std::vector<float> separate(x.size()), in_place = y;
        axpy(0.5f, std::span<const float>(x), std::span<const float>(y), std::span<float>(separate), level);
        axpy(0.5f, std::span<const float>(x), std::span<const float>(in_place), std::span<float>(in_place), level);
        CHECK(separate == in_place);
        in_place = y;
        hadamard(std::span<const float>(in_place), std::span<const float>(x), std::span<float>(in_place), bfloat16(),
                 rounding_mode::nearest_even, std::nullopt, level);
        hadamard(std::span<const float>(y), std::span<const float>(x), std::span<float>(separate), bfloat16(),
                 rounding_mode::nearest_even, std::nullopt, level);
        CHECK(separate == in_place);
    }
}

TEST_CASE("elementwise: spans of different sizes and formats wider than float are rejected", "[kernels][elementwise]") {
    std::vector<float> three(3), four(4);
    CHECK_THROWS_AS(add(three, three, four), std::invalid_argument);
    CHECK_THROWS_AS(axpy(1.0f, three, four, three), std::invalid_argument);
    CHECK_THROWS_AS(exponential(three, four), std::invalid_argument);
    CHECK_THROWS_AS(activation_forward({activation_kind::tanh}, three, four), std::invalid_argument);
    CHECK_THROWS_AS(activation_derivative({activation_kind::tanh}, three, three, four), std::invalid_argument);
    CHECK_THROWS_AS(hadamard(three, three, three, custom_format(30, 100), rounding_mode::nearest_even),
                    std::invalid_argument);
    CHECK_THROWS_AS(activation_forward({activation_kind::gelu}, three, three, binary64(), rounding_mode::upward),
                    std::invalid_argument);
    CHECK_NOTHROW(scale(2.0f, three, three));
}
