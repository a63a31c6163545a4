// arithmetic<T>'s own elementwise operations (subtract, add_scalar, divide,
// square_root, select_scaled, sign, clamp, row_max, from_fp32) and its
// constants (number, ratio) are correctly rounded in every precision family.
//
// Tolerance: bitwise, 0 ulp (NaN: both NaN), because correct rounding fixes
// exactly one result. The reference is MPFR, then one rounding to the
// precision (round_to_format in the precision's mode, to_fp32/to_fp64/to_f128,
// or mpfr_set at the mp output's bits):
// - sums and differences are computed exactly, at sum_bits: the operands'
//   bits, binary128's whole exponent range included, fit;
// - products (select_scaled) of values of at most 256 bits are exact at
//   quotient_bits = 1024;
// - a quotient or square root of p-bit values is either a p-bit value or at
//   least about 2^-2p-2 relative away from every p-bit value and every
//   midpoint (x - m y and x - m^2 are multiples of the operands' last-bit
//   weights). p <= 256 here (11 for fp16, 24 for p=24, 256 for mp256), so a
//   1024-bit result rounded to nearest lies on the same side of each value and
//   midpoint as the exact one, and rounding it once more is correct in every
//   mode (the brief's 256 bits suffice for p <= 113; mp256 needs more).
// Why round to odd: the emulated formats compute in double, rounded to odd,
// then round once to the format. For quotients and roots of p <= 24-bit values
// a to-nearest double would already do (the gap above is >= 2^-50 relative,
// wider than double's half ulp 2^-54, so no random pair can show the
// difference), but sums of terms whose exponents differ by more than 53 can:
// the test case "round to odd matters" holds such sums.

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>
#include <mpfr.h>

#include "gradlab/nn/arithmetic.hpp"
#include "gradlab/scalar/conversions.hpp"

using namespace gradlab;
using namespace gradlab::nn;

