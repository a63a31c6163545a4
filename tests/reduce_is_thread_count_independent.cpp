// The reductions give the same bits with 1 and 2 OpenMP threads (and with
// whatever OMP_NUM_THREADS this run was started with: tests/meson.build runs
// this file under 1 and 2 as well), on arrays long enough to be shared out
// among threads, for every precision.

#include <catch2/catch.hpp>

#include <omp.h>

#include <vector>

#include "gradlab/kernels/reduce.hpp"
#include "support/reduce_oracle.hpp"

using namespace gradlab;

namespace {

// Runs f() with the default thread count, then 1, then 2; restores the default.
template <class F>
auto with_thread_counts(F f) {
    const int default_threads = omp_get_max_threads();
    std::vector<decltype(f())> results;
    results.push_back(f());
    for (int threads : {1, 2}) {
        omp_set_num_threads(threads);
        results.push_back(f());
    }
    omp_set_num_threads(default_threads);
    return results;
}

template <class T>
void check_native(std::size_t n) {
    const auto values = test::random_values<T>(n, -30, 30, 1300 + n);
    const std::span<const T> x(values);
    const auto results = with_thread_counts([&] {
        return std::vector<T>{sum(x), l2_norm(x), max_abs(x), min_nonzero_abs(x)};
    });
    for (const auto& r : results)
        for (std::size_t k = 0; k < r.size(); ++k) {
            INFO(test::reduce_traits<T>::name << " n " << n << " reduction " << k);
            CHECK(test::same_bits(r[k], results[0][k]));
        }
    const auto censuses = with_thread_counts([&] { return census(x, binary16()); });
    for (const auto& c : censuses) CHECK(c == censuses[0]);
}

}  // namespace

TEST_CASE("reductions: fp32 and fp64 bits are the same for 1 and 2 threads", "[kernels][reduce][omp]") {
    // 2^20 elements: 256 blocks, far past the point where threads start
    for (std::size_t n : {std::size_t{100000}, std::size_t{1} << 20}) {
        check_native<float>(n);
        check_native<double>(n);
    }
}

TEST_CASE("reductions: f128 bits are the same for 1 and 2 threads", "[kernels][reduce][omp]") {
    const auto values = test::random_values<float128>(20000, -30, 30, 1400);
    const std::span<const float128> x(values);
    const auto results = with_thread_counts([&] { return std::vector<float128>{sum(x), l2_norm(x)}; });
    for (const auto& r : results) {
        CHECK(test::same_bits(r[0], results[0][0]));
        CHECK(test::same_bits(r[1], results[0][1]));
    }
}

TEST_CASE("reductions: mp bits are the same for 1 and 2 threads", "[kernels][reduce][omp]") {
    const auto x = test::random_mp_values(20000, 256, -30, 30, 1500);
    const auto results = with_thread_counts([&] {
        auto r = test::mp_values(2, 256);
        sum(std::span<const mp_float>(x), r[0]);
        l2_norm(std::span<const mp_float>(x), r[1]);
        return r;
    });
    for (const auto& r : results) {
        CHECK(test::same_bits(r[0], results[0][0]));
        CHECK(test::same_bits(r[1], results[0][1]));
    }
}

TEST_CASE("reductions: emulated fp16 sums, stochastic rounding included, are the same for 1 and 2 threads",
          "[kernels][reduce][omp][emulated]") {
    auto values = test::random_values<float>(50000, -14, 0, 1600);
    for (auto& v : values) v = static_cast<float>(round_to_format(v, binary16(), rounding_mode::nearest_even));
    for (rounding_mode mode : {rounding_mode::nearest_even, rounding_mode::stochastic}) {
        const auto results = with_thread_counts(
            [&] { return sum(std::span<const float>(values), binary16(), mode, sr_stream{.key = 7}); });
        for (float r : results) CHECK(test::same_bits(r, results[0]));
    }
}

TEST_CASE("reductions: mp bits are the same for 1 and 2 threads when the caller narrowed MPFR's exponent range",
          "[kernels][reduce][omp]") {
    // Partial sums reach 2^20 and more; a caller emulating a format has set
    // emax to 16 on its own thread only (the range is per thread).
    const auto x = test::random_mp_values(20000, 128, 10, 14, 1700);
    auto wide = test::mp_values(1, 128);
    sum(std::span<const mp_float>(x), wide[0]);
    const mpfr_exp_t saved_emax = mpfr_get_emax();
    mpfr_set_emax(16);
    const auto results = with_thread_counts([&] {
        auto r = test::mp_values(1, 128);
        sum(std::span<const mp_float>(x), r[0]);
        return r;
    });
    const mpfr_exp_t during = mpfr_get_emax();
    mpfr_set_emax(saved_emax);
    CHECK(during == 16);  // the caller's range is back
    for (const auto& r : results) CHECK(test::same_bits(r[0], wide[0]));
}
