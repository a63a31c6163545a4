// The reductions see subnormals as what they are even when the caller runs
// with the x86 flush-to-zero and denormals-are-zero modes (-ffast-math's
// start-up code sets them), on the calling thread and in OpenMP workers, and
// give the caller its modes back.

#include <catch2/catch.hpp>

#include <omp.h>

#include <vector>

#include "gradlab/kernels/reduce.hpp"
#include "support/reduce_oracle.hpp"

#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

using namespace gradlab;

#if defined(__x86_64__)
TEST_CASE("reductions keep subnormals under flush-to-zero and denormals-are-zero", "[kernels][reduce]") {
    constexpr unsigned flush_modes = (1u << 15) | (1u << 6);
    // 2^20 elements, so two threads share the blocks: the workers' modes matter too.
    const std::size_t n = std::size_t{1} << 20;
    const float tiny = 0x1p-140f;  // a float subnormal, and a bf16 subnormal
    const std::vector<float> x(n, tiny);
    const float sum_expected = sum(std::span<const float>(x));
    const float norm_expected = l2_norm(std::span<const float>(x));
    const int default_threads = omp_get_max_threads();
    omp_set_num_threads(2);
    const unsigned saved = _mm_getcsr();
    _mm_setcsr(saved | flush_modes);
    for (isa level : supported_isas()) {
        INFO("isa " << isa_name(level));
        const std::span<const float> values(x);
        CHECK(test::same_bits(sum(values, level), sum_expected));
        CHECK(sum_expected == tiny * static_cast<float>(n));  // exact: a multiple of 2^-149
        CHECK(test::same_bits(l2_norm(values, level), norm_expected));
        CHECK(min_nonzero_abs(values, level) == tiny);
        CHECK(max_abs(values, level) == tiny);
        CHECK(census(values, binary32(), level).subnormals == n);
        CHECK(census(values, binary32(), level).zeros == 0);
    }
    const std::vector<float> bf16_values = {tiny, 1.0f};
    CHECK(sum(std::span<const float>(bf16_values), bfloat16(), rounding_mode::toward_zero) == 1.0f);
    CHECK(sum(std::span<const float>(bf16_values), bfloat16(), rounding_mode::upward) == 1.0f + 0x1p-7f);
    const unsigned during = _mm_getcsr();
    _mm_setcsr(saved);
    omp_set_num_threads(default_threads);
    CHECK(during == (saved | flush_modes));  // the caller's modes are back
    CHECK(norm_expected == tiny * 1024.0f);   // sqrt(2^20) = 2^10, exact
}
#endif
