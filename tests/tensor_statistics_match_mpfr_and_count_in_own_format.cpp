// measure() reports kernels/reduce.hpp's norm and extremes read as long
// double, and counts subnormals in the precision's own format;
// count_saturated() applies each activation's documented rule.
//
// Norm bound (kernels/reduce_blocking.hpp): |computed - ||x||| <=
// ((1 + gamma_D)^(1/2) (1 + u) - 1) ||x|| + eta / 2, D =
// sum_of_squares_rounding_depth(n), u = 2^-p of the element type (fp32 2^-24,
// fp64 2^-53, f128 2^-113, mp 2^-bits), eta its smallest subnormal (none for
// mp). fp32 and fp64 results are long double values; f128 and mp ones are
// rounded to long double's 64 bits, which adds 2^-64 relative (counted as
// 2^-63 ||x|| to cover the error on top).

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "gradlab/probe/tensor_statistics.hpp"
#include "support/gmp_allocation_counter.hpp"
#include "support/reduce_oracle.hpp"

using namespace gradlab;
using probe::count_saturated;
using probe::measure;

namespace {

constexpr long double ld_inf = std::numeric_limits<long double>::infinity();

// The bound above, with the rounding to long double for f128 and mp.
class long_double_norm_bound : public test::norm_bound {
public:
    template <class T>
    long_double_norm_bound(std::span<const T> x, long log2_inverse_u, long eta_exponent, bool has_subnormals,
                           bool rounded_to_long_double)
        : norm_bound(x, log2_inverse_u, eta_exponent, has_subnormals) {
        if (!rounded_to_long_double) return;
        test::mp extra(test::oracle_bits);
        mpfr_mul_2si(extra.v, reference_.v, -63, MPFR_RNDN);
        mpfr_add(bound_.v, bound_.v, extra.v, MPFR_RNDN);
    }

    double error_over_bound(long double computed) const {
        test::mp c(64);
        mpfr_set_ld(c.v, computed, MPFR_RNDN);
        return norm_bound::error_over_bound(c.v);
    }
};

template <class T>
long double as_long_double(const T& v) {
    if constexpr (std::is_same_v<T, mp_float>) return mpfr_get_ld(v.backend().data(), MPFR_RNDN);
    else if constexpr (std::is_same_v<T, float128>) return static_cast<long double>(v.backend().value());
    else return v;
}

// The extremes, which reduce.hpp computes exactly, by a plain loop over the
// values read as long double: rounding is monotonic, so the extreme of the
// rounded values is the rounded extreme.
template <class T>
void check_extremes(std::span<const T> x, const probe::tensor_statistics& s) {
    long double largest = 0, smallest = ld_inf;
    for (const T& v : x) {
        const long double m = std::fabs(as_long_double(v));
        largest = std::max(largest, m);
        if (m != 0) smallest = std::min(smallest, m);
    }
    CHECK(s.max_abs == largest);
    CHECK(s.min_nonzero_abs == smallest);
}

template <class T>
std::vector<T> values_of(const std::vector<double>& from, mpfr_prec_t mp_bits = 64) {
    if constexpr (std::is_same_v<T, mp_float>) {
        auto v = test::mp_values(from.size(), mp_bits);
        for (std::size_t i = 0; i < from.size(); ++i) mpfr_set_d(v[i].backend().data(), from[i], MPFR_RNDN);
        return v;
    } else {
        return std::vector<T>(from.begin(), from.end());
    }
}

template <class T>
probe::tensor_statistics measure_own(std::span<const T> x) {
    if constexpr (std::is_same_v<T, mp_float>) return measure(x);
    else if constexpr (std::is_same_v<T, float128>) return measure(x);
    else return measure(x, std::is_same_v<T, float> ? binary32() : binary64());
}

}  // namespace

TEST_CASE("tensor statistics: fp32, fp64 and f128 norms within reduce.hpp's bound of MPFR's", "[probe]") {
    const auto check = [&]<class T>(bool rounded) {
        test::worst_ratio worst(std::string(test::reduce_traits<T>::name) + " norm");
        for (std::size_t n : test::reduce_lengths) {
            const auto values = test::random_values<T>(n, -20, 20, 1000 + n);
            const std::span<const T> x(values);
            const auto s = measure_own(x);
            INFO(test::reduce_traits<T>::name << " n " << n);
            CHECK(s.count == n);
            CHECK(s.census.count == n);
            CHECK_FALSE(s.saturated);
            const long_double_norm_bound bound(x, test::reduce_traits<T>::bits, test::reduce_traits<T>::eta_exponent,
                                               true, rounded);
            worst.check(bound.error_over_bound(s.l2_norm));
            check_extremes(x, s);
        }
        worst.report();
    };
    check.operator()<float>(false);
    check.operator()<double>(false);
    check.operator()<float128>(true);
}

