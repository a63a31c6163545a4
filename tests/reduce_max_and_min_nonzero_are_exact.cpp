// max_abs() and min_nonzero_abs() against a plain loop, exactly, for every
// precision and instruction set: NaN is skipped, zeros never count as the
// minimum, an Inf element is its own magnitude, and the empty answers are
// 0 (max) and +Inf (min).

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "gradlab/kernels/reduce.hpp"
#include "support/reduce_oracle.hpp"

using namespace gradlab;

namespace {

template <class T>
T plain_max_abs(const std::vector<T>& x) {
    T m = 0;
    for (T v : x)
        if (!std::isnan(v)) m = std::max(m, std::abs(v));
    return m;
}

template <class T>
T plain_min_nonzero_abs(const std::vector<T>& x) {
    T m = std::numeric_limits<T>::infinity();
    for (T v : x)
        if (!std::isnan(v) && v != 0) m = std::min(m, std::abs(v));
    return m;
}

// Random values over the whole range, subnormals included, with zeros and
// NaN sprinkled in (in the last, partial lane group too).
template <class T>
std::vector<T> sprinkled(std::size_t n, std::uint64_t seed) {
    const int lowest = std::numeric_limits<T>::min_exponent - std::numeric_limits<T>::digits;
    auto x = test::random_values<T>(n, lowest, std::numeric_limits<T>::max_exponent - 1, seed);
    for (std::size_t i = 0; i < n; i += 7) x[i] = 0;
    for (std::size_t i = 3; i < n; i += 11) x[i] = std::numeric_limits<T>::quiet_NaN();
    if (n > 0) x[n - 1] = std::numeric_limits<T>::quiet_NaN();
    return x;
}

template <class T>
void check_native() {
    constexpr T inf = std::numeric_limits<T>::infinity(), nan = std::numeric_limits<T>::quiet_NaN();
    const std::vector<std::vector<T>> specials = {
        {}, {nan, nan, nan}, {T(0), -T(0)}, {-inf, T(1)}, {std::numeric_limits<T>::denorm_min(), nan, T(0)}};
    for (isa level : supported_isas()) {
        for (std::size_t n : test::reduce_lengths) {
            const auto x = sprinkled<T>(n, 800 + n);
            INFO(test::reduce_traits<T>::name << " n " << n << " isa " << isa_name(level));
            CHECK(test::same_bits(max_abs(std::span<const T>(x), level), plain_max_abs(x)));
            CHECK(test::same_bits(min_nonzero_abs(std::span<const T>(x), level), plain_min_nonzero_abs(x)));
        }
        for (const auto& x : specials) {
            INFO(test::reduce_traits<T>::name << " special case of " << x.size() << " isa " << isa_name(level));
            CHECK(test::same_bits(max_abs(std::span<const T>(x), level), plain_max_abs(x)));
            CHECK(test::same_bits(min_nonzero_abs(std::span<const T>(x), level), plain_min_nonzero_abs(x)));
        }
    }
    const std::vector<T> nothing;
    CHECK(test::same_bits(max_abs(std::span<const T>(nothing)), T(0)));
    CHECK(min_nonzero_abs(std::span<const T>(nothing)) == inf);
    const std::vector<T> with_inf = {T(1), -inf, nan};
    CHECK(max_abs(std::span<const T>(with_inf)) == inf);
    CHECK(min_nonzero_abs(std::span<const T>(with_inf)) == T(1));
}

}  // namespace

TEST_CASE("max_abs and min_nonzero_abs: fp32 exact, NaN skipped, on every instruction set", "[kernels][reduce]") {
    check_native<float>();
}

TEST_CASE("max_abs and min_nonzero_abs: fp64 exact, NaN skipped, on every instruction set", "[kernels][reduce]") {
    check_native<double>();
}

TEST_CASE("max_abs and min_nonzero_abs: f128 exact, NaN skipped", "[kernels][reduce]") {
    for (std::size_t n : test::reduce_lengths) {
        auto x = test::random_values<float128>(n, -16000, 16000, 900 + n);
        float128 expected_max = 0, expected_min = INFINITY;
        for (std::size_t i = 0; i < n; ++i) {
            if (i % 7 == 0) x[i] = 0;
            if (i % 11 == 3) x[i] = NAN;
            if (isnan(x[i])) continue;
            expected_max = std::max(expected_max, float128(abs(x[i])));
            if (x[i] != 0) expected_min = std::min(expected_min, float128(abs(x[i])));
        }
        INFO("n " << n);
        CHECK(test::same_bits(max_abs(std::span<const float128>(x)), expected_max));
        CHECK(test::same_bits(min_nonzero_abs(std::span<const float128>(x)), expected_min));
    }
}

TEST_CASE("max_abs and min_nonzero_abs: mp exact at the result's precision, NaN skipped", "[kernels][reduce]") {
    constexpr mpfr_prec_t bits = 256;
    for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{17}, std::size_t{4097}, std::size_t{20000}}) {
        auto x = test::random_mp_values(n, bits, -100000, 100000, 1000 + n);
        for (std::size_t i = 0; i < n; i += 7) mpfr_set_zero(x[i].backend().data(), 1);
        for (std::size_t i = 3; i < n; i += 11) mpfr_set_nan(x[i].backend().data());
        auto expected = test::mp_values(2, bits);
        mpfr_set_zero(expected[0].backend().data(), 1);
        mpfr_set_inf(expected[1].backend().data(), 1);
        for (const auto& v : x) {
            mpfr_srcptr p = v.backend().data();
            if (mpfr_nan_p(p)) continue;
            if (mpfr_cmpabs(p, expected[0].backend().data()) > 0) mpfr_abs(expected[0].backend().data(), p, MPFR_RNDN);
            if (!mpfr_zero_p(p) && mpfr_cmpabs(p, expected[1].backend().data()) < 0)
                mpfr_abs(expected[1].backend().data(), p, MPFR_RNDN);
        }
        auto got = test::mp_values(2, bits);
        max_abs(std::span<const mp_float>(x), got[0]);
        min_nonzero_abs(std::span<const mp_float>(x), got[1]);
        INFO("n " << n);
        CHECK(test::same_bits(got[0], expected[0]));
        CHECK(test::same_bits(got[1], expected[1]));
    }
}
