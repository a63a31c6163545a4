// arithmetic<T>'s own elementwise operations (subtract, add_scalar, divide,
// square_root, select_scaled) are correctly rounded: bitwise equal (0 ulp) to
// the exact result rounded once to the precision in its mode.
//
// The reference is MPFR at 256 bits, then one rounding to the format
// (round_to_format) or the type. Sums, differences and products of values of
// at most 53 bits are exact at 256 bits. A quotient or square root of p-bit
// values (p <= 24 here) is either a p-bit value or at least about 2^-2p
// relative away from every value and midpoint of the format, so its 256-bit
// rounding lands on the same side of each: the second rounding is correct.
// The emulated formats compute in double rounded to odd (arithmetic_impl.hpp).
// That matters for sums whose terms' exponents differ by more than double's
// 53 bits hold (bf16's range does): rounded to nearest in double first, the
// directed modes would lose the small term (a check this test fails). For
// quotients and roots of p <= 24-bit values double's 53 bits already make two
// roundings innocuous (53 >= 2p + 2; Figueroa 1995).

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <mpfr.h>

#include "gradlab/nn/arithmetic.hpp"

using namespace gradlab;
using namespace gradlab::nn;

namespace {

enum class op { subtract, add_scalar, divide, square_root, select_scaled };

const char* op_name(op o) {
    switch (o) {
        case op::subtract: return "subtract";
        case op::add_scalar: return "add_scalar";
        case op::divide: return "divide";
        case op::square_root: return "square_root";
        case op::select_scaled: return "select_scaled";
    }
    return "?";
}

// The exact result of o on (x, y) at 256 bits (y is the scalar of add_scalar
// and select_scaled); `zero_sign` decides only the sign of an exact zero sum,
// which IEEE 754 makes -0 when rounding downward.
void exact(op o, double x, double y, mpfr_ptr r, mpfr_rnd_t zero_sign = MPFR_RNDN) {
    mpfr_t a, b;
    mpfr_inits2(256, a, b, static_cast<mpfr_ptr>(nullptr));
    mpfr_set_d(a, x, MPFR_RNDN);
    mpfr_set_d(b, y, MPFR_RNDN);
    switch (o) {
        case op::subtract: mpfr_sub(r, a, b, zero_sign); break;
        case op::add_scalar: mpfr_add(r, a, b, zero_sign); break;
        case op::divide: mpfr_div(r, a, b, MPFR_RNDN); break;
        case op::square_root: mpfr_sqrt(r, a, MPFR_RNDN); break;
        case op::select_scaled:  // cond = src = x, a = y
            if (x > 0) mpfr_set(r, a, MPFR_RNDN);
            else mpfr_mul(r, b, a, MPFR_RNDN);
            break;
    }
    mpfr_clears(a, b, static_cast<mpfr_ptr>(nullptr));
}

template <class T>
void apply(arithmetic<T>& a, op o, std::span<const storage_t<T>> x, std::span<const storage_t<T>> y,
           std::span<storage_t<T>> out) {
    switch (o) {
        case op::subtract: a.subtract(x, y, out); break;
        case op::add_scalar:
            for (std::size_t i = 0; i < x.size(); ++i) a.add_scalar(x.subspan(i, 1), y[i], out.subspan(i, 1));
            break;
        case op::divide: a.divide(x, y, out); break;
        case op::square_root: a.square_root(x, out); break;
        case op::select_scaled:
            for (std::size_t i = 0; i < x.size(); ++i)
                a.select_scaled(x.subspan(i, 1), x.subspan(i, 1), y[i], out.subspan(i, 1));
            break;
    }
}

bool same(double a, double b) { return (std::isnan(a) && std::isnan(b)) || (a == b && std::signbit(a) == std::signbit(b)); }

// Random values of the format (random encodings) plus edges.
std::vector<float> format_values(const float_format& f, std::size_t n, std::uint64_t seed) {
    std::mt19937_64 gen(seed);
    std::vector<float> v{0.0f, -0.0f, static_cast<float>(f.max_finite()), static_cast<float>(-f.max_finite()),
                         static_cast<float>(f.min_subnormal()), static_cast<float>(f.min_normal()), 1.0f, -1.0f};
    while (v.size() < n) {
        const double d = f.decode(gen() & ((std::uint64_t{1} << f.total_bits()) - 1));
        if (std::isfinite(d)) v.push_back(static_cast<float>(d));
    }
    return v;
}

void check_emulated(const std::string& name, op o) {
    arithmetic<emulated_float> a(parse_precision(name));
    const float_format f = *a.spec().format;
    const auto x = format_values(f, 3000, 1), y = format_values(f, 3000, 2);
    std::vector<float> out(x.size());
    apply<emulated_float>(a, o, x, y, out);
    mpfr_t r;
    mpfr_init2(r, 256);
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        exact(o, x[i], y[i], r, a.spec().rounding == rounding_mode::downward ? MPFR_RNDD : MPFR_RNDN);
        const double expected = round_to_format(r, f, a.spec().rounding);
        if (!same(out[i], expected) && wrong++ < 3)
            FAIL_CHECK(name << " " << op_name(o) << "(" << x[i] << ", " << y[i] << ") = " << out[i] << ", expected "
                            << expected);
    }
    mpfr_clear(r);
    CHECK(wrong == 0);
}

