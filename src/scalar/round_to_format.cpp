#include <cstdint>
#include <cstring>
#include <bit>
#include <cmath>
#include <limits>

#include "gradlab/scalar/round_to_format.hpp"
#include "binary64_bits.hpp"
#include "mpfr_full_exponent_range.hpp"

namespace gradlab {

namespace {

using u128 = unsigned __int128;

// A significand of `width` bits (1..128, top bit set or not) placed so its
// leading one is bit 63; the bits shifted out set `sticky`.
unpacked_value normalize(bool negative, u128 significand, std::int64_t exponent) {
    unpacked_value v;
    v.negative = negative;
    if (significand == 0) return v;
    const int width = 128 - (significand >> 64 ? std::countl_zero(static_cast<std::uint64_t>(significand >> 64))
                                               : 64 + std::countl_zero(static_cast<std::uint64_t>(significand)));
    if (width > 64) {
        const int drop = width - 64;
        v.sticky = (significand & ((u128{1} << drop) - 1)) != 0;
        v.significand = static_cast<std::uint64_t>(significand >> drop);
        v.exponent = exponent + drop;
    } else {
        const int lift = 64 - width;
        v.significand = static_cast<std::uint64_t>(significand) << lift;
        v.exponent = exponent - lift;
    }
    return v;
}

unpacked_value special(bool negative, bool nan) {
    unpacked_value v;
    v.negative = negative;
    v.is_nan = nan;
    v.is_infinite = !nan;
    return v;
}

// Where the discarded part lies: the fraction of a grid step below the cut,
// as a 128-bit fixed-point number F = f * 2^128, plus a sticky bit for
// anything below F's last bit.
struct discarded_fraction {
    u128 fixed = 0;
    bool sticky = false;

