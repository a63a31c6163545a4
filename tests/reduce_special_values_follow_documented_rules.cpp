// The documented rules for zeros, NaN and Inf in sum() and l2_norm(), for
// every precision and instruction set, wherever the special value sits (first
// element, inside a full lane group, in the partial group at the end, in a
// later block): an empty or all-zero array sums to +0 and has norm +0; a NaN
// makes both NaN; +Inf sums to +Inf and +Inf with -Inf to NaN; an Inf makes
// the norm +Inf unless there is also a NaN.

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "gradlab/kernels/reduce.hpp"
#include "support/reduce_oracle.hpp"

using namespace gradlab;

namespace {

constexpr std::size_t lengths[] = {1, 7, 17, 64, 129, 4097};

// x with `specials` written at the documented positions (one each, in turn).
template <class T>
std::vector<std::vector<T>> placements(std::size_t n, const std::vector<T>& specials) {
    std::vector<std::vector<T>> arrays;
    for (std::size_t at : {std::size_t{0}, n / 2, n - 1}) {
        std::vector<T> x(n, T(1));
        for (std::size_t k = 0; k < specials.size(); ++k) x[(at + k) % n] = specials[k];
        arrays.push_back(x);
    }
    return arrays;
}

template <class T>
bool is_positive_zero(T v) {
    return v == 0 && !std::signbit(v);
}

template <class T>
void check_native() {
    constexpr T inf = std::numeric_limits<T>::infinity(), nan = std::numeric_limits<T>::quiet_NaN();
    for (isa level : supported_isas()) {
        const auto s = [&](const std::vector<T>& x) { return sum(std::span<const T>(x), level); };
        const auto norm = [&](const std::vector<T>& x) { return l2_norm(std::span<const T>(x), level); };
        INFO(test::reduce_traits<T>::name << " isa " << isa_name(level));
        CHECK(is_positive_zero(s({})));
        CHECK(is_positive_zero(norm({})));
        for (std::size_t n : lengths) {
            INFO("n " << n);
            CHECK(is_positive_zero(s(std::vector<T>(n, -T(0)))));
            CHECK(is_positive_zero(norm(std::vector<T>(n, -T(0)))));
            for (const auto& x : placements<T>(n, {nan})) {
                CHECK(std::isnan(s(x)));
                CHECK(std::isnan(norm(x)));
            }
            for (const auto& x : placements<T>(n, {-inf})) {
                CHECK(s(x) == -inf);
                CHECK(norm(x) == inf);
            }
            if (n < 2) continue;
            for (const auto& x : placements<T>(n, {inf, -inf})) CHECK(std::isnan(s(x)));
            for (const auto& x : placements<T>(n, {inf, nan})) CHECK(std::isnan(norm(x)));
        }
    }
}

}  // namespace

TEST_CASE("sum and l2_norm: fp32 zeros, NaN and Inf follow the documented rules", "[kernels][reduce]") {
    check_native<float>();
}

TEST_CASE("sum and l2_norm: fp64 zeros, NaN and Inf follow the documented rules", "[kernels][reduce]") {
    check_native<double>();
}

TEST_CASE("sum and l2_norm: f128 zeros, NaN and Inf follow the documented rules", "[kernels][reduce]") {
    const float128 inf = INFINITY, nan = NAN;
    const auto s = [](const std::vector<float128>& x) { return sum(std::span<const float128>(x)); };
    const auto norm = [](const std::vector<float128>& x) { return l2_norm(std::span<const float128>(x)); };
    CHECK(s({}) == 0);
    for (std::size_t n : lengths) {
        INFO("n " << n);
        CHECK(s(std::vector<float128>(n, float128(0))) == 0);
        CHECK(norm(std::vector<float128>(n, float128(0))) == 0);
        for (const auto& x : placements<float128>(n, {nan})) CHECK((isnan(s(x)) && isnan(norm(x))));
        for (const auto& x : placements<float128>(n, {-inf})) CHECK((s(x) == -inf && norm(x) == inf));
        if (n < 2) continue;
        for (const auto& x : placements<float128>(n, {inf, -inf})) CHECK(isnan(s(x)));
        for (const auto& x : placements<float128>(n, {inf, nan})) CHECK(isnan(norm(x)));
    }
}

TEST_CASE("sum and l2_norm: mp zeros, NaN and Inf follow the documented rules", "[kernels][reduce]") {
    auto result = test::mp_values(1, 128);
    mpfr_ptr r = result[0].backend().data();
    const auto with = [](std::size_t n, std::size_t at, auto set) {
        auto x = test::mp_values(n, 128);
        for (auto& v : x) mpfr_set_ui(v.backend().data(), 1, MPFR_RNDN);
        set(x[at].backend().data());
        return x;
    };
    for (std::size_t n : lengths) {
        INFO("n " << n);
        auto zeros = test::mp_values(n, 128);
        for (auto& v : zeros) mpfr_set_zero(v.backend().data(), -1);
        sum(std::span<const mp_float>(zeros), result[0]);
        CHECK((mpfr_zero_p(r) && !mpfr_signbit(r)));
        l2_norm(std::span<const mp_float>(zeros), result[0]);
        CHECK(mpfr_zero_p(r));
        const auto with_nan = with(n, n - 1, [](mpfr_ptr v) { mpfr_set_nan(v); });
        sum(std::span<const mp_float>(with_nan), result[0]);
        CHECK(mpfr_nan_p(r));
        l2_norm(std::span<const mp_float>(with_nan), result[0]);
        CHECK(mpfr_nan_p(r));
        const auto with_inf = with(n, n / 2, [](mpfr_ptr v) { mpfr_set_inf(v, -1); });
        sum(std::span<const mp_float>(with_inf), result[0]);
        CHECK((mpfr_inf_p(r) && mpfr_signbit(r)));
        l2_norm(std::span<const mp_float>(with_inf), result[0]);
        CHECK((mpfr_inf_p(r) && !mpfr_signbit(r)));
    }
}