template <class T>
void check_native(const char* name, op o) {
    arithmetic<T> a(parse_precision(name));
    std::mt19937_64 gen(3);
    std::normal_distribution<double> normal(0, 10);
    std::vector<T> x, y;
    for (int i = 0; i < 2000; ++i) {
        x.push_back(static_cast<T>(normal(gen)));
        y.push_back(static_cast<T>(normal(gen)));
    }
    std::vector<T> out(x.size());
    apply<T>(a, o, x, y, out);
    mpfr_t r;
    mpfr_init2(r, 256);
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        exact(o, x[i], y[i], r);
        const T expected = std::is_same_v<T, float> ? static_cast<T>(to_fp32(r)) : static_cast<T>(to_fp64(r));
        wrong += !same(out[i], expected);
    }
    mpfr_clear(r);
    INFO(name << " " << op_name(o));
    CHECK(wrong == 0);
}

constexpr op all_ops[] = {op::subtract, op::add_scalar, op::divide, op::square_root, op::select_scaled};

}  // namespace

TEST_CASE("emulated formats: each operation is the exact result rounded once, in every mode", "[arithmetic]") {
    for (const char* base : {"fp16", "bf16", "fp8e4m3", "fp8e5m2", "custom:p=24,emax=127"})
        for (const char* mode : {"", "/rz", "/ru", "/rd"})
            for (op o : all_ops) check_emulated(std::string(base) + mode, o);
}

TEST_CASE("fp32 and fp64: each operation is the exact result rounded to nearest", "[arithmetic]") {
    for (op o : all_ops) {
        check_native<float>("fp32", o);
        check_native<double>("fp64", o);
    }
}

TEST_CASE("mp: results take the output element's own precision", "[arithmetic]") {
    arithmetic<mp_float> a(parse_precision("mp256"));
    auto x = a.matrix_of(1, 1), y = a.matrix_of(1, 1);
    matrix<mp_float> out(1, 1, element_precision{100});
    x(0, 0) = a.number("1");
    y(0, 0) = a.number("3");
    a.divide(x.elements(), y.elements(), out.elements());
    mpfr_srcptr q = out(0, 0).backend().data();
    CHECK(mpfr_get_prec(q) == 100);
    mpfr_t expected;
    mpfr_init2(expected, 100);
    mpfr_set_ui(expected, 1, MPFR_RNDN);
    mpfr_div_ui(expected, expected, 3, MPFR_RNDN);
    CHECK(mpfr_equal_p(q, expected));
    mpfr_clear(expected);
}

TEST_CASE("number and ratio round once to nearest; a non-number is an error naming it", "[arithmetic]") {
    arithmetic<emulated_float> fp16(parse_precision("fp16/rz"));
    mpfr_t third, tenth;
    mpfr_inits2(256, third, tenth, static_cast<mpfr_ptr>(nullptr));
    mpfr_set_ui(third, 1, MPFR_RNDN);
    mpfr_div_ui(third, third, 3, MPFR_RNDN);
    mpfr_set_str(tenth, "0.1", 10, MPFR_RNDN);
    CHECK(fp16.ratio(1, 3) == static_cast<float>(round_to_format(third, binary16(), rounding_mode::nearest_even)));
    CHECK(fp16.number("0.1") == static_cast<float>(round_to_format(tenth, binary16(), rounding_mode::nearest_even)));
    arithmetic<float> fp32(parse_precision("fp32"));
    CHECK(fp32.ratio(1, 3) == to_fp32(third));
    CHECK(fp32.number("0.1") == 0.1f);
    mpfr_clears(third, tenth, static_cast<mpfr_ptr>(nullptr));
    CHECK_THROWS_WITH(fp32.number("nonsense"), Catch::Contains("nonsense"));
}

TEST_CASE("stochastic rounding: reproducible for a seed, each result a neighbour of the exact value",
          "[arithmetic]") {
    const float_format f = bfloat16();
    const auto x = format_values(f, 2000, 4), y = format_values(f, 2000, 5);
    const auto run = [&](std::uint64_t seed) {
        arithmetic<emulated_float> a(parse_precision("bf16/sr"), seed);
        std::vector<float> out(x.size());
        a.divide(x, y, out);
        return out;
    };
    const auto first = run(1), again = run(1), other = run(2);
    std::size_t differing = 0, outside = 0;
    mpfr_t r;
    mpfr_init2(r, 256);
    for (std::size_t i = 0; i < x.size(); ++i) {
        CHECK(same(first[i], again[i]));
        differing += !same(first[i], other[i]);
        exact(op::divide, x[i], y[i], r);
        const double down = round_to_format(r, f, rounding_mode::downward);
        const double up = round_to_format(r, f, rounding_mode::upward);
        outside += !(same(first[i], down) || same(first[i], up));
    }
    mpfr_clear(r);
    CHECK(differing > 0);
    CHECK(outside == 0);
}
