// statistics_in_one_pass() (kernels/reduce.hpp), behind probe::measure() of
// float arrays, reads the array once and reports what the separate
// reductions report: max_abs, min_nonzero_abs and the census bit for bit, on
// every instruction set; its norm, summed in double, within the bound that
// header states, against MPFR's norm of the exact values:
//
//     |l2_norm - ||x||| <= ((1 + gamma_D)^(1/2) (1 + u) - 1) ||x||,
//     u = 2^-53, D = sum_rounding_depth(n),
//
// some 10^-14 relative, where fp32's own l2_norm() allows 10^-6: a norm
// computed in float fails it. Its bits are the same on every instruction set
// and for 1 and 2 threads. Data mixes ordinary values with zeros, subnormals
// of fp16 and of fp32, huge values, NaN and Inf, so both paths of the kernel
// (groups of ordinary values, groups with something to skip or count) run,
// in the last, padded group too.

#include <catch2/catch.hpp>

#include <omp.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <span>
#include <utility>
#include <vector>

#include "gradlab/kernels/reduce.hpp"
#include "gradlab/probe/tensor_statistics.hpp"
#include "support/reduce_oracle.hpp"

using namespace gradlab;

namespace {

constexpr float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();

// The exact norm and the bound above.
class one_pass_norm_bound : public test::reference_bound {
public:
    explicit one_pass_norm_bound(std::span<const float> x) {
        test::reference_sum(x, test::term::square, reference_.v);
        mpfr_sqrt(reference_.v, reference_.v, MPFR_RNDN);
        test::mp relative(test::oracle_bits), one_plus_u(test::oracle_bits);
        test::gamma(relative.v, sum_rounding_depth(x.size()), 53);
        mpfr_add_ui(relative.v, relative.v, 1, MPFR_RNDN);
        mpfr_sqrt(relative.v, relative.v, MPFR_RNDN);
        mpfr_set_ui_2exp(one_plus_u.v, 1, -53, MPFR_RNDN);
        mpfr_add_ui(one_plus_u.v, one_plus_u.v, 1, MPFR_RNDN);
        mpfr_mul(relative.v, relative.v, one_plus_u.v, MPFR_RNDN);
        mpfr_sub_ui(relative.v, relative.v, 1, MPFR_RNDN);
        mpfr_add_d(relative.v, relative.v, std::ldexp(1.0, -1000), MPFR_RNDN);  // the reference's own error
        mpfr_mul(bound_.v, relative.v, reference_.v, MPFR_RNDN);
    }

    double error_over_bound(double computed) const {
        test::mp c(53);
        mpfr_set_d(c.v, computed, MPFR_RNDN);
        return reference_bound::error_over_bound(c.v);
    }
};

enum class specials { none, infinities, nans };

// Mostly ordinary values (magnitudes 2^-20 to 2^20), with about 1 in 8 a
// zero, a subnormal of fp16 (2^-24 to 2^-15), one of fp32 (2^-149 to
// 2^-127), a huge value (2^100 to 2^127), or, as `with` says, ±Inf or NaN.
std::vector<float> mixed(std::size_t n, specials with, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<float> significand(1.0f, 2.0f);
    const auto magnitude = [&](int lowest, int highest) {
        return std::ldexp(significand(rng), std::uniform_int_distribution<int>(lowest, highest)(rng));
    };
    std::vector<float> x(n);
    for (auto& v : x) {
        switch (rng() % 48) {
            case 0: v = 0; break;
            case 1: v = std::ldexp(static_cast<float>(rng() % 1023 + 1), -24); break;  // fp16 subnormal
            case 2: v = std::ldexp(static_cast<float>(rng() % ((1 << 23) - 1) + 1), -149); break;  // fp32 subnormal
            case 3: v = magnitude(100, 127); break;
            case 4: v = with == specials::none ? 1.0f : with == specials::infinities ? inf : nan; break;
            case 5: v = with == specials::nans ? inf : magnitude(-20, 20); break;
            default: v = magnitude(-20, 20);
        }
        if (rng() & 1) v = -v;
    }
    return x;
}

bool contains(std::span<const float> x, bool (*is)(float)) {
    for (float v : x)
        if (is(v)) return true;
    return false;
}

const float_format formats[] = {binary16(), binary32(), binary64()};  // binary64: no float is subnormal in it

// Every check of the header comment for one array, on every instruction set.
void check(std::span<const float> x, test::worst_ratio& worst) {
    const bool has_nan = contains(x, [](float v) { return std::isnan(v); });
    const bool has_inf = contains(x, [](float v) { return std::isinf(v); });
    const std::optional<one_pass_norm_bound> bound =
        has_nan || has_inf ? std::nullopt : std::optional<one_pass_norm_bound>(std::in_place, x);
    for (const auto& format : formats) {
        const auto reference = statistics_in_one_pass(x, format, isa::generic);
        for (isa level : supported_isas()) {
            INFO("n " << x.size() << " format emin " << format.emin << " isa " << isa_name(level));
            const auto s = statistics_in_one_pass(x, format, level);
            CHECK(test::same_bits(s.max_abs, max_abs(x, level)));
            CHECK(test::same_bits(s.min_nonzero_abs, min_nonzero_abs(x, level)));
            CHECK(s.census == census(x, format, level));
            CHECK(test::same_bits(s.l2_norm, reference.l2_norm));
            if (has_nan) CHECK(std::isnan(s.l2_norm));
            else if (has_inf) CHECK(s.l2_norm == std::numeric_limits<double>::infinity());
            else worst.check(bound->error_over_bound(s.l2_norm));
        }
    }
}

}  // namespace

