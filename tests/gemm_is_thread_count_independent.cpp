// gemm() gives the same bits with 1 and 2 OpenMP threads and with whatever
// OMP_NUM_THREADS this run was started with (tests/meson.build runs this file
// under 1 and 2 as well), for every precision, layout and instruction set, on
// shapes past each precision's threshold for starting threads. gemm.hpp
// promises it: the order of every sum depends on k alone.

#include <catch2/catch.hpp>

#include <omp.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gradlab/kernels/gemm.hpp"
#include "support/gemm_oracle.hpp"

using namespace gradlab;
using namespace gradlab::test;

namespace {

// Every variant of `c` in every layout, C = -0.75 op(A) op(B) + 1.5 C0 under
// the starting thread count, then 1, then 2: each result must have the bits
// of the first.
template <class T>
void check_thread_count_independent(const gemm_case<T>& c, gemm_dims d,
                                    std::optional<std::pair<int, int>> exponents = {}) {
    const auto [min_exponent, max_exponent] = exponents.value_or(std::pair{c.min_exponent, c.max_exponent});
    const gemm_inputs<T> x(c, d, min_exponent, max_exponent);
    const T alpha = c.value(-0.75), beta = c.value(1.5);
    const int started_with = omp_get_max_threads();
    for_each_variant_and_layout(c, [&](const auto& v, gemm_layout layout) {
        const auto first = gemm_result(v, layout, alpha, x.op_a, x.op_b, beta, x.c0);
        for (int threads : {1, 2}) {
            omp_set_num_threads(threads);
            const auto again = gemm_result(v, layout, alpha, x.op_a, x.op_b, beta, x.c0);
            omp_set_num_threads(started_with);
            std::string where;
            const std::size_t differences = count_differences(again, first, where);
            INFO(d.m << "x" << d.n << "x" << d.k << ", " << started_with << " threads, then " << threads << ": "
                     << differences << " differ, the first at " << where);
            CHECK(differences == 0);
        }
    });
}

}  // namespace

TEST_CASE("gemm: fp32 and fp64 bits are the same for 1 and 2 threads", "[kernels][gemm][omp]") {
    // 300^3: many tiles per thread; 131 x 517 x 260 crosses fp32's column block
    // (512) and the k block (256)
    for (gemm_dims d : {gemm_dims{300, 300, 300}, gemm_dims{131, 517, 260}}) {
        check_thread_count_independent(native_case<float>(), d);
        check_thread_count_independent(native_case<double>(), d);
    }
}

TEST_CASE("gemm: f128 and mp bits are the same for 1 and 2 threads", "[kernels][gemm][omp][mp]") {
    check_thread_count_independent(native_case<float128>(), {64, 65, 66});
    for (long bits : {128L, 256L}) check_thread_count_independent(mp_case(bits), {40, 41, 42});
    // products too far apart for an exact accumulator: gemm_mp.cpp's other path
    check_thread_count_independent(mp_case(256), {40, 41, 42}, std::pair{-4000, 4000});
}

TEST_CASE("gemm: fp16 and bf16 bits, stochastic rounding included, are the same for 1 and 2 threads",
          "[kernels][gemm][omp][emulated]") {
    for (const auto& format : {binary16(), bfloat16()})
        for (rounding_mode mode : {rounding_mode::nearest_even, rounding_mode::stochastic})
            for (auto accumulation : {gemm_accumulation::format, gemm_accumulation::fp32})
                check_thread_count_independent(emulated_case(format, mode, accumulation), {48, 40, 50});
}
