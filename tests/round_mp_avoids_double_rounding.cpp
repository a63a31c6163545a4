// Rounding an MPFR value to fp16 / bf16 / fp8 happens once, directly: not
// through double, float or binary128 first. For inputs built so that the
// intermediate rounding lands exactly on a midpoint (or on a format value)
// of the target, each test asserts both
//   - the direct result, round_to_format(mpfr_srcptr, ...), is right, and
//   - the result via the intermediate type is different (wrong),
// so the hazard is shown to be real for that input and not vacuous.
// The right answers come from the construction (x lies strictly between
// known neighbours, on a known side of their midpoint) and, for random
// 200-bit values, from MPFR's own emulation of the target format
// (mpfr_subnormalize in a reduced exponent range), an oracle independent of
// gradlab.

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <boost/multiprecision/float128.hpp>
#include <mpfr.h>

#include "gradlab/scalar/round_to_format.hpp"

using namespace gradlab;
using boost::multiprecision::float128;

namespace {

constexpr mpfr_prec_t mp_bits = 200;

struct mp_value {
    mpfr_t v;
    mp_value() { mpfr_init2(v, mp_bits); }
    mp_value(const mp_value&) = delete;
    mp_value& operator=(const mp_value&) = delete;
    ~mp_value() { mpfr_clear(v); }
    operator mpfr_srcptr() const { return v; }
};

// x = base * (1 + offset_sign * 2^-k), exactly (base has at most 53 bits, k < 140).
void set_beside(mp_value& x, double base, int offset_sign, int k) {
    mpfr_set_d(x.v, base, MPFR_RNDN);
    mp_value offset;
    mpfr_mul_2si(offset.v, x.v, -k, MPFR_RNDN);
    if (offset_sign > 0) mpfr_add(x.v, x.v, offset.v, MPFR_RNDN);
    else mpfr_sub(x.v, x.v, offset.v, MPFR_RNDN);
}

double via_double(mpfr_srcptr x, const float_format& f, rounding_mode mode) {
    return round_to_format(mpfr_get_d(x, MPFR_RNDN), f, mode);
}
double via_float(mpfr_srcptr x, const float_format& f, rounding_mode mode) {
    return round_to_format(mpfr_get_flt(x, MPFR_RNDN), f, mode);
}
double via_float128(mpfr_srcptr x, const float_format& f, rounding_mode mode) {
    return round_to_format(float128(static_cast<__float128>(mpfr_get_float128(x, MPFR_RNDN))), f, mode);
}

bool same(double a, double b) { return (std::isnan(a) && std::isnan(b)) || (a == b && std::signbit(a) == std::signbit(b)); }

std::string describe(mpfr_srcptr x) {
    char buffer[128];
    mpfr_snprintf(buffer, sizeof buffer, "%.40Ra", x);
    return buffer;
}

// The next value of the format above the positive value v (v < max).
double next_up(const float_format& f, double v) {
    return f.decode(f.encode(v) + 1);
}

// MPFR's own emulation of an IEEE-like format (Inf on overflow): the
// exponent range narrowed to the format's, subnormals by mpfr_subnormalize.
// MPFR writes x = m * 2^e with m in [1/2, 1), hence the +1 on both ends.
double mpfr_reference(mpfr_srcptr x, const float_format& f, rounding_mode mode) {
    const mpfr_rnd_t rnd = mode == rounding_mode::nearest_even ? MPFR_RNDN
                           : mode == rounding_mode::toward_zero ? MPFR_RNDZ
                           : mode == rounding_mode::upward      ? MPFR_RNDU
                                                                : MPFR_RNDD;
    const mpfr_exp_t old_emin = mpfr_get_emin(), old_emax = mpfr_get_emax();
    mpfr_t y;
    mpfr_init2(y, f.precision);
    mpfr_set_emin(f.emin - f.precision + 2);  // the smallest subnormal 2^(emin-p+1) = 0.5 * 2^(emin-p+2)
    mpfr_set_emax(f.emax + 1);
    int inexact = mpfr_set(y, x, rnd);
    inexact = mpfr_check_range(y, inexact, rnd);
    mpfr_subnormalize(y, inexact, rnd);
    mpfr_set_emin(old_emin);
    mpfr_set_emax(old_emax);
    const double result = mpfr_get_d(y, MPFR_RNDN);  // exact: y has p <= 53 bits in double's range
    mpfr_clear(y);
    return result;
}

}  // namespace

