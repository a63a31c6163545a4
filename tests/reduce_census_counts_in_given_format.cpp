// census() counts zeros, NaN, Inf and the subnormals *of the given format*:
// a float holding 2^-20 is subnormal for fp16 though a normal float. Checked
// against a plain classification loop on every format's edge values, on
// every instruction set, at lengths that leave partial lane groups.

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "gradlab/kernels/reduce.hpp"
#include "support/edge_values.hpp"
#include "support/reduce_oracle.hpp"

using namespace gradlab;

namespace {

template <class T>
value_census plain_census(std::span<const T> x, const float_format& format) {
    value_census c;
    c.count = x.size();
    for (T v : x) {
        if (v == 0) ++c.zeros;
        else if (std::isnan(v)) ++c.nans;
        else if (std::isinf(v)) ++c.infinities;
        else if (std::fabs(static_cast<double>(v)) < format.min_normal()) ++c.subnormals;
    }
    return c;
}

template <class T>
void check_formats(const std::vector<float_format>& formats) {
    for (const auto& format : formats) {
        const auto values = test::edge_values<T>(format, 5000);
        for (isa level : supported_isas()) {
            for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{17}, std::size_t{129},
                                  std::size_t{4097}, values.size()}) {
                const std::span<const T> x(values.data(), std::min(n, values.size()));
                INFO(test::reduce_traits<T>::name << " storage, " << format.name << ", n " << x.size() << ", isa "
                                                  << isa_name(level));
                CHECK(census(x, format, level) == plain_census(x, format));
            }
        }
    }
}

}  // namespace

TEST_CASE("census: float storage counts the subnormals of fp16, bf16, fp8 and binary32", "[kernels][reduce]") {
    check_formats<float>({binary16(), bfloat16(), fp8_e4m3(), fp8_e5m2(), binary32()});
}

TEST_CASE("census: double storage counts the subnormals of its formats, binary64 included", "[kernels][reduce]") {
    check_formats<double>({binary16(), binary32(), custom_format(40, 600), binary64()});
}

TEST_CASE("census: known answers in fp16, and the element type's own format by default", "[kernels][reduce]") {
    const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    // 2^-20: fp16 subnormal, float normal. 2^-14: fp16's smallest normal.
    // 2^-130: subnormal in both. 1: normal in both.
    const std::vector<float> x = {0.0f, -0.0f, std::ldexp(1.0f, -20), std::ldexp(-1.0f, -14), std::ldexp(1.0f, -130),
                                  1.0f, nan, -inf, inf};
    const value_census fp16 = census(std::span<const float>(x), binary16());
    CHECK(fp16 == value_census{.count = 9, .zeros = 2, .subnormals = 2, .nans = 1, .infinities = 2});
    CHECK(fp16.normals() == 2);
    const value_census own = census(std::span<const float>(x));
    CHECK(own.subnormals == 1);
    CHECK(own.normals() == 3);
}

TEST_CASE("census: every NaN of a partial lane group is counted once", "[kernels][reduce]") {
    for (isa level : supported_isas())
        for (std::size_t n : {std::size_t{1}, std::size_t{7}, std::size_t{31}, std::size_t{33}, std::size_t{4097}}) {
            const std::vector<double> x(n, std::numeric_limits<double>::quiet_NaN());
            INFO("n " << n << " isa " << isa_name(level));
            CHECK(census(std::span<const double>(x), binary64(), level).nans == n);
        }
}

TEST_CASE("census: f128 and mp, in a given format and in their own", "[kernels][reduce]") {
    std::vector<float128> q = {0, ldexp(float128(1), -20), ldexp(float128(1), -16400), float128(1), NAN, INFINITY};
    CHECK(census(std::span<const float128>(q), binary16()) ==
          value_census{.count = 6, .zeros = 1, .subnormals = 2, .nans = 1, .infinities = 1});
    CHECK(census(std::span<const float128>(q)).subnormals == 1);  // only 2^-16400 is below 2^-16382

    auto m = test::mp_values(6, 256);
    mpfr_set_zero(m[0].backend().data(), -1);
    mpfr_set_ui_2exp(m[1].backend().data(), 1, -20, MPFR_RNDN);
    mpfr_set_ui_2exp(m[2].backend().data(), 3, -16, MPFR_RNDN);  // 3 * 2^-16 < 2^-14: subnormal in fp16
    mpfr_set_ui_2exp(m[3].backend().data(), 1, -14, MPFR_RNDN);  // exactly fp16's smallest normal
    mpfr_set_nan(m[4].backend().data());
    mpfr_set_inf(m[5].backend().data(), -1);
    CHECK(census(std::span<const mp_float>(m), binary16()) ==
          value_census{.count = 6, .zeros = 1, .subnormals = 2, .nans = 1, .infinities = 1});
    CHECK(census(std::span<const mp_float>(m)).subnormals == 0);  // MPFR has no subnormals
}