namespace {

constexpr mpfr_prec_t value_bits = 256;       // holds every input and output exactly
constexpr mpfr_prec_t sum_bits = 34000;       // exact sums: binary128 spans < 2 * 16494 + 113 bits
constexpr mpfr_prec_t quotient_bits = 1024;   // see the top of the file
constexpr mpfr_prec_t mp_output_bits = 100;   // mp results go to elements of this precision

struct big {
    mpfr_t v;
    explicit big(mpfr_prec_t bits = value_bits) { mpfr_init2(v, bits); }
    big(const big& other) {
        mpfr_init2(v, mpfr_get_prec(other.v));
        mpfr_set(v, other.v, MPFR_RNDN);
    }
    big& operator=(const big&) = delete;
    ~big() { mpfr_clear(v); }
    operator mpfr_ptr() { return v; }
    operator mpfr_srcptr() const { return v; }
};

big of(double d) {
    big b;
    mpfr_set_d(b, d, MPFR_RNDN);
    return b;
}

std::string text(mpfr_srcptr x) {
    char* s = nullptr;
    mpfr_asprintf(&s, "%Ra", x);
    std::string t(s);
    mpfr_free_str(s);
    return t;
}

template <class T>
big as_mpfr(const storage_t<T>& v) {
    big b;
    arithmetic<T>::to_mpfr(v, b);
    return b;
}

// x rounded once to T's precision in `mode` (mp: to nearest at mp_bits).
template <class T>
big expected(const arithmetic<T>& a, mpfr_srcptr x, rounding_mode mode, mpfr_prec_t mp_bits) {
    big r(std::is_same_v<T, mp_float> ? mp_bits : value_bits);
    if constexpr (std::is_same_v<T, emulated_float>)
        mpfr_set_d(r, round_to_format(x, *a.spec().format, mode), MPFR_RNDN);
    else if constexpr (std::is_same_v<T, float>)
        mpfr_set_flt(r, to_fp32(x, mode), MPFR_RNDN);
    else if constexpr (std::is_same_v<T, double>)
        mpfr_set_d(r, to_fp64(x, mode), MPFR_RNDN);
    else if constexpr (std::is_same_v<T, float128>)
        arithmetic<T>::to_mpfr(to_f128(x, mode), r);
    else
        mpfr_set(r, x, MPFR_RNDN);
    return r;
}

// Bitwise equality of values: both NaN, or equal with equal signs.
bool same(mpfr_srcptr got, mpfr_srcptr want) {
    if (mpfr_nan_p(got) || mpfr_nan_p(want)) return mpfr_nan_p(got) && mpfr_nan_p(want);
    return mpfr_equal_p(got, want) && mpfr_signbit(got) == mpfr_signbit(want);
}

// The largest finite value, the smallest subnormal and normal of T's precision.
template <class T>
void range_of(const arithmetic<T>& a, big& max, big& min_subnormal, big& min_normal) {
    if constexpr (std::is_same_v<T, float128>) {
        mpfr_set_prec(max, 113);
        mpfr_set_ui_2exp(max, 1, 16384, MPFR_RNDN);
        mpfr_nextbelow(max);
        mpfr_set_ui_2exp(min_subnormal, 1, -16494, MPFR_RNDN);
        mpfr_set_ui_2exp(min_normal, 1, -16382, MPFR_RNDN);
    } else if constexpr (std::is_same_v<T, mp_float>) {  // no edges of range here: MPFR's are ~2^±2^62
        mpfr_set_ui_2exp(max, 1, 1000, MPFR_RNDN);
        mpfr_set_ui_2exp(min_subnormal, 1, -1000, MPFR_RNDN);
        mpfr_set_ui_2exp(min_normal, 3, -900, MPFR_RNDN);
    } else {
        const float_format& f = *a.spec().format;
        mpfr_set_d(max, f.max_finite(), MPFR_RNDN);
        mpfr_set_d(min_subnormal, f.min_subnormal(), MPFR_RNDN);
        mpfr_set_d(min_normal, f.min_normal(), MPFR_RNDN);
    }
}

// Edge values: ±0, ±1, ±3, the extremes of the range, NaN, ±Inf (where the
// format has them). Paired with one another they overflow and underflow.
template <class T>
std::vector<big> edge_values(const arithmetic<T>& a) {
    big max, min_subnormal, min_normal;
    range_of(a, max, min_subnormal, min_normal);
    std::vector<big> e{of(0.0), of(-0.0), of(1.0), of(-1.0), of(3.0), of(-3.0), max, min_subnormal, min_normal,
                       of(std::nan(""))};
    for (const mpfr_srcptr v : {static_cast<mpfr_srcptr>(max), static_cast<mpfr_srcptr>(min_subnormal),
                                static_cast<mpfr_srcptr>(min_normal)}) {
        e.emplace_back();
        mpfr_neg(e.back(), v, MPFR_RNDN);
    }
    if (!a.spec().format || a.spec().format->has_infinity) {
        e.push_back(of(INFINITY));
        e.push_back(of(-INFINITY));
    }
    return e;
}

// A random value of T's precision. Emulated: a random encoding (NaN and ±Inf
// included), or near `near` (its encoding with random low bits) so that sums
// cancel; others: a random significand of the precision's bits, mostly near 1.
template <class T>
big random_value(const arithmetic<T>& a, std::mt19937_64& gen, gmp_randstate_t state, const big* near) {
    big r;
    if constexpr (std::is_same_v<T, emulated_float>) {
        const float_format& f = *a.spec().format;
        const std::uint64_t mask = (std::uint64_t{1} << f.total_bits()) - 1;
        std::uint64_t bits = gen() & mask;
        if (near && !mpfr_nan_p(*near) && !mpfr_inf_p(*near))
            bits = f.encode(mpfr_get_d(*near, MPFR_RNDN)) ^ (gen() & 0x3f);
        mpfr_set_d(r, f.decode(bits), MPFR_RNDN);
    } else {
        const int p = a.significand_bits();
        big u(p - 1);
        mpfr_urandomb(u, state);
        mpfr_add_ui(r, u, 1, MPFR_RNDN);  // [1, 2), p bits: exact
        const long wide = std::is_same_v<T, float> ? 150 : std::is_same_v<T, double> ? 1075 : 16495;
        const long span = gen() % 5 == 0 ? wide : 8;
        mpfr_mul_2si(r, r, static_cast<long>(gen() % (2 * span + 1)) - span, MPFR_RNDN);
        if (gen() & 1) mpfr_neg(r, r, MPFR_RNDN);
        const big value = expected(a, r, rounding_mode::nearest_even, value_bits);  // a value of the precision
        mpfr_set(r, value, MPFR_RNDN);
    }
    return r;
}

// Pairs (x[i], y[i]): every pair of edge values, then `n` random pairs.
template <class T>
void test_pairs(const arithmetic<T>& a, std::size_t n, std::uint64_t seed, std::vector<big>& x,
                std::vector<big>& y) {
    const auto edges = edge_values(a);
    for (const big& u : edges)
        for (const big& v : edges) {
            x.push_back(u);
            y.push_back(v);
        }
    std::mt19937_64 gen(seed);
    gmp_randstate_t state;
    gmp_randinit_default(state);
    gmp_randseed_ui(state, static_cast<unsigned long>(seed));
    for (std::size_t i = 0; i < n; ++i) {
        x.push_back(random_value(a, gen, state, nullptr));
        y.push_back(random_value(a, gen, state, gen() % 2 ? &x.back() : nullptr));
    }
    gmp_randclear(state);
}

template <class T>
matrix<storage_t<T>> output_of(const arithmetic<T>& a, std::size_t rows, std::size_t cols) {
    if constexpr (std::is_same_v<T, mp_float>)
        return matrix<mp_float>(rows, cols, element_precision{static_cast<unsigned>(mp_output_bits)});
    else
        return a.matrix_of(rows, cols);
}

enum class op { subtract, add_scalar, divide, square_root, select_scaled, sign, clamp };
constexpr op all_ops[] = {op::subtract,      op::add_scalar, op::divide, op::square_root,
                          op::select_scaled, op::sign,       op::clamp};

const char* op_name(op o) {
    switch (o) {
        case op::subtract: return "subtract";
        case op::add_scalar: return "add_scalar";
        case op::divide: return "divide";
        case op::square_root: return "square_root";
        case op::select_scaled: return "select_scaled";
        case op::sign: return "sign";
        case op::clamp: return "clamp";
    }
    return "?";
}

// The exact (or, for quotients and roots, 1024-bit) result of o on element i:
// subtract x - y; add_scalar x + c with c = y; divide x / y; square_root
// sqrt(x); select_scaled y > 0 ? x : a x with a = x[i + 1]; sign(x);
// clamp(x, -1, 3). `zero` rounds only the sign of an exact zero sum, which
// IEEE 754 makes -0 when rounding downward.
void reference(op o, mpfr_srcptr x, mpfr_srcptr y, mpfr_srcptr a, mpfr_ptr r, mpfr_rnd_t zero) {
    switch (o) {
        case op::subtract: mpfr_set_prec(r, sum_bits); mpfr_sub(r, x, y, zero); return;
        case op::add_scalar: mpfr_set_prec(r, sum_bits); mpfr_add(r, x, y, zero); return;
        default: mpfr_set_prec(r, quotient_bits); break;
    }
    switch (o) {
        case op::divide: mpfr_div(r, x, y, MPFR_RNDN); return;
        case op::square_root: mpfr_sqrt(r, x, MPFR_RNDN); return;
        case op::select_scaled:
            if (!mpfr_nan_p(y) && mpfr_sgn(y) > 0) mpfr_set(r, x, MPFR_RNDN);
            else mpfr_mul(r, a, x, MPFR_RNDN);
            return;
        case op::sign:
            if (mpfr_nan_p(x) || mpfr_zero_p(x)) mpfr_set(r, x, MPFR_RNDN);  // ±0 and NaN stay
            else mpfr_set_si(r, mpfr_sgn(x), MPFR_RNDN);
            return;
        case op::clamp:
            if (!mpfr_nan_p(x) && mpfr_cmp_si(x, -1) < 0) mpfr_set_si(r, -1, MPFR_RNDN);
            else if (!mpfr_nan_p(x) && mpfr_cmp_si(x, 3) > 0) mpfr_set_si(r, 3, MPFR_RNDN);
            else mpfr_set(r, x, MPFR_RNDN);
            return;
        default: return;
    }
}

template <class T>
void apply(arithmetic<T>& a, op o, std::span<const storage_t<T>> x, std::span<const storage_t<T>> y,
           std::span<storage_t<T>> out) {
    const std::size_t n = x.size();
    const auto lo = a.number("-1"), hi = a.number("3");
    switch (o) {
        case op::subtract: a.subtract(x, y, out); return;
        case op::divide: a.divide(x, y, out); return;
        case op::square_root: a.square_root(x, out); return;
        case op::sign: a.sign(x, out); return;
        case op::clamp: a.clamp(x, lo, hi, out); return;
        case op::add_scalar:
            for (std::size_t i = 0; i < n; ++i) a.add_scalar(x.subspan(i, 1), y[i], out.subspan(i, 1));
            return;
        case op::select_scaled:
            for (std::size_t i = 0; i < n; ++i)
                a.select_scaled(y.subspan(i, 1), x.subspan(i, 1), x[(i + 1) % n], out.subspan(i, 1));
            return;
    }
}

// Counts the elements of `got` that differ from `want` (or, mp, lack the
// output's precision), reporting the first few.
template <class T>
std::size_t mismatches(const std::string& what, std::span<const storage_t<T>> got, const std::vector<big>& want,
                       const std::vector<std::string>& inputs) {
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < got.size(); ++i) {
        bool ok = same(as_mpfr<T>(got[i]), want[i]);
        if constexpr (std::is_same_v<T, mp_float>) ok = ok && mpfr_get_prec(got[i].backend().data()) == mp_output_bits;
        if (!ok && wrong++ < 3)
            FAIL_CHECK(what << " on " << inputs[i] << " gave " << text(as_mpfr<T>(got[i])) << ", expected "
                            << text(want[i]));
    }
    return wrong;
}