TEST_CASE("one-pass statistics: extremes and census as the separate reductions', norm within its bound",
          "[kernels][reduce][probe]") {
    test::worst_ratio worst("one-pass norm");
    std::vector<std::size_t> lengths;
    for (std::size_t n = 0; n <= 100; ++n) lengths.push_back(n);
    for (std::size_t n : {4095, 4096, 4097, 100000}) lengths.push_back(n);
    for (std::size_t n : lengths)
        for (specials with : {specials::none, specials::infinities, specials::nans}) {
            const auto x = mixed(n, with, 1500 + 3 * n + static_cast<std::size_t>(with));
            check(x, worst);
        }
    // Only ordinary values: every group takes the kernel's fast path.
    for (std::size_t n : {32, 100, 4096, 100000}) {
        const auto x = test::random_values<float>(n, -20, 20, 1600 + n);
        check(x, worst);
    }
    worst.report();
}

TEST_CASE("one-pass statistics: squares of floats neither overflow nor underflow in double",
          "[kernels][reduce][probe]") {
    const float largest = std::numeric_limits<float>::max(), smallest = std::numeric_limits<float>::denorm_min();
    for (isa level : supported_isas()) {
        INFO("isa " << isa_name(level));
        const std::vector<float> huge = {largest, -largest};
        const double m = largest;
        const auto h = statistics_in_one_pass(huge, binary32(), level);
        CHECK(h.l2_norm == std::sqrt(2 * m * m));  // m^2 and 2 m^2 exact: one rounding, the square root's
        CHECK(h.l2_norm > largest);                // beyond float, as long double and the probes hold it
        CHECK(std::isinf(l2_norm(std::span<const float>(huge), level)));
        const std::vector<float> tiny = {smallest, 0.0f, -smallest};
        CHECK(statistics_in_one_pass(tiny, binary32(), level).l2_norm == std::sqrt(2.0) * std::ldexp(1.0, -149));
    }
}

TEST_CASE("one-pass statistics: the same bits for 1 and 2 threads", "[kernels][reduce][omp]") {
    // 300000 elements: 74 blocks, past the 64 where threads start
    const auto x = mixed(300000, specials::none, 1700);
    const int default_threads = omp_get_max_threads();
    omp_set_num_threads(1);
    const auto one = statistics_in_one_pass(x, binary16());
    omp_set_num_threads(2);
    const auto two = statistics_in_one_pass(x, binary16());
    omp_set_num_threads(default_threads);
    CHECK(test::same_bits(one.l2_norm, two.l2_norm));
    CHECK(test::same_bits(one.max_abs, two.max_abs));
    CHECK(test::same_bits(one.min_nonzero_abs, two.min_nonzero_abs));
    CHECK(one.census == two.census);
}

TEST_CASE("one-pass statistics: probe::measure() of floats reports them", "[probe]") {
    for (std::size_t n : {0, 5, 4097}) {
        const auto x = mixed(n, specials::infinities, 1800 + n);
        for (const auto& format : formats) {
            INFO("n " << n << " format emin " << format.emin);
            const auto s = statistics_in_one_pass(x, format);
            const auto m = probe::measure(std::span<const float>(x), format);
            CHECK(m.count == n);
            CHECK(m.l2_norm == s.l2_norm);
            CHECK(m.max_abs == s.max_abs);
            CHECK(m.min_nonzero_abs == s.min_nonzero_abs);
            CHECK(m.census == s.census);
            CHECK_FALSE(m.saturated);
        }
    }
}
