#include "gradlab/scalar/conversions.hpp"

#include "gradlab/platform/gradual_underflow_scope.hpp"
#include "mpfr_full_exponent_range.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>

namespace gradlab {

namespace {

mpfr_rnd_t to_mpfr(rounding_mode mode) {
    switch (mode) {
        case rounding_mode::nearest_even: return MPFR_RNDN;
        case rounding_mode::toward_zero: return MPFR_RNDZ;
        case rounding_mode::upward: return MPFR_RNDU;
        case rounding_mode::downward: return MPFR_RNDD;
        case rounding_mode::stochastic: break;
    }
    throw std::invalid_argument("stochastic rounding applies to emulated formats only");
}

rounding_mode deterministic(rounding_mode mode) {
    to_mpfr(mode);  // rejects stochastic rounding
    return mode;
}

mp_float with_bits(int bits) {
    mp_float value;
    mpfr_set_prec(value.backend().data(), bits);
    return value;
}

}  // namespace

float to_fp32(mpfr_srcptr x, rounding_mode mode) {
    const gradual_underflow_scope exact_subnormals;
    return static_cast<float>(round_to_format(x, binary32(), deterministic(mode)));
}
double to_fp64(mpfr_srcptr x, rounding_mode mode) { return round_to_format(x, binary64(), deterministic(mode)); }
// As mpfr_get_float128, which makes a temporary on every call (and so does
// mpfr_subnormalize), but in a variable of this thread's: x rounded once, at
// the precision binary128 has in x's binade (113 bits, fewer for subnormals),
// then checked against binary128's exponent range; the significand's limbs
// then hold the encoding's bits.
float128 to_f128(mpfr_srcptr x, rounding_mode mode) {
    const mpfr_rnd_t rnd = to_mpfr(mode);
    if (!mpfr_regular_p(x)) return float128(mpfr_get_float128(x, rnd));  // 0, Inf, NaN: nothing allocated
    static_assert(GMP_NUMB_BITS == 64 && GMP_NAIL_BITS == 0, "113 bits are two limbs");
    // MPFR's exponents (|v| in [2^(e-1), 2^e)): the smallest subnormal 2^-16494
    // has e = -16493, the largest finite e = 16384, the smallest normal -16381.
    constexpr mpfr_exp_t emin = -16493, emax = 16384, normal_emin = -16381;
    thread_local struct binary128_variable {
        mpfr_t v;
        binary128_variable() { mpfr_init2(v, 113); }
        ~binary128_variable() { mpfr_clear(v); }
    } r;
    const detail::mpfr_full_exponent_range full_range;  // the caller's range and flags come back
    // The ulp of x's binade in binary128 is 2^-16494 below the normals: x
    // rounds to e + 16494 bits there (at least 1; below half the smallest
    // subnormal, mpfr_check_range settles it from the ternary value).
    const mpfr_exp_t e = mpfr_get_exp(x);
    mpfr_set_prec(r.v, e >= normal_emin ? 113 : std::max<mpfr_exp_t>(1, e - emin + 1));  // within the allocation
    const int ternary = mpfr_set(r.v, x, rnd);
    // Beyond the range, ±Inf in every rounding mode, as mpfr_get_float128 gives.
    if (mpfr_get_exp(r.v) > emax) mpfr_set_inf(r.v, mpfr_sgn(r.v));
    mpfr_set_emin(emin);
    mpfr_set_emax(emax);
    mpfr_check_range(r.v, ternary, rnd);

    using bits = unsigned __int128;
    bits encoding = bits{mpfr_signbit(r.v) != 0} << 127;
    if (mpfr_inf_p(r.v)) {
        encoding |= bits{0x7fff} << 112;
    } else if (!mpfr_zero_p(r.v)) {
        // |r| = M 2^(re - 128), M the significand's limbs as 128 bits, top bit set
        const auto* limbs = static_cast<const mp_limb_t*>(mpfr_custom_get_significand(r.v));
        const bits m = mpfr_get_prec(r.v) > 64 ? bits{limbs[1]} << 64 | limbs[0] : bits{limbs[0]} << 64;
        const mpfr_exp_t re = mpfr_get_exp(r.v);
        if (re >= normal_emin)  // biased exponent re - 1 + 16383, the leading bit implicit
            encoding |= bits(re + 16382) << 112 | ((m >> 15) & ((bits{1} << 112) - 1));
        else  // subnormal: |r| / 2^-16494, an integer
            encoding |= m >> (-16366 - re);
    }
    return float128(std::bit_cast<__float128>(encoding));
}
float to_fp32(double x, rounding_mode mode) {
    const gradual_underflow_scope exact_subnormals;
    return static_cast<float>(round_to_format(x, binary32(), deterministic(mode)));
}
float to_fp32(float128 x, rounding_mode mode) {
    const gradual_underflow_scope exact_subnormals;
    return static_cast<float>(round_to_format(x, binary32(), deterministic(mode)));
}
double to_fp64(float128 x, rounding_mode mode) { return round_to_format(x, binary64(), deterministic(mode)); }

mp_float to_mp(mpfr_srcptr x, int bits, rounding_mode mode) {
    mp_float result = with_bits(bits);
    mpfr_set(result.backend().data(), x, to_mpfr(mode));
    return result;
}

mp_float to_mp(double x, int bits) {
    mp_float result = with_bits(bits);
    mpfr_set_d(result.backend().data(), x, MPFR_RNDN);
    return result;
}

mp_float to_mp(float128 x, int bits) {
    mp_float result = with_bits(bits);
    mpfr_set_float128(result.backend().data(), x.backend().value(), MPFR_RNDN);
    return result;
}

void set_exactly(mpfr_ptr out, const float128& x) {
    // From binary128's encoding: |x| = M 2^(max(e, 1) - 16383 - 112), M of at
    // most 113 bits, e the biased exponent; each MPFR step below is exact.
    using bits = unsigned __int128;
    static_assert(sizeof(bits) == sizeof(x.backend().value()));
    bits encoding;
    std::memcpy(&encoding, &x.backend().value(), sizeof encoding);
    const bool negative = (encoding >> 127) != 0;
    const int biased = static_cast<int>(encoding >> 112) & 0x7fff;
    const bits fraction = encoding & ((bits{1} << 112) - 1);
    if (biased == 0x7fff) {
        if (fraction != 0) mpfr_set_nan(out);
        else mpfr_set_inf(out, negative ? -1 : 1);
        return;
    }
    const bits m = biased == 0 ? fraction : fraction | bits{1} << 112;
    mpfr_set_ui_2exp(out, static_cast<unsigned long>(m >> 64), 64, MPFR_RNDN);
    mpfr_add_ui(out, out, static_cast<unsigned long>(m), MPFR_RNDN);
    mpfr_mul_2si(out, out, std::max(biased, 1) - 16383 - 112, MPFR_RNDN);
    mpfr_setsign(out, out, negative, MPFR_RNDN);
}

bool parse_number(std::string_view text, mpfr_ptr out) {
    const std::string owned(text);
    if (owned.empty() || std::isspace(static_cast<unsigned char>(owned.front()))) return false;
    char* end = nullptr;
    const int ternary = mpfr_strtofr(out, owned.c_str(), &end, 0, MPFR_RNDZ);
    if (end != owned.c_str() + owned.size()) return false;
    // Round to odd: an inexact truncation whose last bit is 0 moves one ulp
    // away from zero, onto the odd neighbour.
    if (ternary != 0 && mpfr_min_prec(out) < mpfr_get_prec(out)) {
        if (mpfr_signbit(out)) mpfr_nextbelow(out);
        else mpfr_nextabove(out);
    }
    return true;
}

std::string to_shortest_decimal(double value, const float_format& format) {
    if (std::isnan(value)) return "nan";
    if (std::isinf(value)) return value < 0 ? "-inf" : "inf";
    if (value == 0) return std::signbit(value) ? "-0" : "0";
    mp_float parsed = with_bits(128);
    char text[40];
    for (int digits = 1; digits <= 17; ++digits) {
        std::snprintf(text, sizeof text, "%.*g", digits, value);
        parse_number(text, parsed.backend().data());
        if (round_to_format(parsed.backend().data(), format, rounding_mode::nearest_even) == value) break;
    }
    return text;
}

std::string to_round_trip_decimal(mpfr_srcptr value) {
    const auto digits = static_cast<int>(mpfr_get_str_ndigits(10, mpfr_get_prec(value)));
    char* text = nullptr;
    mpfr_asprintf(&text, "%.*Re", digits - 1, value);
    std::string result(text);
    mpfr_free_str(text);
    return result;
}

double ulp_of(double x, const float_format& format) {
    if (!std::isfinite(x)) return std::numeric_limits<double>::quiet_NaN();
    const int exponent = x == 0 ? format.emin : std::max(std::ilogb(x), format.emin);
    return std::ldexp(1.0, exponent - format.precision + 1);
}

double ulp_distance(double a, double b, const float_format& format) {
    if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<double>::quiet_NaN();
    // Position on the grid: the encoding of |v| counts the values below it.
    const auto position = [&](double v) {
        const double magnitude = std::isinf(v) ? format.max_finite() : std::fabs(v);
        const auto steps = static_cast<std::int64_t>(format.encode(magnitude)) + (std::isinf(v) ? 1 : 0);
        return std::signbit(v) ? -steps : steps;
    };
    return std::fabs(static_cast<double>(position(a) - position(b)));
}

}  // namespace gradlab
