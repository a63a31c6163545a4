#pragma once
// Everything gradlab knows about a scalar type, in one place (after Eigen's
// NumTraits): its name in the precision grammar, its precision_family, the
// element type its arrays hold (storage), significand bits, exponent range,
// subnormals, whether it is emulated, whether it has a SIMD path; and,
// derived from those next to them, its unit roundoff and the default
// tolerance of a test. The concept scalar_type checks a specialisation;
// precision_types.hpp lists the types.
//
// Two precisions are chosen at run time, not by their type, so the family and
// the two flags are constants and every other fact is a static function of
// the type's runtime_precision:
//   float, double, float128   fixed_precision, an empty tag: call with no argument
//   mp_float                  mp_precision{bits}: each MPFR number carries its
//                             own (mp_precision::of(x) reads it)
//   emulated_float            the float_format: a format is data, not a type
//
// Exponents are float_format's: a value of binade e lies in [2^e, 2^(e+1)),
// the normal binades are emin..emax, 2^emin is the smallest normal value.
// std::numeric_limits and MPFR write values as m 2^e with m in [1/2, 1), so
// their min_exponent and mpfr_get_emin() are emin + 1.
//
// This header includes Boost's MPFR header (through conversions.hpp): SIMD
// per-ISA translation units must not include it. The bounds themselves
// (unit_roundoff, gamma) are in error_bounds.hpp, free of Boost and MPFR.

#include <concepts>
#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>

#include <mpfr.h>

#include "gradlab/scalar/conversions.hpp"
#include "gradlab/scalar/error_bounds.hpp"
#include "gradlab/scalar/float_format.hpp"
#include "gradlab/scalar/precision.hpp"

namespace gradlab {

// The runtime precision of a type that fixes its own.
struct fixed_precision {};

// The runtime precision of an MPFR number: its significand bits.
struct mp_precision {
    int bits;

    // The precision x carries.
    static mp_precision of(const mp_float& x) { return {static_cast<int>(mpfr_get_prec(x.backend().data()))}; }
};

// The emulated precisions: float storage holding values of a float_format
// given at run time. A tag; there are no emulated_float values.
struct emulated_float {};

template <class T>
struct scalar_traits;  // specialised for each type of precision_types.hpp

// What T's facts take as argument: fixed_precision, mp_precision or float_format.
template <class T>
using runtime_precision_t = typename scalar_traits<T>::runtime_precision;

namespace detail {

// An IEEE binary type: every fact from std::numeric_limits.
template <class T>
struct ieee_scalar_traits {
    using storage = T;
    using runtime_precision = fixed_precision;
    static constexpr bool emulated = false;

    static constexpr int significand_bits(fixed_precision = {}) { return std::numeric_limits<T>::digits; }
    static constexpr long emin(fixed_precision = {}) { return std::numeric_limits<T>::min_exponent - 1; }
    static constexpr long emax(fixed_precision = {}) { return std::numeric_limits<T>::max_exponent - 1; }
    static constexpr bool has_subnormals(fixed_precision = {}) {
        return std::numeric_limits<T>::has_denorm == std::denorm_present;
    }
};

}  // namespace detail

template <>
struct scalar_traits<float> : detail::ieee_scalar_traits<float> {
    static constexpr precision_family family = precision_family::fp32;
    static constexpr bool simd = true;
    static constexpr std::string_view name(fixed_precision = {}) { return "fp32"; }
};

template <>
struct scalar_traits<double> : detail::ieee_scalar_traits<double> {
    static constexpr precision_family family = precision_family::fp64;
    static constexpr bool simd = true;
    static constexpr std::string_view name(fixed_precision = {}) { return "fp64"; }
};

template <>
struct scalar_traits<float128> : detail::ieee_scalar_traits<float128> {
    static constexpr precision_family family = precision_family::f128;
    static constexpr bool simd = false;  // libquadmath, one value at a time
    static constexpr std::string_view name(fixed_precision = {}) { return "f128"; }
};

template <>
struct scalar_traits<mp_float> {
    using storage = mp_float;
    using runtime_precision = mp_precision;
    static constexpr precision_family family = precision_family::mp;
    static constexpr bool emulated = false;
    static constexpr bool simd = false;  // MPFR in place

    static std::string name(mp_precision p) { return "mp" + std::to_string(p.bits); }
    static constexpr int significand_bits(mp_precision p) { return p.bits; }
    // MPFR's exponent range, a global a program may narrow (gradlab does
    // not); by default 2^-(2^30) is the smallest value and emax is 2^30 - 2.
    static long emin(mp_precision) { return mpfr_get_emin() - 1; }
    static long emax(mp_precision) { return mpfr_get_emax() - 1; }
    static constexpr bool has_subnormals(mp_precision) { return false; }
};

template <>
struct scalar_traits<emulated_float> {
    using storage = float;
    using runtime_precision = float_format;
    static constexpr precision_family family = precision_family::emulated;
    static constexpr bool emulated = true;
    static constexpr bool simd = true;  // round_array and the elementwise kernels

    static std::string_view name(const float_format& f) { return f.name; }
    static int significand_bits(const float_format& f) { return f.precision; }
    static long emin(const float_format& f) { return f.emin; }
    static long emax(const float_format& f) { return f.emax; }
    static bool has_subnormals(const float_format& f) { return f.subnormals; }
};

// A specialisation that says all the above: the family and the two flags as
// constants, the rest as functions of the runtime precision.
template <class T>
concept scalar_type = requires(const runtime_precision_t<T>& p) {
    typename scalar_traits<T>::storage;
    typename std::integral_constant<precision_family, scalar_traits<T>::family>;
    typename std::bool_constant<scalar_traits<T>::emulated>;
    typename std::bool_constant<scalar_traits<T>::simd>;
    { scalar_traits<T>::name(p) } -> std::convertible_to<std::string_view>;
    { scalar_traits<T>::significand_bits(p) } -> std::same_as<int>;
    { scalar_traits<T>::emin(p) } -> std::same_as<long>;
    { scalar_traits<T>::emax(p) } -> std::same_as<long>;
    { scalar_traits<T>::has_subnormals(p) } -> std::same_as<bool>;
};

// A scalar type whose facts need no argument.
template <class T>
concept fixed_precision_scalar = scalar_type<T> && std::same_as<runtime_precision_t<T>, fixed_precision>;

// u = 2^-p, the relative error bound of rounding to nearest (0 for mp beyond
// 1074 bits, below double's range).
template <scalar_type T>
double unit_roundoff(const runtime_precision_t<T>& p) {
    return unit_roundoff(scalar_traits<T>::significand_bits(p));
}
template <fixed_precision_scalar T>
double unit_roundoff() {
    return unit_roundoff<T>(fixed_precision{});
}

// How many roundings deep an expression may be for default_tolerance to hold.
inline constexpr std::size_t default_tolerance_operations = 4;

// The relative tolerance for a test of a short expression (at most
// default_tolerance_operations roundings to nearest on any path) against an
// exact or high-precision reference: gamma_4 = 4u / (1 - 4u). A longer
// computation derives its own from gamma() and its depth, as the reductions
// do (kernels/reduce_blocking.hpp).
template <scalar_type T>
double default_tolerance(const runtime_precision_t<T>& p) {
    return gamma(default_tolerance_operations, unit_roundoff<T>(p));
}
template <fixed_precision_scalar T>
double default_tolerance() {
    return default_tolerance<T>(fixed_precision{});
}

}  // namespace gradlab
