// With beta = 0, gemm() writes C without reading it (gemm.hpp, and the
// micro-kernel contract): NaN or Inf left in C must not reach the result,
// which must have the bits of the same call on a zeroed C, for every
// precision, layout and instruction set, alpha 1 or not, k = 0 included
// (zeros). The NaN-origin probe relies on it.

#include <catch2/catch.hpp>

#include <limits>
#include <string>

#include "gradlab/kernels/gemm.hpp"
#include "support/gemm_oracle.hpp"

using namespace gradlab;
using namespace gradlab::test;

TEST_CASE("gemm: beta zero ignores NaN and Inf in C", "[kernels][gemm]") {
    constexpr double stale_values[] = {std::numeric_limits<double>::quiet_NaN(),
                                       std::numeric_limits<double>::infinity(),
                                       -std::numeric_limits<double>::infinity()};
    for_each_gemm_case(
        [&](const auto& c) {
            using T = typename std::decay_t<decltype(c)>::value_type;
            std::vector<gemm_dims> shapes = {{1, 1, 1}, {7, 17, 64}, {33, 40, 19}, {13, 5, 0}};
            // fp32 and fp64: partial tiles, and k blocks after the first
            // (which add to C, now written)
            if (!c.format && !std::is_same_v<T, float128> && !std::is_same_v<T, mp_float>)
                shapes.push_back({131, 37, 257});
            for (gemm_dims d : shapes) {
                const gemm_inputs<T> x(c, d);
                const auto zeros = c.make(d.m, d.n);
                for (double alpha : {1.0, -0.75})
                    for_each_variant_and_layout(c, [&](const auto& v, gemm_layout layout) {
                        INFO(d.m << "x" << d.n << "x" << d.k << ", alpha " << alpha);
                        const auto expected = gemm_result(v, layout, c.value(alpha), x.op_a, x.op_b, c.value(0), zeros);
                        mp scratch(128);
                        std::size_t nonfinite = 0;
                        for (const auto& e : expected.elements()) nonfinite += !mpfr_number_p(exact_value(e, scratch));
                        CHECK(nonfinite == 0);
                        for (double stale : stale_values) {
                            auto filled = c.make(d.m, d.n);
                            filled.fill(c.value(stale));
                            const auto got = gemm_result(v, layout, c.value(alpha), x.op_a, x.op_b, c.value(0), filled);
                            std::string where;
                            const std::size_t differences = count_differences(got, expected, where);
                            INFO("C filled with " << stale << ": " << differences
                                                  << " differ from a zeroed C's result, the first at " << where);
                            CHECK(differences == 0);
                        }
                    });
            }
        },
        {rounding_mode::nearest_even, rounding_mode::stochastic});
}
