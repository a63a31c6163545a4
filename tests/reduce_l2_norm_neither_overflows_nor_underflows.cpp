// l2_norm() of entries whose squares overflow or underflow the precision
// (1e300 and 1e-300 in fp64, 1e30 and 1e-30 in fp32, 2^±13000 in f128,
// subnormals, and the three mixed): finite, nonzero and within the same bound
// as ordinary data, thanks to Blue's scaling.

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "gradlab/kernels/reduce.hpp"
#include "support/reduce_oracle.hpp"

using namespace gradlab;

namespace {

constexpr std::size_t lengths[] = {1, 7, 17, 64, 129, 4097, 100000};

// n copies of v with alternating signs, a little jitter in the last bits so
// that the squares round.
template <class T>
std::vector<T> around(std::size_t n, T v) {
    using std::ldexp;
    const T ulp_of_one = ldexp(T(1), 1 - test::reduce_traits<T>::bits);
    std::vector<T> x(n);
    for (std::size_t i = 0; i < n; ++i) {
        const T jittered = v + v * (T(static_cast<int>(i % 5)) * ulp_of_one);
        x[i] = i % 2 ? -jittered : jittered;
    }
    return x;
}

template <class T>
void check_extreme(const std::vector<T>& x, const char* what) {
    const std::span<const T> values(x);
    const auto bound = test::native_norm_bound(values);
    for (isa level : supported_isas()) {
        T norm;
        if constexpr (std::is_same_v<T, float128>) norm = l2_norm(values);
        else norm = l2_norm(values, level);
        INFO(test::reduce_traits<T>::name << " " << what << " n " << x.size() << " isa " << isa_name(level));
        CHECK(isfinite(norm));
        CHECK(norm > 0);
        CHECK(test::l2_norm_error_over_bound(values, bound, level) <= 1);
        if constexpr (std::is_same_v<T, float128>) break;  // one path only
    }
}

template <class T>
void check_magnitudes(T huge, T tiny) {
    using std::ldexp;
    for (std::size_t n : lengths) {
        check_extreme(around(n, huge), "huge");
        check_extreme(around(n, tiny), "tiny");
        check_extreme(around(n, ldexp(T(3), test::reduce_traits<T>::eta_exponent)), "subnormal");
        auto mixed = around(n, tiny);  // huge, tiny and ordinary in one array: the big branch
        for (std::size_t i = 0; i < n; i += 3) mixed[i] = huge;
        for (std::size_t i = 1; i < n; i += 5) mixed[i] = T(1);
        check_extreme(mixed, "mixed");
        auto tiny_and_one = around(n, tiny);  // the small scale folded into ordinary values
        tiny_and_one[n / 2] = T(1);
        check_extreme(tiny_and_one, "tiny and one");
    }
}

}  // namespace

TEST_CASE("l2_norm: fp64 entries of 1e300 and 1e-300 neither overflow nor underflow", "[kernels][reduce]") {
    check_magnitudes<double>(1e300, 1e-300);
    // the largest double is its own norm, exactly
    const double max = std::numeric_limits<double>::max();
    CHECK(l2_norm(std::span<const double>(&max, 1)) == max);
    const double min = std::numeric_limits<double>::denorm_min();
    CHECK(l2_norm(std::span<const double>(&min, 1)) == min);
}

TEST_CASE("l2_norm: fp32 entries of 1e30 and 1e-30 neither overflow nor underflow", "[kernels][reduce]") {
    check_magnitudes<float>(1e30f, 1e-30f);
    const float max = std::numeric_limits<float>::max();
    CHECK(l2_norm(std::span<const float>(&max, 1)) == max);
}

TEST_CASE("l2_norm: f128 entries of 2^13000 and 2^-13000 neither overflow nor underflow", "[kernels][reduce]") {
    check_magnitudes<float128>(ldexp(float128(1.375), 13000), ldexp(float128(1.375), -13000));
}

TEST_CASE("l2_norm: a norm beyond the largest finite value is +Inf", "[kernels][reduce]") {
    const std::vector<double> x(4, std::numeric_limits<double>::max());
    for (isa level : supported_isas()) CHECK(l2_norm(std::span<const double>(x), level) == INFINITY);
}