TEST_CASE("mp to fp16/bf16 rn: midpoint + 2^-80 relative rounds up directly, ties to even via double",
          "[scalar][rounding][mp]") {
    for (const auto& f : {binary16(), bfloat16()}) {
        // neighbours lo < hi with lo even, in several binades, subnormal included
        for (const double lo : {1.0, 3.0, 1000.0, 0x1p-14 * 5 / 4, 6 * f.min_subnormal(),
                               f.decode(f.encode(f.max_finite()) - 3)}) {
            REQUIRE(f.encode(lo) % 2 == 0);
            const double hi = next_up(f, lo), mid = lo + (hi - lo) / 2;
            mp_value x;
            set_beside(x, mid, +1, 80);
            INFO(f.name << " x = " << describe(x) << ", neighbours " << lo << " and " << hi);
            CHECK(round_to_format(x, f, rounding_mode::nearest_even) == hi);
            CHECK(via_double(x, f, rounding_mode::nearest_even) == lo);  // the hazard: x became the midpoint
            CHECK(via_float128(x, f, rounding_mode::nearest_even) == hi);  // 113 bits still hold the 2^-80
            CHECK(mpfr_reference(x, f, rounding_mode::nearest_even) == hi);
            // and below the midpoint of an odd-even pair: down directly, up (to even) via double
            const double hi2 = next_up(f, hi), mid2 = hi + (hi2 - hi) / 2;
            set_beside(x, mid2, -1, 80);
            CHECK(round_to_format(x, f, rounding_mode::nearest_even) == hi);
            CHECK(via_double(x, f, rounding_mode::nearest_even) == hi2);
        }
    }
}

TEST_CASE("mp to bf16 rn: midpoint + 2^-30 relative survives double but not float (the float32-path hazard)",
          "[scalar][rounding][mp]") {
    const auto f = bfloat16();
    for (const double lo : {1.0, 0x1.8p-100, 0x1.04p+100, 3.0 * 0x1p-130}) {
        REQUIRE(f.encode(lo) % 2 == 0);
        const double hi = next_up(f, lo), mid = lo + (hi - lo) / 2;
        for (const int sign : {+1, -1}) {
            mp_value x;
            set_beside(x, sign * mid, +1, 30);  // away from zero: |x| above the midpoint
            INFO("x = " << describe(x));
            CHECK(round_to_format(x, f, rounding_mode::nearest_even) == sign * hi);
            CHECK(via_double(x, f, rounding_mode::nearest_even) == sign * hi);  // double keeps the bit
            // float keeps 24 bits (fewer in its subnormal range, where the
            // last lo lies): the 2^-30 is lost and the tie goes to the even lo
            CHECK(via_float(x, f, rounding_mode::nearest_even) == sign * lo);
        }
    }
}

TEST_CASE("mp to fp16/bf16 directed modes: a tiny offset from a format value survives only the direct rounding",
          "[scalar][rounding][mp]") {
    using rm = rounding_mode;
    for (const auto& f : {binary16(), bfloat16()}) {
        for (const double lo : {1.0, 1.5, 0x1p-14 * 3 / 2, 9 * f.min_subnormal(), 100.0}) {
            const double hi = next_up(f, lo);
            mp_value above_lo, below_hi, neg_above_lo, neg_below_hi;
            set_beside(above_lo, lo, +1, 80);   // lo + tiny
            set_beside(below_hi, hi, -1, 80);   // hi - tiny
            set_beside(neg_above_lo, -lo, +1, 80);  // -(lo + tiny)
            set_beside(neg_below_hi, -hi, -1, 80);  // -(hi - tiny)
            struct hazard {
                const mp_value& x;
                rm mode;
                double direct, via_double;
            };
            const hazard cases[] = {
                {above_lo, rm::upward, hi, lo},       {below_hi, rm::downward, lo, hi},
                {below_hi, rm::toward_zero, lo, hi},  {neg_above_lo, rm::downward, -hi, -lo},
                {neg_below_hi, rm::upward, -lo, -hi}, {neg_below_hi, rm::toward_zero, -lo, -hi},
            };
            for (const auto& c : cases) {
                INFO(f.name << " " << short_name(c.mode) << " x = " << describe(c.x));
                CHECK(round_to_format(c.x, f, c.mode) == c.direct);
                CHECK(via_double(c.x, f, c.mode) == c.via_double);
                CHECK(mpfr_reference(c.x, f, c.mode) == c.direct);
            }
        }
    }
}

