#pragma once
// Conversions between the precisions, each rounded once, directly: a wide
// source is never rounded to an intermediate type first. Plus reading decimal
// text, printing with the fewest digits that read back to the same value, and
// ULP distances in a format.

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/multiprecision/float128.hpp>
#include <boost/multiprecision/mpfr.hpp>

#include "gradlab/scalar/float_format.hpp"
#include "gradlab/scalar/round_to_format.hpp"
#include "gradlab/scalar/rounding_mode.hpp"

namespace gradlab {

using float128 = boost::multiprecision::float128;
using mp_float = boost::multiprecision::mpfr_float;  // precision chosen at run time

// x rounded once to binary32, binary64 or binary128. Stochastic rounding is
// for emulated formats (round_to_format) and is rejected here.
float to_fp32(mpfr_srcptr x, rounding_mode mode = rounding_mode::nearest_even);
double to_fp64(mpfr_srcptr x, rounding_mode mode = rounding_mode::nearest_even);
float128 to_f128(mpfr_srcptr x, rounding_mode mode = rounding_mode::nearest_even);
float to_fp32(double x, rounding_mode mode = rounding_mode::nearest_even);
float to_fp32(float128 x, rounding_mode mode = rounding_mode::nearest_even);
double to_fp64(float128 x, rounding_mode mode = rounding_mode::nearest_even);

// An mp value of `bits` significand bits holding x rounded once (exactly x
// when x fits).
mp_float to_mp(mpfr_srcptr x, int bits, rounding_mode mode = rounding_mode::nearest_even);
mp_float to_mp(double x, int bits);
mp_float to_mp(float128 x, int bits);
// out = x exactly (out has at least 113 bits, or x fewer significant bits);
// unlike mpfr_set_float128, which takes a heap temporary, allocates nothing.
void set_exactly(mpfr_ptr out, const float128& x);

// Decimal (or hexadecimal "0x1.8p-3", "inf", "nan") text read into `out`
// rounded to odd at out's precision: with at least p + 2 bits, rounding that
// once more to a p-bit format gives the correctly rounded value of the text
// (Boldo and Melquiond, "When double rounding is odd", 2005). Returns false
// when the text is not a number.
bool parse_number(std::string_view text, mpfr_ptr out);

// The decimal of fewest significant digits, rounded to nearest at that digit
// count, that reads back (round to nearest) to the same value of the format;
// at a power of two, where the gap below is half the gap above, a decimal one
// digit shorter but not nearest may exist too. "inf", "-inf", "nan" for the
// specials.
std::string to_shortest_decimal(double value, const float_format& format);
// Enough significant digits to read back to the same mp or binary128 value.
std::string to_round_trip_decimal(mpfr_srcptr value);

// The spacing of the format's values at x: 2^(max(e, emin) - p + 1) for x in
// [2^e, 2^(e+1)). NaN for non-finite x.
double ulp_of(double x, const float_format& format);
// How many steps of the format's value grid lie between a and b, both values
// of the format (±Inf count as one step beyond ±max; +0 and -0 are the same
// point). NaN when either is NaN.
double ulp_distance(double a, double b, const float_format& format);

}  // namespace gradlab