TEST_CASE("tensor statistics: mp norms at the elements' precision within the bound", "[probe]") {
    for (mpfr_prec_t bits : {mpfr_prec_t{40}, mpfr_prec_t{64}, mpfr_prec_t{200}}) {
        test::worst_ratio worst("mp" + std::to_string(bits) + " norm");
        for (std::size_t n : {std::size_t{1}, std::size_t{17}, std::size_t{4097}}) {
            const auto doubles = test::random_values<double>(n, -30, 30, 7 * n + static_cast<std::size_t>(bits));
            auto values = test::mp_values(n, bits);
            for (std::size_t i = 0; i < n; ++i) {  // a few bits beyond the double: 2^-40 of another value
                mpfr_set_d(values[i].backend().data(), doubles[i], MPFR_RNDN);
                mpfr_add_d(values[i].backend().data(), values[i].backend().data(),
                           std::ldexp(doubles[(i + 1) % n], -40), MPFR_RNDN);
            }
            const std::span<const mp_float> x(values);
            const auto s = measure(x);
            INFO("mp" << bits << " n " << n);
            const long_double_norm_bound bound(x, bits, 0, false, true);
            worst.check(bound.error_over_bound(s.l2_norm));
            CHECK(s.census.subnormals == 0);
            check_extremes(x, s);
        }
        worst.report();
    }
}

TEST_CASE("tensor statistics: fp16 values in float count subnormal by binary16's rules", "[probe]") {
    const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    // 2^-20 and -2^-24: fp16 subnormals, normal floats. 2^-14: fp16's smallest normal.
    const std::vector<float> x = {std::ldexp(1.0f, -20), -std::ldexp(1.0f, -24), std::ldexp(1.0f, -14), 0.0f, -0.0f,
                                  1.5f, nan, inf, -inf};
    const auto fp16 = measure(std::span<const float>(x), binary16());
    CHECK(fp16.census == value_census{.count = 9, .zeros = 2, .subnormals = 2, .nans = 1, .infinities = 2});
    CHECK(measure(std::span<const float>(x), binary32()).census.subnormals == 0);
    CHECK(std::isnan(fp16.l2_norm));  // NaN wins over Inf
    CHECK(fp16.max_abs == ld_inf);    // NaN skipped, Inf its own magnitude
    CHECK(fp16.min_nonzero_abs == std::ldexp(1.0L, -24));

    const std::vector<double> with_inf = {3, -std::numeric_limits<double>::infinity(), 4};
    const auto s = measure(std::span<const double>(with_inf), binary64());
    CHECK(s.l2_norm == ld_inf);
    CHECK(s.census.infinities == 1);
    CHECK(s.census.nans == 0);
}

TEST_CASE("tensor statistics: binary128 subnormals and values beyond double's range", "[probe]") {
    // 2^-16390: a binary128 subnormal; 2^-16000 normal there, but below
    // binary64's smallest normal; 3 2^16000 beyond double, within long double.
    const std::vector<float128> x = {ldexp(float128(1), -16390), ldexp(float128(1), -16000),
                                     ldexp(float128(-3), 16000)};
    const auto own = measure(std::span<const float128>(x));
    CHECK(own.census.subnormals == 1);
    CHECK(measure(std::span<const float128>(x), binary64()).census.subnormals == 2);
    CHECK(own.max_abs == std::ldexp(3.0L, 16000));
    CHECK(own.l2_norm == std::ldexp(3.0L, 16000));  // the others' squares are below its last bit
    CHECK(own.min_nonzero_abs == std::ldexp(1.0L, -16390));

    auto big = test::mp_values(2, 64);
    mpfr_set_ui_2exp(big[0].backend().data(), 1, 20000, MPFR_RNDN);  // beyond long double: reads as +Inf
    mpfr_set_ui_2exp(big[1].backend().data(), 1, -20000, MPFR_RNDN);  // reads as 0
    const auto m = measure(std::span<const mp_float>(big));
    CHECK(m.max_abs == ld_inf);
    CHECK(m.min_nonzero_abs == 0);
    CHECK(m.census == value_census{.count = 2});
    // -3 2^-16440: a long double subnormal; 2^16383: in long double's
    // largest binade. Both read exactly.
    mpfr_set_si_2exp(big[0].backend().data(), -3, -16440, MPFR_RNDN);
    mpfr_set_ui_2exp(big[1].backend().data(), 1, 16383, MPFR_RNDN);
    const auto edges = measure(std::span<const mp_float>(big));
    CHECK(edges.min_nonzero_abs == std::ldexp(3.0L, -16440));
    CHECK(edges.max_abs == std::ldexp(1.0L, 16383));
}