template <class T>
void check_operations(const std::string& name, std::size_t random_pairs) {
    arithmetic<T> a(parse_precision(name));
    const rounding_mode mode = a.spec().rounding;
    std::vector<big> xs, ys;
    test_pairs(a, random_pairs, 7, xs, ys);
    const std::size_t n = xs.size();
    auto x = a.matrix_of(1, n), y = a.matrix_of(1, n);
    for (std::size_t i = 0; i < n; ++i) {
        a.assign(x(0, i), xs[i]);  // exact: the values are of the precision
        a.assign(y(0, i), ys[i]);
    }
    std::vector<std::string> inputs;
    for (std::size_t i = 0; i < n; ++i) {
        std::string pair = "(";  // appended, not `+`: GCC 12 warns (-Wrestrict) on the chain
        pair += text(as_mpfr<T>(x(0, i)));
        pair += ", ";
        pair += text(as_mpfr<T>(y(0, i)));
        inputs.push_back(pair + ")");
    }

    std::size_t wrong = 0;
    big r(sum_bits);
    for (op o : all_ops) {
        auto out = output_of(a, 1, n);
        apply<T>(a, o, x.elements(), y.elements(), out.elements());
        std::vector<big> want;
        for (std::size_t i = 0; i < n; ++i) {
            reference(o, as_mpfr<T>(x(0, i)), as_mpfr<T>(y(0, i)), as_mpfr<T>(x(0, (i + 1) % n)), r,
                      mode == rounding_mode::downward ? MPFR_RNDD : MPFR_RNDN);
            want.push_back(expected(a, r, mode, mp_output_bits));
        }
        wrong += mismatches<T>(name + " " + op_name(o), out.elements(), want, inputs);
    }

    // row_max over rows of three consecutive x values (NaN rows included).
    const std::size_t rows = n / 3;
    auto m = a.matrix_of(rows, 3);
    auto maxima = output_of(a, 1, rows);
    std::vector<big> want;
    std::vector<std::string> row_inputs;
    for (std::size_t i = 0; i < rows; ++i) {
        std::size_t best = 3 * i;
        for (std::size_t j = 0; j < 3; ++j) {
            a.assign(m(i, j), xs[3 * i + j]);
            if (!mpfr_nan_p(xs[best]) && (mpfr_nan_p(xs[3 * i + j]) || mpfr_greater_p(xs[3 * i + j], xs[best])))
                best = 3 * i + j;
        }
        want.push_back(expected(a, xs[best], mode, mp_output_bits));
        std::string row = inputs[3 * i];  // appended, not `+`: GCC 12 warns (-Wrestrict) on the chain
        row += inputs[3 * i + 1];
        row += inputs[3 * i + 2];
        row_inputs.push_back(row + " (first of each)");
    }
    a.row_max(std::as_const(m).view(), maxima.elements());
    wrong += mismatches<T>(name + " row_max", maxima.elements(), want, row_inputs);

    // from_fp32 on random binary32 encodings and float's edges.
    std::mt19937 gen(11);
    std::vector<float> floats{0.0f, -0.0f, 1e-45f, -1e-45f, 3.4028235e38f, 65504.0f, 65520.0f, INFINITY, NAN};
    while (floats.size() < 2000) floats.push_back(std::bit_cast<float>(static_cast<std::uint32_t>(gen())));
    if (a.spec().format && !a.spec().format->has_infinity) std::erase_if(floats, [](float f) { return std::isinf(f); });
    auto converted = output_of(a, 1, floats.size());
    a.from_fp32(floats, converted.elements());
    want.clear();
    std::vector<std::string> float_inputs;
    for (float f : floats) {
        big v;
        mpfr_set_flt(v, f, MPFR_RNDN);
        want.push_back(expected(a, v, mode, mp_output_bits));
        float_inputs.push_back(text(v));
    }
    wrong += mismatches<T>(name + " from_fp32", converted.elements(), want, float_inputs);
    INFO(name << ": " << n << " pairs");
    CHECK(wrong == 0);
}

