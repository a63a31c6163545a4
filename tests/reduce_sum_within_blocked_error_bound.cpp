// sum() against the exact sum (MPFR): |computed - exact| <= gamma_D sum |x_i|
// with D = sum_rounding_depth(n), the bound kernels/reduce_blocking.hpp
// derives for the fixed blocking, for every precision and instruction set,
// at lengths around the lane count and the block size.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "gradlab/kernels/reduce.hpp"
#include "support/reduce_oracle.hpp"

using namespace gradlab;

TEST_CASE("sum: fp32 and fp64 within gamma_D sum|x| of the exact sum on every instruction set", "[kernels][reduce]") {
    const auto check = [](auto zero) {
        using T = decltype(zero);
        using traits = test::reduce_traits<T>;
        test::worst_ratio worst(std::string(traits::name) + " sum");
        for (std::size_t n : test::reduce_lengths) {
            // mixed signs and 20 binades: cancellation and rounding in every lane
            const auto x = test::random_values<T>(n, -10, 10, 100 + n);
            const test::sum_bound bound(std::span<const T>(x), traits::bits);
            for (isa level : supported_isas()) {
                test::mp computed(traits::bits);
                test::set_exact(computed.v, sum(std::span<const T>(x), level));
                INFO(traits::name << " n " << n << " isa " << isa_name(level));
                worst.check(bound.error_over_bound(computed.v));
            }
        }
        worst.report();
    };
    check(0.0f);
    check(0.0);
}

TEST_CASE("sum: f128 within gamma_D sum|x| of the exact sum", "[kernels][reduce]") {
    test::worst_ratio worst("f128 sum");
    for (std::size_t n : test::reduce_lengths) {
        const auto x = test::random_values<float128>(n, -10, 10, 200 + n);
        test::mp computed(113);
        test::set_exact(computed.v, sum(std::span<const float128>(x)));
        INFO("n " << n);
        worst.check(test::sum_bound(std::span<const float128>(x), 113).error_over_bound(computed.v));
    }
    worst.report();
}

TEST_CASE("sum: mp200 within gamma_D sum|x| of the exact sum, at the result's precision", "[kernels][reduce]") {
    constexpr mpfr_prec_t bits = 200;
    test::worst_ratio worst("mp200 sum");
    for (std::size_t n : test::reduce_lengths) {
        const auto x = test::random_mp_values(n, bits, -10, 10, 300 + n);
        auto result = test::mp_values(1, bits);
        sum(std::span<const mp_float>(x), result[0]);
        INFO("n " << n);
        CHECK(mpfr_get_prec(result[0].backend().data()) == bits);
        worst.check(test::sum_bound(std::span<const mp_float>(x), bits).error_over_bound(result[0].backend().data()));
    }
    worst.report();
}

TEST_CASE("sum: fp16 and bf16, every addition rounded, within gamma_D sum|x| in every rounding mode",
          "[kernels][reduce][emulated]") {
    struct format_case {
        float_format format;
        int min_exponent, max_exponent;  // fp16: into its subnormals, far from its overflow
    };
    const format_case cases[] = {{binary16(), -24, 0}, {bfloat16(), -30, 30}};
    for (const auto& c : cases) {
        for (rounding_mode mode : {rounding_mode::nearest_even, rounding_mode::toward_zero, rounding_mode::upward,
                                   rounding_mode::downward, rounding_mode::stochastic}) {
            // u = 2^-p to nearest, 2^(1-p) for the others (one whole step of the grid)
            const long log2_inverse_u = mode == rounding_mode::nearest_even ? c.format.precision : c.format.precision - 1;
            test::worst_ratio worst(c.format.name + "/" + std::string(short_name(mode)) + " sum");
            for (std::size_t n : test::reduce_lengths) {
                auto x = test::random_values<float>(n, c.min_exponent, c.max_exponent, 400 + n);
                for (auto& v : x) v = static_cast<float>(round_to_format(v, c.format, rounding_mode::nearest_even));
                test::mp computed(24);
                test::set_exact(computed.v, sum(std::span<const float>(x), c.format, mode, sr_stream{.key = 99}));
                INFO(c.format.name << " " << short_name(mode) << " n " << n);
                worst.check(test::sum_bound(std::span<const float>(x), log2_inverse_u).error_over_bound(computed.v));
            }
            worst.report();
        }
    }
}