    bool inexact() const { return fixed != 0 || sticky; }
    // -1, 0, +1 as f is below, at or above one half.
    int compare_half() const {
        const u128 half = u128{1} << 127;
        if (fixed != half) return fixed > half ? 1 : -1;
        return sticky ? 1 : 0;
    }
    // ceil(f * 2^31), in [0, 2^31].
    std::uint64_t ceil_scaled_31() const {
        const u128 low_mask = (u128{1} << 97) - 1;
        return static_cast<std::uint64_t>(fixed >> 97) + (((fixed & low_mask) != 0 || sticky) ? 1 : 0);
    }
};

double overflow_value(const float_format& format) {
    switch (format.overflow) {
        case overflow_rule::infinity: return std::numeric_limits<double>::infinity();
        case overflow_rule::nan: return std::numeric_limits<double>::quiet_NaN();
        case overflow_rule::saturate: return format.max_finite();
    }
    return std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

unpacked_value unpack(double x) {
    const auto bits = std::bit_cast<std::uint64_t>(x);
    const bool negative = bits >> 63;
    const auto biased = static_cast<std::int64_t>((bits >> 52) & 0x7ff);
    const std::uint64_t fraction = bits & ((std::uint64_t{1} << 52) - 1);
    if (biased == 0x7ff) return special(negative, fraction != 0);
    if (biased == 0) return normalize(negative, fraction, -1074);
    return normalize(negative, fraction | (std::uint64_t{1} << 52), biased - 1075);
}

unpacked_value unpack_binary128(boost::multiprecision::float128 x) {
    const __float128 raw = x.backend().value();
    u128 bits;
    std::memcpy(&bits, &raw, sizeof bits);
    const bool negative = static_cast<bool>(bits >> 127);
    const auto biased = static_cast<std::int64_t>((bits >> 112) & 0x7fff);
    const u128 fraction = bits & ((u128{1} << 112) - 1);
    if (biased == 0x7fff) return special(negative, fraction != 0);
    if (biased == 0) return normalize(negative, fraction, -16494);
    return normalize(negative, fraction | (u128{1} << 112), biased - 16495);
}

unpacked_value unpack(mpfr_srcptr x) {
    const bool negative = mpfr_signbit(x) != 0;
    if (mpfr_nan_p(x)) return special(negative, true);
    if (mpfr_inf_p(x)) return special(negative, false);
    unpacked_value v;
    v.negative = negative;
    if (mpfr_zero_p(x)) return v;
    // Truncate |x| to 64 bits (exact when x has at most 64); a nonzero
    // ternary value means bits were cut off. The one limb of that 64-bit
    // number is the significand, read in place: mpfr_get_uj would allocate.
    static_assert(GMP_NUMB_BITS == 64, "a 64-bit MPFR number is one limb");
    thread_local struct scratch {
        mpfr_t top;
        scratch() { mpfr_init2(top, 64); }
        ~scratch() { mpfr_clear(top); }
    } s;
    const detail::mpfr_full_exponent_range full_range;
    v.sticky = mpfr_abs(s.top, x, MPFR_RNDZ) != 0;
    v.significand = s.top->_mpfr_d[0];
    v.exponent = mpfr_get_exp(s.top) - 64;  // |x| in [2^(e-1), 2^e) for e = mpfr_get_exp
    return v;
}

double round_to_format(const unpacked_value& x, const float_format& format, rounding_mode mode,
                       std::uint32_t random) {
    // Results are assembled from bits, and NaN results of overflow keep the
    // sign, exactly as the SIMD kernel does it.
    const auto signed_result = [&](double magnitude) { return detail::with_sign(magnitude, x.negative); };
    if (x.is_nan) return std::numeric_limits<double>::quiet_NaN();
    if (x.is_infinite)
        return signed_result(format.has_infinity ? std::numeric_limits<double>::infinity() : overflow_value(format));
    if (x.significand == 0) return signed_result(0.0);

    // The result is a multiple of 2^q: the ulp of x's binade, or of the
    // smallest normal binade for values in the subnormal range.
    const std::int64_t leading = x.exponent + 63;
    const auto rounds_away_on_overflow = [&](bool up) {
        return mode == rounding_mode::nearest_even || (mode == rounding_mode::upward && !x.negative) ||
               (mode == rounding_mode::downward && x.negative) || (mode == rounding_mode::stochastic && up);
    };
    if (leading > format.emax)  // |x| >= 2^(emax+1): beyond the largest finite value whatever the mode
        return signed_result(rounds_away_on_overflow(true) ? overflow_value(format) : format.max_finite());
    const std::int64_t q = std::max<std::int64_t>(leading, format.emin) - (format.precision - 1);
    const std::int64_t cut = q - x.exponent;  // significand bits below the grid; >= 64 - p > 0

    std::uint64_t kept = 0;
    discarded_fraction rest{.fixed = 0, .sticky = x.sticky};
    if (cut <= 64) {
        kept = cut == 64 ? 0 : x.significand >> cut;
        const std::uint64_t below = cut == 64 ? x.significand : x.significand & ((std::uint64_t{1} << cut) - 1);
        rest.fixed = u128{below} << (128 - cut);
    } else if (cut < 192) {
        const u128 wide = u128{x.significand};
        if (cut <= 128) {
            rest.fixed = wide << (128 - cut);
        } else {
            rest.fixed = wide >> (cut - 128);
            rest.sticky |= (wide & ((u128{1} << (cut - 128)) - 1)) != 0;
        }
    } else {
        rest.sticky = true;
    }

    bool up = false;
    switch (mode) {
        case rounding_mode::nearest_even: {
            const int half = rest.compare_half();
            up = half > 0 || (half == 0 && (kept & 1));
            break;
        }
        case rounding_mode::toward_zero: break;
        case rounding_mode::upward: up = !x.negative && rest.inexact(); break;
        case rounding_mode::downward: up = x.negative && rest.inexact(); break;
        case rounding_mode::stochastic: up = rest.ceil_scaled_31() + (random >> 1) >= (std::uint64_t{1} << 31); break;
    }

    const double truncated = detail::compose_binary64(kept, q);
    double magnitude = detail::compose_binary64(kept + (up ? 1 : 0), q);
    if (magnitude > format.max_finite()) {
        // Stochastic rounding past max only when it rounds up, or when even the
        // lower neighbour is beyond max (e4m3's 480, whose pattern is NaN).
        const bool away = rounds_away_on_overflow(up || truncated > format.max_finite());
        magnitude = away ? overflow_value(format) : format.max_finite();
    } else if (!format.subnormals && magnitude < format.min_normal()) {
        magnitude = 0.0;
    }
    return signed_result(magnitude);
}

}  // namespace gradlab