TEST_CASE("tensor statistics: measuring mp again at the same precision allocates nothing", "[probe]") {
    // 4000 elements: one block, so no worker thread uses GMP while counting.
    auto values = test::mp_values(4000, 300);
    for (std::size_t i = 0; i < values.size(); ++i)
        mpfr_set_d(values[i].backend().data(), std::ldexp(1.0 + static_cast<double>(i), -5), MPFR_RNDN);
    const std::span<const mp_float> x(values);
    const auto first = measure(x);
    const test::gmp_allocation_counter counter;
    const auto again = measure(x);
    CHECK(counter.count() == 0);
    CHECK(again.l2_norm == first.l2_norm);
}

TEST_CASE("tensor statistics: an empty span has norm 0, no extremes and an empty census", "[probe]") {
    const auto check = [](const probe::tensor_statistics& s) {
        CHECK(s.count == 0);
        CHECK(s.l2_norm == 0);
        CHECK(s.max_abs == 0);
        CHECK(s.min_nonzero_abs == ld_inf);
        CHECK(s.census == value_census{});
        CHECK_FALSE(s.saturated);
    };
    check(measure(std::span<const float>(), binary16()));
    check(measure(std::span<const double>(), binary64()));
    check(measure(std::span<const float128>(), binary64()));
    check(measure(std::span<const mp_float>()));
}

namespace {

struct saturation_case {
    activation f;
    std::vector<double> y;
    std::size_t saturated;
};

// Values on both sides of each threshold, far enough (1e-4 relative) that
// rounding to float keeps their side; a threshold value itself where the
// rule is "<=".
std::vector<saturation_case> saturation_cases() {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    // sigmoid: y (1 - y) < 0.0025 for y < 0.0025063 or y > 0.9974937
    return {{{activation_kind::sigmoid}, {0.0, 0.0025, 0.00251, 0.5, 0.99749, 0.9975, 1.0, nan}, 4},
            // tanh: 1 - y^2 < 0.01 for |y| > 0.9949874
            {{activation_kind::tanh}, {-1.0, -0.995, -0.9949, 0.0, 0.9949, 0.995, 1.0, nan}, 4},
            {{activation_kind::relu}, {0.0, -0.0, 1e-30, 2.0, nan}, 2},
            {{activation_kind::leaky_relu}, {-0.01, -1e-30, 0.0, 1e-30, 0.5, nan}, 3},
            {{activation_kind::prelu, 0.25}, {-0.25, 0.0, 0.25, nan}, 2},
            // elu alpha 1: y <= -0.99; alpha 2: y <= -1.98
            {{activation_kind::elu, 1.0}, {-1.0, -0.995, -0.99, -0.98, 0.0, 3.0, nan}, 3},
            {{activation_kind::elu, 2.0}, {-1.99, -1.98, -1.97, -0.99, nan}, 2},
            // softplus: y < log(1 + 0.01 / 0.99) = 0.0100503
            {{activation_kind::softplus}, {0.0, 0.005, 0.01, 0.0101, 0.69, 5.0, nan}, 3}};
}

}  // namespace

TEST_CASE("saturation: each activation's rule at the edges of its threshold, in every type", "[probe]") {
    for (const auto& c : saturation_cases()) {
        INFO(activation_name(c.f.kind) << " parameter " << c.f.parameter);
        const auto check = [&]<class T>() {
            const auto y = values_of<T>(c.y);
            CHECK(count_saturated(c.f, std::span<const T>(y)) == c.saturated);
        };
        check.operator()<float>();
        check.operator()<double>();
        check.operator()<float128>();
        check.operator()<mp_float>();
    }
}

TEST_CASE("saturation: identity and gelu have no rule; an empty span has none saturated", "[probe]") {
    const std::vector<float> y = {0.0f, -1.0f, 1.0f};
    CHECK_FALSE(count_saturated({activation_kind::identity}, std::span<const float>(y)));
    CHECK_FALSE(count_saturated({activation_kind::gelu}, std::span<const float>(y)));
    CHECK(count_saturated({activation_kind::tanh}, std::span<const double>()) == std::size_t{0});
}
