// binade_histogram counts each value in the binade e with 2^e <= |x| < 2^(e+1),
// read from the value exactly as held, and zeros, infinities and NaNs apart.
// The oracle is MPFR: the value set exactly into a variable wide enough for
// it, whose exponent (|x| = m 2^exp, m in [1/2, 1)) is e + 1. Exact counts:
// no tolerance. Data span each type's whole range: subnormals (down to the
// smallest), the binade boundaries 2^e and 2^(e+1) - ulp, the largest finite
// value, signed zeros, infinities and NaNs, plus random bit patterns (so the
// float and double paths see every exponent field, and groups of four
// sharing a binade or not, with a tail of fewer than four).

#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <vector>

#include <quadmath.h>

#include "gradlab/probe/binade_histogram.hpp"

using namespace gradlab;

namespace {

struct expected_counts {
    std::map<long, std::size_t> binades;
    std::size_t zeros = 0, infinities = 0, nans = 0;
};

// Counts by MPFR: x set exactly at `bits` (enough for the type's significand).
template <typename F>
expected_counts counted_by_mpfr(const std::vector<F>& values, int bits) {
    expected_counts out;
    mpfr_t m;
    mpfr_init2(m, bits);
    for (const F& v : values) {
        if constexpr (std::is_same_v<F, float128>) {
            set_exactly(m, v);
        } else {
            mpfr_set_d(m, static_cast<double>(v), MPFR_RNDN);  // exact: float and double fit
        }
        if (mpfr_nan_p(m)) ++out.nans;
        else if (mpfr_inf_p(m)) ++out.infinities;
        else if (mpfr_zero_p(m)) ++out.zeros;
        else ++out.binades[static_cast<long>(mpfr_get_exp(m)) - 1];
    }
    mpfr_clear(m);
    return out;
}

template <typename F>
void check_against_mpfr(const std::vector<F>& values, int bits) {
    probe::binade_histogram h;
    h.add(std::span<const F>(values));
    const auto expected = counted_by_mpfr(values, bits);
    CHECK(h.binades == expected.binades);
    CHECK(h.zeros == expected.zeros);
    CHECK(h.infinities == expected.infinities);
    CHECK(h.nans == expected.nans);
    CHECK(h.count() == values.size());
}

// The edge values of F and random bit patterns (NaN payloads included).
template <typename F, typename Bits>
std::vector<F> native_values(std::size_t random_count) {
    using limits = std::numeric_limits<F>;
    std::vector<F> v{F(0), -F(0), limits::infinity(), -limits::infinity(), limits::quiet_NaN(),
                     limits::denorm_min(), -limits::denorm_min(), limits::min(), std::nextafter(limits::min(), F(0)),
                     limits::max(), -limits::max(), F(1), std::nextafter(F(2), F(0)), F(2), F(0.75)};
    std::mt19937_64 rng(20261206);
    for (std::size_t k = 0; k < random_count; ++k) v.push_back(std::bit_cast<F>(static_cast<Bits>(rng())));
    return v;
}

}  // namespace

TEST_CASE("float: every binade, subnormals to the largest, and the special values, as MPFR counts them") {
    check_against_mpfr(native_values<float, std::uint32_t>(20003), 24);
    // Each subnormal binade of fp32 and the 16 of fp16 held in float (2^-24 .. 2^-15).
    std::vector<float> subnormals;
    for (int e = -149; e <= -126; ++e) subnormals.push_back(std::ldexp(1.0f, e) * 1.5f);
    check_against_mpfr(subnormals, 24);
}

TEST_CASE("double: every binade, subnormals to the largest, and the special values, as MPFR counts them") {
    check_against_mpfr(native_values<double, std::uint64_t>(20001), 53);
}

TEST_CASE("binary128: binades from the smallest subnormal to the largest, as MPFR counts them") {
    constexpr double inf = std::numeric_limits<double>::infinity();
    std::vector<float128> v{float128(0), -float128(0), float128(inf), float128(-inf), float128(inf - inf),
                            float128(FLT128_DENORM_MIN), float128(FLT128_MIN), float128(FLT128_MAX)};
    std::mt19937_64 rng(7);
    std::uniform_int_distribution<int> exponent(-16494, 16383);
    for (int k = 0; k < 2000; ++k) {
        const __float128 significand = 1 + static_cast<__float128>(rng() % 1000) / 1000;
        v.push_back(float128(ldexpq(significand, exponent(rng))));
    }
    check_against_mpfr(v, 113);
}

TEST_CASE("mp: binades far beyond binary128's range, by MPFR's exponent") {
    std::vector<mp_float> v;
    for (const char* text : {"0", "-0", "1", "-1.5", "3", "4", "1e-100000", "-7e200000", "@Inf@", "@NaN@"}) {
        mp_float x;
        mpfr_set_prec(x.backend().data(), 128);
        mpfr_set_str(x.backend().data(), text, 10, MPFR_RNDN);
        v.push_back(x);
    }
    probe::binade_histogram h;
    h.add(std::span<const mp_float>(v));
    // 1e-100000 = m 2^e: e = floor(-100000 log2 10) = -332193; 7e200000: floor(200000 log2 10 + log2 7) = 664388.
    const std::map<long, std::size_t> binades{{0, 2}, {1, 1}, {2, 1}, {-332193, 1}, {664388, 1}};  // 1, -1.5; 3; 4
    CHECK(h.binades == binades);
    CHECK(h.zeros == 2);
    CHECK(h.infinities == 1);
    CHECK(h.nans == 1);
}

TEST_CASE("an empty tensor adds nothing; clear() empties the histogram") {
    probe::binade_histogram h;
    h.add(std::span<const float>());
    CHECK(h.count() == 0);
    const std::vector<double> some{1.0, 0.0};
    h.add(std::span<const double>(some));
    CHECK(h.count() == 2);
    h.clear();
    CHECK(h.count() == 0);
    CHECK(h.binades.empty());
}
