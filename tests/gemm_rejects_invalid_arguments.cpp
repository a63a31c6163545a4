// gemm() refuses what it cannot compute, with std::invalid_argument: shapes
// that do not fit together in the layout (the message names A's, B's and C's
// shapes), for every precision; and for an emulated format, stochastic
// rounding without a stream and a format with values that are not floats.

#include <catch2/catch.hpp>

#include <string>

#include "gradlab/kernels/gemm.hpp"
#include "support/gemm_oracle.hpp"

using namespace gradlab;
using namespace gradlab::test;
using Catch::Matchers::Contains;

TEST_CASE("gemm: shapes that do not fit throw std::invalid_argument naming them", "[kernels][gemm]") {
    for_each_gemm_case([](const auto& c) {
        // op(A) 3 x 5, op(B) 5 x 7, C 3 x 7, then each one dimension off
        constexpr gemm_dims fits{3, 7, 5};
        struct mismatch {
            std::size_t a_k, b_k, c_rows, c_cols;
        };
        for (mismatch bad : {mismatch{5, 6, 3, 7}, mismatch{4, 5, 3, 7}, mismatch{5, 5, 4, 7}, mismatch{5, 5, 3, 8}})
            for_each_variant_and_layout(c, [&](const auto& v, gemm_layout layout) {
                const bool a_transposed = layout == gemm_layout::tn, b_transposed = layout == gemm_layout::nt;
                const auto a = a_transposed ? c.make(bad.a_k, fits.m) : c.make(fits.m, bad.a_k);
                const auto b = b_transposed ? c.make(fits.n, bad.b_k) : c.make(bad.b_k, fits.n);
                auto out = c.make(bad.c_rows, bad.c_cols);
                const auto call = [&] { v.run(layout, c.value(1), a.view(), b.view(), c.value(0), out.view()); };
                const auto names = [](const auto& x) { return Contains(detail::shape_text(x.rows(), x.cols())); };
                CHECK_THROWS_AS(call(), std::invalid_argument);
                CHECK_THROWS_WITH(call(), names(a) && names(b) && names(out) && Contains(gemm_layout_name(layout)));
            });
    });
}

TEST_CASE("gemm: emulated stochastic rounding without a stream, or a format wider than float, throws",
          "[kernels][gemm][emulated]") {
    const matrix<float> a(3, 5, 0.5f), b(5, 7, 0.25f);
    matrix<float> out(3, 7);
    for (auto accumulation : {gemm_accumulation::format, gemm_accumulation::fp32})
        for (isa level : supported_isas()) {
            INFO(isa_name(level) << (accumulation == gemm_accumulation::fp32 ? " +acc32" : ""));
            CHECK_THROWS_AS(gemm(gemm_layout::nn, 1.0f, a.view(), b.view(), 0.0f, out.view(), bfloat16(),
                                 rounding_mode::stochastic, accumulation, std::nullopt, level),
                            std::invalid_argument);
            CHECK_THROWS_AS(gemm(gemm_layout::nn, 1.0f, a.view(), b.view(), 0.0f, out.view(), binary64(),
                                 rounding_mode::nearest_even, accumulation, std::nullopt, level),
                            std::invalid_argument);
            CHECK_THROWS_AS(gemm(gemm_layout::nn, 1.0f, a.view(), b.view(), 0.0f, out.view(), custom_format(30, 127),
                                 rounding_mode::nearest_even, accumulation, std::nullopt, level),
                            std::invalid_argument);
        }
}