template <class T>
void check_constants(const std::string& name) {
    arithmetic<T> a(parse_precision(name));
    big tenth(quotient_bits), third(quotient_bits);  // neither is a binary value or midpoint
    mpfr_set_str(tenth, "0.1", 10, MPFR_RNDN);
    mpfr_set_ui(third, 1, MPFR_RNDN);
    mpfr_div_ui(third, third, 3, MPFR_RNDN);
    const mpfr_prec_t bits = a.significand_bits();
    INFO(name);
    CHECK(same(as_mpfr<T>(a.number("0.1")), expected(a, tenth, rounding_mode::nearest_even, bits)));
    CHECK(same(as_mpfr<T>(a.ratio(1, 3)), expected(a, third, rounding_mode::nearest_even, bits)));
    mpfr_neg(third, third, MPFR_RNDN);
    CHECK(same(as_mpfr<T>(a.ratio(-1, 3)), expected(a, third, rounding_mode::nearest_even, bits)));
    if constexpr (std::is_same_v<T, mp_float>) CHECK(mpfr_get_prec(a.number("0.1").backend().data()) == bits);
    CHECK_THROWS_AS(a.number("nonsense"), std::invalid_argument);
    CHECK_THROWS_WITH(a.number("nonsense"), Catch::Contains("nonsense"));
}