TEST_CASE("mp rn at the edges: overflow threshold, half the smallest subnormal, e4m3's 464",
          "[scalar][rounding][mp]") {
    const auto rn = rounding_mode::nearest_even;
    const double inf = std::numeric_limits<double>::infinity();
    mp_value x;
    // fp16: just below 65520 stays finite; via double it is the threshold, a tie that overflows.
    set_beside(x, 65520.0, -1, 80);
    CHECK(round_to_format(x, binary16(), rn) == 65504.0);
    CHECK(via_double(x, binary16(), rn) == inf);
    // bf16: the same at (2 - 2^-8) * 2^127
    set_beside(x, 0x1.ffp127, -1, 80);
    CHECK(round_to_format(x, bfloat16(), rn) == bfloat16().max_finite());
    CHECK(via_double(x, bfloat16(), rn) == inf);
    // fp16: just above half the smallest subnormal rounds up to it; via double it is the tie, to 0.
    set_beside(x, 0x1p-25, +1, 80);
    CHECK(round_to_format(x, binary16(), rn) == 0x1p-24);
    CHECK(via_double(x, binary16(), rn) == 0.0);
    // e4m3: just above the tie 464 is NaN (overflow); via double it is the tie, to 448.
    set_beside(x, 464.0, +1, 80);
    CHECK(std::isnan(round_to_format(x, fp8_e4m3(), rn)));
    CHECK(via_double(x, fp8_e4m3(), rn) == 448.0);
    // e5m2: just below the threshold 61440 stays 57344; via double it overflows.
    set_beside(x, 61440.0, -1, 80);
    CHECK(round_to_format(x, fp8_e5m2(), rn) == 57344.0);
    CHECK(via_double(x, fp8_e5m2(), rn) == inf);
}

TEST_CASE("mp rn: an offset of 2^-150 relative is beyond binary128 too; only the direct rounding sees it",
          "[scalar][rounding][mp]") {
    const auto f = binary16();
    const double lo = 1.0, hi = next_up(f, lo), mid = lo + (hi - lo) / 2;
    mp_value x;
    set_beside(x, mid, +1, 150);
    CHECK(round_to_format(x, f, rounding_mode::nearest_even) == hi);
    CHECK(via_float128(x, f, rounding_mode::nearest_even) == lo);
    CHECK(via_double(x, f, rounding_mode::nearest_even) == lo);
}

