#pragma once
// A binary floating-point format as data (after CPFloat): precision, exponent
// range and the rules for the edges of that range. Every emulated precision
// (fp16, bf16, fp8, custom) is one of these; binary32 and binary64 are too, so
// rounding and ULP arithmetic treat native and emulated formats alike.

#include <cstdint>
#include <string>

namespace gradlab {

// What a result beyond the largest finite value becomes.
enum class overflow_rule {
    infinity,  // IEEE 754: ±Inf (directed roundings may stop at ±max)
    nan,       // OCP fp8e4m3 without saturation: NaN, the format has no Inf
    saturate,  // clamp to ±max finite
};

struct float_format {
    std::string name;
    int precision;      // p: significand bits, the implicit leading bit included
    int emax;           // exponent of the largest binade
    int emin;           // exponent of the smallest normal binade
    int exponent_bits;  // width of the exponent field of the encoding
    bool has_infinity;
    // IEEE layout reserves the all-ones exponent for Inf and NaN. OCP
    // fp8e4m3 does not: there only S.1111.111 is NaN and 1111 holds normals.
    bool ieee_specials;
    overflow_rule overflow;
    bool subnormals = true;  // false: results below the smallest normal flush to ±0

    int total_bits() const { return 1 + exponent_bits + precision - 1; }
    int bias() const { return 1 - emin; }
    double max_finite() const;
    double min_normal() const;     // 2^emin
    double min_subnormal() const;  // 2^(emin - p + 1): the spacing of the subnormals
    double unit_roundoff() const;  // u = 2^-p, the relative error bound of round-to-nearest
    bool fits_in_float() const;    // every value, subnormals included, is a binary32 value

    // Encoding: `value` must already be a value of this format (or NaN/±Inf
    // where the format has them); NaN encodes as the format's canonical quiet NaN.
    std::uint64_t encode(double value) const;
    double decode(std::uint64_t bits) const;

    bool operator==(const float_format&) const = default;
};

float_format binary16();  // fp16: p 11, emax 15
float_format bfloat16();  // bf16: p 8, emax 127
float_format fp8_e4m3();  // OCP E4M3: p 4, emax 8, no Inf, max 448, NaN only S.1111.111
float_format fp8_e5m2();  // OCP E5M2: p 3, emax 15, IEEE-like
float_format binary32();
float_format binary64();
// An IEEE-like format with p significand bits and emin = 1 - emax. Throws
// std::invalid_argument when the format cannot be stored exactly in a double
// (p > 53, or values outside binary64's range).
float_format custom_format(int precision, int emax);

}  // namespace gradlab