const char* const emulated_bases[] = {"fp16", "bf16", "fp8e4m3", "fp8e5m2", "custom:p=24,emax=127"};

}  // namespace

TEST_CASE("emulated formats: every operation is the exact result rounded once, in every mode", "[arithmetic]") {
    for (const char* base : emulated_bases)
        for (const char* mode : {"/rn", "/rz", "/ru", "/rd"}) check_operations<emulated_float>(std::string(base) + mode, 3000);
}

TEST_CASE("fp32, fp64, f128 and mp: every operation is the exact result rounded to nearest", "[arithmetic]") {
    check_operations<float>("fp32", 2000);
    check_operations<double>("fp64", 2000);
    check_operations<float128>("f128", 1000);
    check_operations<mp_float>("mp256", 500);  // outputs of 100 bits: each result takes its output's precision
}

TEST_CASE("emulated formats: round to odd matters for sums of far-apart terms", "[arithmetic]") {
    // 1 - 2^-100 and 1 + 2^-100 round to 1 in a to-nearest double; the
    // directed modes must still see which side of 1 they lie on.
    const auto one_op = [](const char* name, bool subtract) {
        arithmetic<emulated_float> a(parse_precision(name));
        const float one = 1.0f, tiny = std::ldexp(1.0f, -100);
        float out = 0;
        if (subtract) a.subtract(std::span(&one, 1), std::span(&tiny, 1), std::span(&out, 1));
        else a.add_scalar(std::span(&one, 1), tiny, std::span(&out, 1));
        return out;
    };
    CHECK(one_op("bf16/rz", true) == 1.0f - std::ldexp(1.0f, -8));
    CHECK(one_op("bf16/rd", true) == 1.0f - std::ldexp(1.0f, -8));
    CHECK(one_op("bf16/ru", false) == 1.0f + std::ldexp(1.0f, -7));
    CHECK(one_op("bf16/rn", false) == 1.0f);
    CHECK(one_op("custom:p=24,emax=127/rz", true) == 1.0f - std::ldexp(1.0f, -24));
    CHECK(one_op("custom:p=24,emax=127/ru", false) == 1.0f + std::ldexp(1.0f, -23));
}

