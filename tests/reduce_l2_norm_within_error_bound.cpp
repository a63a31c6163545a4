// l2_norm() against the norm of the exact values (MPFR) on random data: the
// error stays within ((1 + gamma_D)^(1/2) (1 + u) - 1) ||x|| + eta / 2, D =
// sum_of_squares_rounding_depth(n), the bound of kernels/reduce_blocking.hpp,
// for every precision and instruction set.

#include <catch2/catch.hpp>

#include <string>

#include "gradlab/kernels/reduce.hpp"
#include "support/reduce_oracle.hpp"

using namespace gradlab;

TEST_CASE("l2_norm: fp32 and fp64 within their bound on every instruction set", "[kernels][reduce]") {
    const auto check = [](auto zero) {
        using T = decltype(zero);
        test::worst_ratio worst(std::string(test::reduce_traits<T>::name) + " l2_norm");
        for (std::size_t n : test::reduce_lengths) {
            const auto x = test::random_values<T>(n, -10, 10, 500 + n);
            const auto bound = test::native_norm_bound(std::span<const T>(x));
            for (isa level : supported_isas()) {
                INFO(test::reduce_traits<T>::name << " n " << n << " isa " << isa_name(level));
                worst.check(test::l2_norm_error_over_bound(std::span<const T>(x), bound, level));
            }
        }
        worst.report();
    };
    check(0.0f);
    check(0.0);
}

TEST_CASE("l2_norm: f128 within its bound", "[kernels][reduce]") {
    test::worst_ratio worst("f128 l2_norm");
    for (std::size_t n : test::reduce_lengths) {
        const auto x = test::random_values<float128>(n, -10, 10, 600 + n);
        const std::span<const float128> values(x);
        INFO("n " << n);
        worst.check(test::l2_norm_error_over_bound(values, test::native_norm_bound(values), isa::generic));
    }
    worst.report();
}

TEST_CASE("l2_norm: mp256 within its bound, at the result's precision", "[kernels][reduce]") {
    test::worst_ratio worst("mp256 l2_norm");
    for (std::size_t n : test::reduce_lengths) {
        const auto x = test::random_mp_values(n, 256, -10, 10, 700 + n);
        auto result = test::mp_values(1, 256);
        l2_norm(std::span<const mp_float>(x), result[0]);
        INFO("n " << n);
        CHECK(mpfr_get_prec(result[0].backend().data()) == 256);
        // MPFR has no subnormals: no eta term
        const test::norm_bound bound(std::span<const mp_float>(x), 256, 0, false);
        worst.check(bound.error_over_bound(result[0].backend().data()));
    }
    worst.report();
}
