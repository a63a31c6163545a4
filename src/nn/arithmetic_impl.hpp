#pragma once
// Definitions of arithmetic<T> (include/gradlab/nn/arithmetic.hpp), included
// only by the per-family instantiation files (engine_<family>.cpp).

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include <boost/multiprecision/float128.hpp>
#include <mpfr.h>

#include "gradlab/kernels/elementwise.hpp"
#include "gradlab/kernels/reduce.hpp"
#include "gradlab/nn/arithmetic.hpp"
#include "gradlab/scalar/conversions.hpp"
#include "gradlab/scalar/round_array.hpp"
#include "gradlab/scalar/round_to_format.hpp"
#include "../kernels/mpfr_variables.hpp"
#include "../kernels/round_to_odd.hpp"

namespace gradlab::nn {

namespace arithmetic_detail {

inline mpfr_srcptr in(const mp_float& x) { return x.backend().data(); }
inline mpfr_ptr out(mp_float& x) { return x.backend().data(); }

// v, as an expression that depends on i: inside map()'s `auto` lambdas a
// scalar operand passed through it is checked only for the family that
// calls the lambda.
template <class V, class I>
const V& per_element(const V& v, I) {
    return v;
}

inline void require_same_size(const char* function, std::size_t a, std::size_t b) {
    if (a != b)
        throw std::invalid_argument(std::string("arithmetic::") + function + ": spans of " + std::to_string(a) +
                                    " and " + std::to_string(b) + " elements");
}

// mp elementwise loops cost some 100 ns per element: threads pay off from a
// few hundred. Each element is computed alone, so results do not depend on
// the thread count.
constexpr std::ptrdiff_t mp_min_elements_for_threads = 512;

template <class Op>
void for_each_mp(std::size_t n, Op op) {
    const auto count = static_cast<std::ptrdiff_t>(n);
#pragma omp parallel for schedule(static) if (count >= mp_min_elements_for_threads)
    for (std::ptrdiff_t i = 0; i < count; ++i) op(static_cast<std::size_t>(i));
}

// r, computed toward zero with ternary value `ternary`, made round-to-odd:
// an inexact result whose last bit is 0 moves one ulp away from zero. Rounding
// that once more to at most prec(r) - 2 bits is then correct (Boldo and
// Melquiond 2005).
inline void make_odd(mpfr_ptr r, int ternary) {
    if (ternary == 0 || !mpfr_regular_p(r) || mpfr_min_prec(r) == mpfr_get_prec(r)) return;
    if (mpfr_sgn(r) > 0) mpfr_nextabove(r);
    else mpfr_nextbelow(r);
}

// q = x / y or q = sqrt(x) rounded to nearest in double, made round-to-odd
// from the exact remainder (an FMA), so one more rounding to p <= 51 bits is
// correct in every mode. Inputs are floats: the remainder is exact.
inline double odd_from_remainder(double q, double remainder, bool true_value_above) {
    if (remainder == 0 || !std::isfinite(q) || (std::bit_cast<std::uint64_t>(q) & 1)) return q;
    return std::nextafter(q, true_value_above ? std::numeric_limits<double>::infinity()
                                              : -std::numeric_limits<double>::infinity());
}

inline double divide_to_odd(double x, double y) {
    const double q = x / y;
    if (q == 0 || !std::isfinite(q)) return q;
    const double r = std::fma(-q, y, x);  // x - q y, exact
    return odd_from_remainder(q, r, (r > 0) == (y > 0));
}

inline double square_root_to_odd(double x) {
    const double q = std::sqrt(x);
    if (q == 0 || !std::isfinite(q)) return q;
    return odd_from_remainder(q, std::fma(-q, q, x), std::fma(-q, q, x) > 0);
}

// libquadmath's sqrtq can be one ulp off; MPFR's square root at binary128's
// 113 bits is correctly rounded, and the square root of a binary128 is never
// subnormal, so converting back rounds nothing. ±0, +Inf and NaN map as IEEE
// says (sqrt(-0) = -0).
inline float128 square_root_correctly_rounded(const float128& x) {
    thread_local kernels_detail::mpfr_variables scratch;
    const mpfr_ptr r = scratch.with_precision(1, std::numeric_limits<float128>::digits).data();
    set_exactly(r, x);
    mpfr_sqrt(r, r, MPFR_RNDN);
    return float128(mpfr_get_float128(r, MPFR_RNDN));
}

}  // namespace arithmetic_detail

template <scalar_type T>
arithmetic<T>::arithmetic(const precision& spec, std::uint64_t seed, isa level)
    : spec_(spec), format_(binary64()), seed_(seed), level_(level) {
    if (spec.family != scalar_traits<T>::family)
        throw std::invalid_argument("arithmetic: " + spec.name() + " is not of the family of " +
                                    std::string(scalar_traits<T>::name(runtime_precision_t<T>{})));
    if constexpr (scalar_traits<T>::simd) {
        require_supported_isa(level, "gradlab::nn::arithmetic");
        format_ = *spec.format;
    }
    if constexpr (scalar_traits<T>::emulated)
        if (!format_.fits_in_float())
            throw std::invalid_argument("arithmetic: " + spec.name() + " has values that are not floats");
}

template <scalar_type T>
std::optional<sr_stream> arithmetic<T>::next_stream() {
    if (spec_.rounding != rounding_mode::stochastic) return std::nullopt;
    return sr_stream{seed_ ^ (++calls_ * 0xd1b54a32d192ed03ULL), 0};
}

// ---- values ----

template <scalar_type T>
matrix<typename arithmetic<T>::value> arithmetic<T>::matrix_of(std::size_t rows, std::size_t cols) const {
    if constexpr (std::is_same_v<T, mp_float>)
        return matrix<value>(rows, cols, element_precision{spec_.mp_bits});
    else
        return matrix<value>(rows, cols);
}

template <scalar_type T>
typename arithmetic<T>::value arithmetic<T>::zero() const {
    if constexpr (std::is_same_v<T, mp_float>) {
        mp_float z;
        mpfr_set_prec(arithmetic_detail::out(z), spec_.mp_bits);
        mpfr_set_zero(arithmetic_detail::out(z), 1);
        return z;
    } else {
        return value(0);
    }
}

template <scalar_type T>
typename arithmetic<T>::value arithmetic<T>::number(mpfr_srcptr x) const {
    value v = zero();
    assign(v, x);
    return v;
}

template <scalar_type T>
void arithmetic<T>::assign(value& to, mpfr_srcptr x) const {
    if constexpr (std::is_same_v<T, float>)
        to = to_fp32(x);
    else if constexpr (std::is_same_v<T, double>)
        to = to_fp64(x);
    else if constexpr (std::is_same_v<T, float128>)
        to = to_f128(x);
    else if constexpr (std::is_same_v<T, mp_float>)
        mpfr_set(arithmetic_detail::out(to), x, MPFR_RNDN);
    else
        to = static_cast<float>(round_to_format(x, format_, rounding_mode::nearest_even));
}

template <scalar_type T>
typename arithmetic<T>::value arithmetic<T>::number(std::string_view decimal) const {
    // Read to odd at p + 2 bits, then rounded once more: correctly rounded.
    mpfr_t x;
    mpfr_init2(x, significand_bits() + 2);
    const bool ok = parse_number(decimal, x);
    value v = zero();
    if (ok) assign(v, x);
    mpfr_clear(x);
    if (!ok) throw std::invalid_argument("'" + std::string(decimal) + "' is not a number");
    return v;
}

template <scalar_type T>
typename arithmetic<T>::value arithmetic<T>::ratio(long numerator, long denominator) const {
    mpfr_t n, q;
    mpfr_init2(n, 64);
    mpfr_init2(q, significand_bits() + 2);
    mpfr_set_si(n, numerator, MPFR_RNDN);  // exact
    arithmetic_detail::make_odd(q, mpfr_div_si(q, n, denominator, MPFR_RNDZ));
    value v = number(q);
    mpfr_clear(n);
    mpfr_clear(q);
    return v;
}

template <scalar_type T>
void arithmetic<T>::to_mpfr(const value& x, mpfr_ptr out) {
    if constexpr (std::is_same_v<value, float>)
        mpfr_set_flt(out, x, MPFR_RNDN);
    else if constexpr (std::is_same_v<value, double>)
        mpfr_set_d(out, x, MPFR_RNDN);
    else if constexpr (std::is_same_v<value, float128>)
        set_exactly(out, x);
    else
        mpfr_set(out, arithmetic_detail::in(x), MPFR_RNDN);
}

template <scalar_type T>
double arithmetic<T>::to_double(const value& x) {
    if constexpr (std::is_same_v<value, mp_float>)
        return mpfr_get_d(arithmetic_detail::in(x), MPFR_RNDN);
    else
        return static_cast<double>(x);
}

template <scalar_type T>
bool arithmetic<T>::is_finite(const value& x) {
    if constexpr (std::is_same_v<value, mp_float>)
        return mpfr_number_p(arithmetic_detail::in(x)) != 0;
    else if constexpr (std::is_same_v<value, float128>)
        return boost::multiprecision::isfinite(x);
    else
        return std::isfinite(x);
}

namespace arithmetic_detail {

// Whether every x_i is finite, for float and double: x_i * 0 is ±0 for a
// finite x_i and NaN for Inf or NaN, and a sum of zeros is zero, so the
// sums are all zero exactly when every element is finite. Independent
// lanes let the compiler vectorise without reassociating.
template <class F>
bool all_finite_native(std::span<const F> x) {
    constexpr std::size_t lanes = 32;
    F acc[lanes] = {};
    std::size_t i = 0;
    for (; i + lanes <= x.size(); i += lanes)
        for (std::size_t k = 0; k < lanes; ++k) acc[k] += x[i + k] * F(0);
    for (std::size_t k = 0; i < x.size(); ++i, ++k) acc[k] += x[i] * F(0);
    F total = 0;
    for (const F a : acc) total += a;
    return total == 0;
}

}  // namespace arithmetic_detail

template <scalar_type T>
bool arithmetic<T>::all_finite(std::span<const value> x) {
    if constexpr (std::is_same_v<value, float> || std::is_same_v<value, double>)
        return arithmetic_detail::all_finite_native(x);
    else
        return std::all_of(x.begin(), x.end(), [](const value& v) { return is_finite(v); });
}

// ---- kernels ----

template <scalar_type T>
void arithmetic<T>::gemm(gemm_layout layout, const value& alpha, matrix_view<const value> a,
                         matrix_view<const value> b, const value& beta, matrix_view<value> c) {
    if constexpr (scalar_traits<T>::emulated)
        gradlab::gemm(layout, alpha, a, b, beta, c, format_, spec_.rounding,
                      spec_.accumulate_fp32 ? gemm_accumulation::fp32 : gemm_accumulation::format, next_stream(),
                      level_);
    else if constexpr (scalar_traits<T>::simd)
        gradlab::gemm(layout, alpha, a, b, beta, c, level_);
    else
        gradlab::gemm(layout, alpha, a, b, beta, c);
}

// Calls the kernel `f` with the arguments of T's family appended.
#define GRADLAB_KERNEL_CALL(f, ...)                                                    \
    do {                                                                               \
        if constexpr (scalar_traits<T>::emulated)                                      \
            gradlab::f(__VA_ARGS__, format_, spec_.rounding, next_stream(), level_);   \
        else if constexpr (scalar_traits<T>::simd)                                     \
            gradlab::f(__VA_ARGS__, level_);                                           \
        else                                                                           \
            gradlab::f(__VA_ARGS__);                                                   \
    } while (false)

template <scalar_type T>
void arithmetic<T>::add(std::span<const value> x, std::span<const value> y, std::span<value> out) {
    GRADLAB_KERNEL_CALL(add, x, y, out);
}

template <scalar_type T>
void arithmetic<T>::scale(const value& a, std::span<const value> x, std::span<value> out) {
    GRADLAB_KERNEL_CALL(scale, a, x, out);
}

template <scalar_type T>
void arithmetic<T>::axpy(const value& a, std::span<const value> x, std::span<const value> y, std::span<value> out) {
    GRADLAB_KERNEL_CALL(axpy, a, x, y, out);
}

template <scalar_type T>
void arithmetic<T>::multiply(std::span<const value> x, std::span<const value> y, std::span<value> out) {
    GRADLAB_KERNEL_CALL(hadamard, x, y, out);
}

template <scalar_type T>
void arithmetic<T>::exponential(std::span<const value> x, std::span<value> out) {
    GRADLAB_KERNEL_CALL(exponential, x, out);
}

template <scalar_type T>
void arithmetic<T>::activation_forward(const activation& f, std::span<const value> x, std::span<value> y) {
    GRADLAB_KERNEL_CALL(activation_forward, f, x, y);
}

template <scalar_type T>
void arithmetic<T>::activation_derivative(const activation& f, std::span<const value> x, std::span<const value> y,
                                          std::span<value> d) {
    GRADLAB_KERNEL_CALL(activation_derivative, f, x, y, d);
}

#undef GRADLAB_KERNEL_CALL

template <scalar_type T>
void arithmetic<T>::sum(std::span<const value> x, value& out) {
    if constexpr (scalar_traits<T>::emulated)
        out = gradlab::sum(x, format_, spec_.rounding, next_stream());
    else if constexpr (std::is_same_v<T, mp_float>)
        gradlab::sum(x, out);
    else if constexpr (scalar_traits<T>::simd)
        out = gradlab::sum(x, level_);
    else
        out = gradlab::sum(x);
}

template <scalar_type T>
void arithmetic<T>::l2_norm(std::span<const value> x, value& out) {
    if constexpr (scalar_traits<T>::emulated) {
        const float norm = gradlab::l2_norm(x, level_);  // in fp32, as mixed-precision training does
        out = static_cast<float>(round_to_format(norm, format_, rounding_mode::nearest_even));
    } else if constexpr (std::is_same_v<T, mp_float>) {
        gradlab::l2_norm(x, out);
    } else if constexpr (scalar_traits<T>::simd) {
        out = gradlab::l2_norm(x, level_);
    } else {
        out = gradlab::l2_norm(x);
    }
}

// ---- elementwise operations of this file ----
//
// One scalar definition per family (map below): native types compute the
// IEEE result; mp calls MPFR at out's precision; emulated formats compute the
// exact result rounded to odd in double (or, for the logarithm, float's
// result) and round that once to the format in its mode.

template <scalar_type T>
template <class MpOp, class DoubleOp, class NativeOp>
void arithmetic<T>::map(std::span<value> o, MpOp mp_op, DoubleOp double_op, NativeOp native_op) {
    if constexpr (std::is_same_v<T, mp_float>) {
        arithmetic_detail::for_each_mp(o.size(), [&](std::size_t i) { mp_op(arithmetic_detail::out(o[i]), i); });
    } else if constexpr (scalar_traits<T>::emulated) {
        const auto sr = next_stream();
        for (std::size_t i = 0; i < o.size(); ++i)
            o[i] = static_cast<float>(round_to_format(double_op(i), format_, spec_.rounding, sr ? sr->bits(i) : 0));
    } else {
        for (std::size_t i = 0; i < o.size(); ++i) o[i] = native_op(i);
    }
}

// The operations' lambdas take `auto` so that each is compiled only for the
// family that calls it.

template <scalar_type T>
void arithmetic<T>::subtract(std::span<const value> x, std::span<const value> y, std::span<value> o) {
    using namespace arithmetic_detail;
    require_same_size("subtract", x.size(), y.size());
    require_same_size("subtract", x.size(), o.size());
    map(
        o, [&](auto r, auto i) { mpfr_sub(r, in(x[i]), in(y[i]), MPFR_RNDN); },
        [&](auto i) { return kernels_detail::add_round_to_odd(x[i], -static_cast<double>(y[i]), spec_.rounding); },
        [&](auto i) { return x[i] - y[i]; });
}

template <scalar_type T>
void arithmetic<T>::add_scalar(std::span<const value> x, const value& c, std::span<value> o) {
    using namespace arithmetic_detail;
    require_same_size("add_scalar", x.size(), o.size());
    map(
        o, [&](auto r, auto i) { mpfr_add(r, in(x[i]), in(per_element(c, i)), MPFR_RNDN); },
        [&](auto i) { return kernels_detail::add_round_to_odd(x[i], c, spec_.rounding); },
        [&](auto i) { return x[i] + c; });
}

template <scalar_type T>
void arithmetic<T>::divide(std::span<const value> x, std::span<const value> y, std::span<value> o) {
    using namespace arithmetic_detail;
    require_same_size("divide", x.size(), y.size());
    require_same_size("divide", x.size(), o.size());
    map(
        o, [&](auto r, auto i) { mpfr_div(r, in(x[i]), in(y[i]), MPFR_RNDN); },
        [&](auto i) { return divide_to_odd(x[i], y[i]); }, [&](auto i) { return x[i] / y[i]; });
}

template <scalar_type T>
void arithmetic<T>::square_root(std::span<const value> x, std::span<value> o) {
    using namespace arithmetic_detail;
    require_same_size("square_root", x.size(), o.size());
    map(
        o, [&](auto r, auto i) { mpfr_sqrt(r, in(x[i]), MPFR_RNDN); },
        [&](auto i) { return square_root_to_odd(x[i]); },
        [&](auto i) -> value {
            if constexpr (std::is_same_v<value, float128>) return square_root_correctly_rounded(x[i]);
            else return std::sqrt(x[i]);
        });
}

template <scalar_type T>
void arithmetic<T>::logarithm(std::span<const value> x, std::span<value> o) {
    using namespace arithmetic_detail;
    require_same_size("logarithm", x.size(), o.size());
    map(
        o, [&](auto r, auto i) { mpfr_log(r, in(x[i]), MPFR_RNDN); },
        [&](auto i) { return static_cast<double>(std::log(x[i])); },
        [&](auto i) {
            using std::log;
            return log(x[i]);
        });
}

template <scalar_type T>
void arithmetic<T>::copy(std::span<const value> x, std::span<value> o) {
    arithmetic_detail::require_same_size("copy", x.size(), o.size());
    if constexpr (std::is_same_v<T, mp_float>) {
        for (std::size_t i = 0; i < o.size(); ++i)
            mpfr_set(arithmetic_detail::out(o[i]), arithmetic_detail::in(x[i]), MPFR_RNDN);
    } else {
        std::copy(x.begin(), x.end(), o.begin());
    }
}

template <scalar_type T>
void arithmetic<T>::from_fp32(std::span<const float> x, std::span<value> o) {
    arithmetic_detail::require_same_size("from_fp32", x.size(), o.size());
    if constexpr (scalar_traits<T>::emulated) {
        round_array(x, o, format_, spec_.rounding, next_stream(), level_);
    } else if constexpr (std::is_same_v<T, mp_float>) {
        for (std::size_t i = 0; i < o.size(); ++i) mpfr_set_flt(arithmetic_detail::out(o[i]), x[i], MPFR_RNDN);
    } else {
        for (std::size_t i = 0; i < o.size(); ++i) o[i] = static_cast<value>(x[i]);
    }
}

template <scalar_type T>
void arithmetic<T>::fill(std::span<value> o, const value& c) {
    for (auto& v : o) detail::assign_value(v, c);
}

template <scalar_type T>
void arithmetic<T>::sign(std::span<const value> x, std::span<value> o) {
    using namespace arithmetic_detail;
    require_same_size("sign", x.size(), o.size());
    for (std::size_t i = 0; i < o.size(); ++i) {
        if constexpr (std::is_same_v<T, mp_float>) {
            if (mpfr_nan_p(in(x[i])) || mpfr_zero_p(in(x[i]))) mpfr_set(out(o[i]), in(x[i]), MPFR_RNDN);
            else mpfr_set_si(out(o[i]), mpfr_sgn(in(x[i])), MPFR_RNDN);
        } else {
            const value& v = x[i];
            o[i] = v > 0 ? value(1) : v < 0 ? value(-1) : v;  // ±0 and NaN stay
        }
    }
}

template <scalar_type T>
void arithmetic<T>::clamp(std::span<const value> x, const value& lo, const value& hi, std::span<value> o) {
    using namespace arithmetic_detail;
    require_same_size("clamp", x.size(), o.size());
    for (std::size_t i = 0; i < o.size(); ++i) {
        if constexpr (std::is_same_v<T, mp_float>) {
            mpfr_srcptr v = in(x[i]);
            if (mpfr_less_p(v, in(lo))) v = in(lo);
            else if (mpfr_greater_p(v, in(hi))) v = in(hi);
            mpfr_set(out(o[i]), v, MPFR_RNDN);
        } else {
            const value& v = x[i];
            o[i] = v < lo ? lo : v > hi ? hi : v;
        }
    }
}

template <scalar_type T>
void arithmetic<T>::select_scaled(std::span<const value> cond, std::span<const value> src, const value& a,
                                  std::span<value> o) {
    using namespace arithmetic_detail;
    require_same_size("select_scaled", cond.size(), src.size());
    require_same_size("select_scaled", cond.size(), o.size());
    map(
        o,
        [&](auto r, auto i) {
            if (mpfr_sgn(in(cond[i])) > 0 && !mpfr_nan_p(in(cond[i]))) mpfr_set(r, in(src[i]), MPFR_RNDN);
            else mpfr_mul(r, in(per_element(a, i)), in(src[i]), MPFR_RNDN);
        },
        // a product of two floats is exact in double
        [&](auto i) { return cond[i] > 0 ? static_cast<double>(src[i]) : static_cast<double>(a) * src[i]; },
        [&](auto i) { return cond[i] > 0 ? src[i] : value(a * src[i]); });
}

template <scalar_type T>
void arithmetic<T>::row_max(matrix_view<const value> x, std::span<value> o) {
    using namespace arithmetic_detail;
    require_same_size("row_max", x.rows(), o.size());
    for (std::size_t r = 0; r < x.rows(); ++r) {
        const auto row = x.row(r);
        if (row.empty()) continue;
        const value* best = &row[0];
        for (const value& v : row) {
            if (!(v == v)) {  // NaN
                best = &v;
                break;
            }
            if (v > *best) best = &v;
        }
        detail::assign_value(o[r], *best);
    }
}

}  // namespace gradlab::nn
