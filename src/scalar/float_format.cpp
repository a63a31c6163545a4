#include "gradlab/scalar/float_format.hpp"
#include "binary64_bits.hpp"
#include "gradlab/platform/gradual_underflow_scope.hpp"

#include <bit>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace gradlab {

double float_format::max_finite() const {
    // All-ones significand in the top binade, except for e4m3, where that
    // pattern is NaN and the largest finite value has significand 1.110...
    const int reserved = ieee_specials ? 0 : 1;
    return std::ldexp(2.0 - std::ldexp(1.0, 1 - precision + reserved), emax);
}

double float_format::min_normal() const { return std::ldexp(1.0, emin); }

double float_format::min_subnormal() const { return detail::compose_binary64(1, emin - precision + 1); }

double float_format::unit_roundoff() const { return std::ldexp(1.0, -precision); }

bool float_format::fits_in_float() const {
    return precision <= 24 && emax <= 127 && emin - precision + 1 >= -149;
}

// Encoding, most significant bit first:
//   [sign][exponent: exponent_bits][fraction: precision - 1]
// exponent field 0 holds zero and the subnormals (value = fraction * 2^(emin-p+1));
// field e > 0 holds normals 1.fraction * 2^(e - bias).
std::uint64_t float_format::encode(double value) const {
    const gradual_underflow_scope exact_subnormals;
    const int fraction_bits = precision - 1;
    const std::uint64_t sign = std::signbit(value) ? std::uint64_t{1} << (total_bits() - 1) : 0;
    const std::uint64_t all_ones_exponent = (std::uint64_t{1} << exponent_bits) - 1;
    const std::uint64_t fraction_mask = (std::uint64_t{1} << fraction_bits) - 1;
    if (std::isnan(value)) {
        // Canonical quiet NaN: all-ones exponent, top fraction bit set
        // (e4m3: the whole fraction set, its only NaN pattern).
        const std::uint64_t fraction = ieee_specials ? std::uint64_t{1} << (fraction_bits - 1) : fraction_mask;
        return (all_ones_exponent << fraction_bits) | fraction;
    }
    const double magnitude = std::fabs(value);
    if (std::isinf(value)) {
        if (!has_infinity) throw std::domain_error(name + " has no infinity to encode");
        return sign | (all_ones_exponent << fraction_bits);
    }
    if (magnitude > max_finite()) throw std::domain_error("value beyond the range of " + name);
    if (magnitude == 0) return sign;
    int exponent;
    std::frexp(magnitude, &exponent);
    --exponent;  // magnitude in [2^exponent, 2^(exponent+1))
    std::uint64_t exponent_field = 0;
    double scaled;
    if (exponent < emin) {
        scaled = std::ldexp(magnitude, fraction_bits - emin);  // subnormal: fraction = m / 2^(emin-p+1)
    } else {
        exponent_field = static_cast<std::uint64_t>(exponent + bias());
        scaled = std::ldexp(magnitude, fraction_bits - exponent) - std::ldexp(1.0, fraction_bits);
    }
    if (scaled != std::floor(scaled)) throw std::domain_error("value is not representable in " + name);
    return sign | (exponent_field << fraction_bits) | static_cast<std::uint64_t>(scaled);
}

double float_format::decode(std::uint64_t bits) const {
    const gradual_underflow_scope exact_subnormals;
    const int fraction_bits = precision - 1;
    const bool negative = (bits >> (total_bits() - 1)) & 1;
    const std::uint64_t all_ones_exponent = (std::uint64_t{1} << exponent_bits) - 1;
    const std::uint64_t fraction_mask = (std::uint64_t{1} << fraction_bits) - 1;
    const std::uint64_t exponent_field = (bits >> fraction_bits) & all_ones_exponent;
    const std::uint64_t fraction = bits & fraction_mask;
    double magnitude;
    if (exponent_field == all_ones_exponent && ieee_specials) {
        magnitude = fraction == 0 && has_infinity ? std::numeric_limits<double>::infinity()
                                                  : std::numeric_limits<double>::quiet_NaN();
    } else if (exponent_field == all_ones_exponent && fraction == fraction_mask) {
        magnitude = std::numeric_limits<double>::quiet_NaN();
    } else if (exponent_field == 0) {
        magnitude = detail::compose_binary64(fraction, emin - fraction_bits);
    } else {
        magnitude = std::ldexp(static_cast<double>(fraction | (fraction_mask + 1)),
                               static_cast<int>(exponent_field) - bias() - fraction_bits);
    }
    return detail::with_sign(magnitude, negative);
}

float_format binary16() {
    return {"fp16", 11, 15, -14, 5, true, true, overflow_rule::infinity};
}

float_format bfloat16() {
    return {"bf16", 8, 127, -126, 8, true, true, overflow_rule::infinity};
}

float_format fp8_e4m3() {
    return {"fp8e4m3", 4, 8, -6, 4, false, false, overflow_rule::nan};
}

float_format fp8_e5m2() {
    return {"fp8e5m2", 3, 15, -14, 5, true, true, overflow_rule::infinity};
}

float_format binary32() {
    return {"fp32", 24, 127, -126, 8, true, true, overflow_rule::infinity};
}

float_format binary64() {
    return {"fp64", 53, 1023, -1022, 11, true, true, overflow_rule::infinity};
}

float_format custom_format(int precision, int emax) {
    const std::string name = "custom:p=" + std::to_string(precision) + ",emax=" + std::to_string(emax);
    if (precision < 2 || precision > 53)
        throw std::invalid_argument(name + ": p must be in [2, 53] (significand bits, the implicit bit included)");
    if (emax < 1 || emax > 1023)
        throw std::invalid_argument(name + ": emax must be in [1, 1023]");
    const int emin = 1 - emax;
    if (emin - precision + 1 < -1074)
        throw std::invalid_argument(name + ": its subnormals reach below binary64's (2^-1074); lower p or emax");
    // Exponent fields 1 .. emax - emin + 1 are normal, the all-ones field is reserved.
    const int exponent_bits = std::bit_width(static_cast<unsigned>(emax - emin + 2));
    return {name, precision, emax, emin, exponent_bits, true, true, overflow_rule::infinity};
}

}  // namespace gradlab
