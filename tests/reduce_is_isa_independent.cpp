// Every instruction set gives the reductions the bits of the scalar
// reference kernels (isa::generic): the 32 lanes of the fixed blocking are
// the same additions whatever the vector width, and squares are fused
// multiply-adds everywhere. Data mixes ordinary, huge, tiny and subnormal
// values, so every branch of the norm's scaling is taken.

#include <catch2/catch.hpp>

#include <limits>
#include <vector>

#include "gradlab/kernels/reduce.hpp"
#include "support/reduce_oracle.hpp"

using namespace gradlab;

namespace {

template <class T>
std::vector<std::vector<T>> data_sets(std::size_t n) {
    const int lowest = std::numeric_limits<T>::min_exponent - std::numeric_limits<T>::digits;
    const int highest = std::numeric_limits<T>::max_exponent - 1;
    auto everywhere = test::random_values<T>(n, lowest, highest, 1100 + n);
    // a few huge or tiny values among ordinary ones: vectors that leave the norm's fast path now and then
    auto mostly_ordinary = test::random_values<T>(n, -20, 20, 1200 + n);
    for (std::size_t i = 5; i < n; i += 97) mostly_ordinary[i] = everywhere[i];
    return {test::random_values<T>(n, -20, 20, 1000 + n), mostly_ordinary, everywhere};
}

template <class T>
void check_native() {
    for (std::size_t n : test::reduce_lengths) {
        for (const auto& values : data_sets<T>(n)) {
            const std::span<const T> x(values);
            const T expected_sum = sum(x, isa::generic), expected_norm = l2_norm(x, isa::generic);
            const T expected_max = max_abs(x, isa::generic), expected_min = min_nonzero_abs(x, isa::generic);
            const value_census expected_census = census(x, bfloat16(), isa::generic);
            for (isa level : supported_isas()) {
                INFO(test::reduce_traits<T>::name << " n " << n << " isa " << isa_name(level));
                CHECK(test::same_bits(sum(x, level), expected_sum));
                CHECK(test::same_bits(l2_norm(x, level), expected_norm));
                CHECK(test::same_bits(max_abs(x, level), expected_max));
                CHECK(test::same_bits(min_nonzero_abs(x, level), expected_min));
                CHECK(census(x, bfloat16(), level) == expected_census);
            }
        }
    }
}

}  // namespace

TEST_CASE("reductions: fp32 bits are the same on every instruction set", "[kernels][reduce]") { check_native<float>(); }

TEST_CASE("reductions: fp64 bits are the same on every instruction set", "[kernels][reduce]") {
    check_native<double>();
}