TEST_CASE("number and ratio round once to nearest; a non-number is an error naming it", "[arithmetic]") {
    check_constants<float>("fp32");
    check_constants<double>("fp64");
    check_constants<float128>("f128");
    check_constants<mp_float>("mp256");
    for (const char* name : {"fp16/rz", "fp16/ru", "bf16/rd", "fp8e4m3", "custom:p=24,emax=127/rz"})
        check_constants<emulated_float>(name);
}

TEST_CASE("stochastic rounding: reproducible for a seed, each result a neighbour of the exact value",
          "[arithmetic]") {
    arithmetic<emulated_float> probe(parse_precision("bf16/sr"));
    std::vector<big> xs, ys;
    test_pairs(probe, 2000, 5, xs, ys);
    std::vector<float> x, y;
    for (std::size_t i = 0; i < xs.size(); ++i) {
        x.push_back(mpfr_get_flt(xs[i], MPFR_RNDN));
        y.push_back(mpfr_get_flt(ys[i], MPFR_RNDN));
    }
    const op sequence[] = {op::divide, op::subtract, op::square_root, op::divide};
    // The results of `sequence`, one call after another on one object.
    const auto run = [&](std::uint64_t seed) {
        arithmetic<emulated_float> a(parse_precision("bf16/sr"), seed);
        std::vector<std::vector<float>> results;
        for (op o : sequence) {
            results.emplace_back(x.size());
            if (o == op::divide) a.divide(x, y, results.back());
            else if (o == op::subtract) a.subtract(x, y, results.back());
            else a.square_root(x, results.back());
        }
        return results;
    };
    const auto first = run(1), again = run(1), other = run(2);
    std::size_t irreproducible = 0, differing = 0, outside = 0;
    big r(sum_bits);
    for (std::size_t k = 0; k < std::size(sequence); ++k)
        for (std::size_t i = 0; i < x.size(); ++i) {
            irreproducible += std::bit_cast<std::uint32_t>(first[k][i]) != std::bit_cast<std::uint32_t>(again[k][i]);
            differing += std::bit_cast<std::uint32_t>(first[k][i]) != std::bit_cast<std::uint32_t>(other[k][i]);
            reference(sequence[k], xs[i], ys[i], xs[i], r, MPFR_RNDN);
            const big got = of(first[k][i]);
            const bool down = same(got, expected(probe, r, rounding_mode::downward, 0));
            const bool up = same(got, expected(probe, r, rounding_mode::upward, 0));
            if (!down && !up && outside++ < 3)
                FAIL_CHECK(op_name(sequence[k]) << " on (" << text(xs[i]) << ", " << text(ys[i]) << ") gave "
                                                << text(got));
        }
    CHECK(irreproducible == 0);
    CHECK(differing > 0);
    CHECK(outside == 0);
}

TEMPLATE_TEST_CASE("all_finite finds a NaN or an Inf at any position and length", "[arithmetic]", float, double) {
    // The native path sums x * 0 over 32 lanes: every position of a lane and
    // of the tail must count, for every kind of non-finite value.
    arithmetic<TestType> a(parse_precision(std::is_same_v<TestType, float> ? "fp32" : "fp64"));
    const TestType specials[] = {std::numeric_limits<TestType>::quiet_NaN(), std::numeric_limits<TestType>::infinity(),
                                 -std::numeric_limits<TestType>::infinity()};
    for (std::size_t n = 0; n <= 70; ++n) {
        std::vector<TestType> x(n);
        for (std::size_t i = 0; i < n; ++i)
            x[i] = i % 3 == 0 ? std::numeric_limits<TestType>::max() : std::numeric_limits<TestType>::denorm_min();
        CHECK(a.all_finite(x));
        for (std::size_t at = 0; at < n; ++at)
            for (const TestType s : specials) {
                const TestType kept = x[at];
                x[at] = s;
                CHECK_FALSE(a.all_finite(x));
                x[at] = kept;
            }
    }
}