TEST_CASE("mp: random pairs of neighbours, every mode, direct rounding right and via double wrong",
          "[scalar][rounding][mp]") {
    // For each random pair lo < hi of the format: x just beside the midpoint
    // on the side away from the even neighbour (rn), and x just beside lo or
    // hi (directed modes). Direct must match the construction and MPFR's own
    // emulation of the format; via double must differ.
    using rm = rounding_mode;
    std::mt19937_64 rng(42);
    std::size_t cases = 0;
    for (const auto& f : {binary16(), bfloat16(), fp8_e5m2(), custom_format(5, 7)}) {
        const std::uint64_t max_encoding = f.encode(f.max_finite());
        for (int i = 0; i < 500; ++i) {
            const std::uint64_t e = rng() % max_encoding;  // lo's encoding; hi = e + 1 is finite
            const double lo = f.decode(e), hi = f.decode(e + 1), mid = lo + (hi - lo) / 2;
            const double sign = rng() & 1 ? -1.0 : 1.0;
            const int k = 60 + static_cast<int>(rng() % 70);  // the offset, 2^-k relative: below double's ulp
            mp_value x;
            // rn: beside the midpoint, toward the odd neighbour
            set_beside(x, sign * mid, e % 2 == 0 ? +1 : -1, k);
            const double rn_right = sign * (e % 2 == 0 ? hi : lo), rn_via_double = sign * (e % 2 == 0 ? lo : hi);
            INFO(f.name << " x = " << describe(x));
            CHECK(same(round_to_format(x, f, rm::nearest_even), rn_right));
            CHECK(same(via_double(x, f, rm::nearest_even), rn_via_double));
            CHECK(same(mpfr_reference(x, f, rm::nearest_even), rn_right));
            // directed: just above lo in magnitude (lo > 0, or x would be below any double)
            if (lo > 0) {
                set_beside(x, sign * lo, +1, k);
                const rm away = sign > 0 ? rm::upward : rm::downward, toward = sign > 0 ? rm::downward : rm::upward;
                CHECK(same(round_to_format(x, f, away), sign * hi));
                CHECK(same(via_double(x, f, away), sign * lo));
                CHECK(same(round_to_format(x, f, toward), sign * lo));
                CHECK(same(round_to_format(x, f, rm::toward_zero), sign * lo));
                CHECK(same(mpfr_reference(x, f, away), sign * hi));
            }
            // just below hi in magnitude
            set_beside(x, sign * hi, -1, k);
            CHECK(same(round_to_format(x, f, rm::toward_zero), sign * lo));
            CHECK(same(via_double(x, f, rm::toward_zero), sign * hi));
            CHECK(same(mpfr_reference(x, f, rm::toward_zero), sign * lo));
            ++cases;
        }
    }
    CHECK(cases == 2000);
}

TEST_CASE("mp: random 200-bit values round as MPFR's own emulation of the format does", "[scalar][rounding][mp]") {
    // Half the values have all 200 bits random, spread over the whole range
    // of the format and a little beyond (overflow, below the subnormals);
    // the other half are a random midpoint or format value plus a random
    // 200-bit offset of relative size 2^-k, k in [1, 160].
    using rm = rounding_mode;
    std::mt19937_64 rng(7);
    const auto random_bits = [&](mp_value& r) {  // uniform in [0, 1), all 200 bits random
        mpz_t bits;
        mpz_init(bits);
        for (int w = 0; w < 4; ++w) {
            mpz_mul_2exp(bits, bits, 64);
            mpz_add_ui(bits, bits, static_cast<unsigned long>(rng()));
        }
        mpfr_set_z_2exp(r.v, bits, -256, MPFR_RNDN);
        mpz_clear(bits);
    };
    std::size_t total = 0;
    for (const auto& f : {binary16(), bfloat16(), fp8_e5m2(), custom_format(5, 7), custom_format(30, 200)}) {
        std::size_t mismatches = 0;
        const std::uint64_t max_encoding = f.encode(f.max_finite());
        mp_value x, offset;
        for (int i = 0; i < 20000; ++i) {
            if (i % 2 == 0) {
                const long exponent = static_cast<long>(f.emin - f.precision - 3) +
                                      static_cast<long>(rng() % static_cast<std::uint64_t>(f.emax - f.emin + f.precision + 6));
                random_bits(x);
                mpfr_mul_2si(x.v, x.v, exponent, MPFR_RNDN);  // |x| in [0, 2^exponent)
            } else {
                const std::uint64_t e = rng() % max_encoding;
                const double lo = f.decode(e), hi = f.decode(e + 1);
                mpfr_set_d(x.v, rng() & 1 ? lo + (hi - lo) / 2 : hi, MPFR_RNDN);
                random_bits(offset);
                mpfr_mul(offset.v, offset.v, x.v, MPFR_RNDN);
                mpfr_mul_2si(offset.v, offset.v, -static_cast<long>(1 + rng() % 160), MPFR_RNDN);
                if (rng() & 1) mpfr_add(x.v, x.v, offset.v, MPFR_RNDN);
                else mpfr_sub(x.v, x.v, offset.v, MPFR_RNDN);
            }
            if (rng() & 1) mpfr_neg(x.v, x.v, MPFR_RNDN);
            for (rm mode : {rm::nearest_even, rm::toward_zero, rm::upward, rm::downward}) {
                const double got = round_to_format(x, f, mode), want = mpfr_reference(x, f, mode);
                if (!same(got, want) && mismatches++ < 5)
                    FAIL_CHECK(f.name << " " << short_name(mode) << " x = " << describe(x) << ": got " << got
                                      << ", MPFR " << want);
            }
            ++total;
        }
        INFO(f.name);
        CHECK(mismatches == 0);
    }
    CHECK(total == 100000);
}

TEST_CASE("mp to binary64 and binary32 agrees with mpfr_get_d and mpfr_get_flt in every IEEE mode",
          "[scalar][rounding][mp]") {
    // MPFR's conversions are correctly rounded, subnormals and overflow
    // included: a second oracle, for the widest targets (p = 53 and 24).
    using rm = rounding_mode;
    std::mt19937_64 rng(11);
    mp_value x;
    std::size_t mismatches = 0;
    for (int i = 0; i < 20000; ++i) {
        mpz_t bits;
        mpz_init(bits);
        for (int w = 0; w < 4; ++w) {
            mpz_mul_2exp(bits, bits, 64);
            mpz_add_ui(bits, bits, static_cast<unsigned long>(rng()));
        }
        const long exponent = -1090 + static_cast<long>(rng() % 2130);  // below double's subnormals to beyond its max
        mpfr_set_z_2exp(x.v, bits, exponent - 256, MPFR_RNDN);
        mpz_clear(bits);
        if (rng() & 1) mpfr_neg(x.v, x.v, MPFR_RNDN);
        for (const auto& [mode, rnd] : {std::pair{rm::nearest_even, MPFR_RNDN}, std::pair{rm::toward_zero, MPFR_RNDZ},
                                        std::pair{rm::upward, MPFR_RNDU}, std::pair{rm::downward, MPFR_RNDD}}) {
            const double got64 = round_to_format(x, binary64(), mode), want64 = mpfr_get_d(x, rnd);
            const double got32 = round_to_format(x, binary32(), mode), want32 = mpfr_get_flt(x, rnd);
            if ((!same(got64, want64) || !same(got32, want32)) && mismatches++ < 5)
                FAIL_CHECK(short_name(mode) << " x = " << describe(x) << ": binary64 " << got64 << " vs " << want64
                                            << ", binary32 " << got32 << " vs " << want32);
        }
    }
    CHECK(mismatches == 0);
}

TEST_CASE("binary128 inputs round as MPFR's emulation of the format does", "[scalar][rounding][mp]") {
    // 113-bit significands: bits below double's reach near every midpoint.
    // Random significands at exponents over the format's range, and random
    // bit patterns (binary128 subnormals, huge values, Inf and NaN).
    using rm = rounding_mode;
    std::mt19937_64 rng(13);
    mp_value x;
    for (const auto& f : {binary16(), bfloat16(), fp8_e5m2(), custom_format(30, 200), binary64()}) {
        std::size_t mismatches = 0;
        for (int i = 0; i < 10000; ++i) {
            unsigned __int128 bits = (static_cast<unsigned __int128>(rng()) << 64) | rng();
            if (i % 4 != 0) {  // exponent within the format's range, give or take a few
                const auto span = static_cast<std::uint64_t>(f.emax - f.emin + f.precision + 8);
                const auto exponent = static_cast<std::int64_t>(f.emin - f.precision - 4) +
                                      static_cast<std::int64_t>(rng() % span);
                const auto biased = static_cast<unsigned __int128>(exponent + 16383);
                bits = (bits & ~(static_cast<unsigned __int128>(0x7fff) << 112)) | (biased << 112);
            }
            __float128 raw;
            std::memcpy(&raw, &bits, sizeof raw);
            const float128 q(raw);
            mpfr_set_float128(x.v, raw, MPFR_RNDN);  // exact: 113 bits into 200
            for (rm mode : {rm::nearest_even, rm::toward_zero, rm::upward, rm::downward}) {
                const double got = round_to_format(q, f, mode), want = mpfr_reference(x, f, mode);
                if (!same(got, want) && mismatches++ < 5)
                    FAIL_CHECK(f.name << " " << short_name(mode) << " x = " << describe(x) << ": got " << got
                                      << ", MPFR " << want);
            }
        }
        INFO(f.name);
        CHECK(mismatches == 0);
    }
}
