// round_to_format() and round_array() against a reference written here from
// the definition of correct rounding, sharing no code with the library: the
// format's encodings are decoded by this file's own decoder (from the fields
// p, emin, emax and the exponent width), the two format values lo <= |x| < hi
// around the input are found by bisecting the encodings (positive encodings
// are ordered like their values), and the mode picks one of them by exact
// comparison with the midpoint (exact in double: lo and hi have at most
// p <= 52 significant bits and the formats checked have no subnormal below
// 2^-1073). Overflow rules: IEEE (rn beyond max + half an ulp, ties included,
// -> Inf; toward zero -> max), OCP e4m3 (no Inf: the pattern after max is NaN,
// the tie 464 goes to the even 448) and saturation (-> max; an Inf input stays
// Inf where the format has Inf). Without subnormals, a result below 2^emin
// flushes to a zero of x's sign (float_format.hpp's rule: round, then flush).
//
// Inputs, for each format: every positive encoding of the small formats (a
// sample of the wide ones), with its neighbours in double, the midpoints to
// the next value and doubles just beside them, by one double ulp and by
// 2^-25, 2^-40 and 2^-60 relative — the bits a float32 path (PyTorch's double -> float -> bf16)
// drops, so double rounding would show — plus tests/support edge values and
// random bit patterns; both signs; double and float inputs.

#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "gradlab/scalar/round_array.hpp"
#include "support/edge_values.hpp"

using namespace gradlab;

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double qnan = std::numeric_limits<double>::quiet_NaN();

// The reference: knows a format only by its fields.
struct bracketing_oracle {
    const float_format& f;
    int fraction_bits = f.precision - 1;
    int bias = 1 - f.emin;
    std::uint64_t fraction_mask = (std::uint64_t{1} << fraction_bits) - 1;
    // The largest finite positive encoding: exponent field emax + bias with
    // all-ones fraction, except in OCP e4m3 (no reserved exponent), where
    // the all-ones pattern is NaN and max is one below it.
    std::uint64_t max_encoding = f.ieee_specials
                                     ? (static_cast<std::uint64_t>(f.emax + bias) << fraction_bits) | fraction_mask
                                     : ((static_cast<std::uint64_t>(f.emax + bias) << fraction_bits) | fraction_mask) - 1;

    // The value of a positive encoding at most max_encoding.
    double decode(std::uint64_t e) const {
        const std::uint64_t exponent = e >> fraction_bits, fraction = e & fraction_mask;
        if (exponent == 0) return std::ldexp(static_cast<double>(fraction), f.emin - fraction_bits);
        return std::ldexp(static_cast<double>((std::uint64_t{1} << fraction_bits) | fraction),
                          static_cast<int>(exponent) - bias - fraction_bits);
    }
    double max_finite() const { return decode(max_encoding); }
    // The value after max if the format went on: 2^(emax+1) in IEEE layout,
    // 480 in e4m3 (the NaN pattern read as a number).
    double beyond_max() const { return max_finite() + std::ldexp(1.0, f.emax - fraction_bits); }

    // The largest encoding whose value is <= m (m finite, >= 0).
    std::uint64_t floor_encoding(double m) const {
        std::uint64_t lo = 0, hi = max_encoding;  // decode(lo) <= m holds throughout
        if (decode(hi) <= m) return hi;
        while (hi - lo > 1) {
            const std::uint64_t mid = lo + (hi - lo) / 2;
            (decode(mid) <= m ? lo : hi) = mid;
        }
        return lo;
    }

    double overflow_result() const {
        switch (f.overflow) {
            case overflow_rule::infinity: return inf;
            case overflow_rule::nan: return qnan;
            case overflow_rule::saturate: return max_finite();
        }
        return qnan;
    }

    // |x| in [lo, hi): lo the value of encoding e, hi the next value (or beyond_max()).
    struct bracket {
        std::uint64_t e;
        double lo, hi;
    };
    bracket find_bracket(double x) const {
        if (!std::isfinite(x)) return {0, 0, 0};
        const std::uint64_t e = floor_encoding(std::fabs(x));
        return {e, decode(e), e == max_encoding ? beyond_max() : decode(e + 1)};
    }

    double round(double x, const bracket& b, rounding_mode mode) const {
        if (std::isnan(x)) return qnan;
        const bool negative = std::signbit(x);
        const double sign = negative ? -1.0 : 1.0;
        // NaN from overflow keeps the sign of x, as the library's results do
        if (std::isinf(x)) return std::copysign(f.has_infinity ? inf : overflow_result(), sign);
        const double m = std::fabs(x);
        bool take_hi = false;
        switch (mode) {
            case rounding_mode::nearest_even: {
                const double mid = b.lo + (b.hi - b.lo) / 2;
                if (mid - b.lo != b.hi - mid) FAIL("the midpoint of " << b.lo << " and " << b.hi << " is not exact");
                take_hi = m > mid || (m == mid && (b.e & 1) == 1);  // a tie goes to the even encoding
                break;
            }
            case rounding_mode::toward_zero: take_hi = false; break;
            case rounding_mode::upward: take_hi = !negative && m > b.lo; break;
            case rounding_mode::downward: take_hi = negative && m > b.lo; break;
            default: FAIL("no oracle for stochastic rounding here");
        }
        double magnitude = take_hi ? b.hi : b.lo;
        if (take_hi && b.e == max_encoding) magnitude = overflow_result();
        // Without subnormals, results below the smallest normal flush to zero.
        if (!f.subnormals && magnitude < std::ldexp(1.0, f.emin)) magnitude = 0.0;
        return std::copysign(magnitude, sign);
    }
    double round(double x, rounding_mode mode) const { return round(x, find_bracket(x), mode); }
};

// Bitwise equality of doubles, NaN sign included.
bool same(double a, double b) { return test::same_value(a, b); }

constexpr rounding_mode ieee_modes[] = {rounding_mode::nearest_even, rounding_mode::toward_zero,
                                        rounding_mode::upward, rounding_mode::downward};

// Every `step`-th element of v, and its last `tail` elements.
template <class T>
std::vector<T> thin(const std::vector<T>& v, std::size_t step, std::size_t tail) {
    std::vector<T> out;
    const std::size_t head = v.size() > tail ? v.size() - tail : 0;
    for (std::size_t i = 0; i < head; i += step) out.push_back(v[i]);
    out.insert(out.end(), v.begin() + static_cast<std::ptrdiff_t>(head), v.end());
    return out;
}

// Double inputs around every (or a sample of every) encoding of the format.
std::vector<double> inputs_for(const float_format& format, std::uint64_t seed) {
    const bracketing_oracle oracle{format};
    std::mt19937_64 rng(seed);
    std::vector<std::uint64_t> encodings;
    if (oracle.max_encoding < (std::uint64_t{1} << 16)) {
        for (std::uint64_t e = 0; e <= oracle.max_encoding; ++e) encodings.push_back(e);
    } else {
        // the first and last encodings, those around the smallest normal, a sample of the rest
        for (std::uint64_t e = 0; e < 64; ++e) {
            encodings.push_back(e);
            encodings.push_back(oracle.max_encoding - e);
            encodings.push_back((std::uint64_t{1} << oracle.fraction_bits) - 32 + e);
            encodings.push_back(oracle.max_encoding / 64 * e);
        }
        for (int i = 0; i < 4000; ++i) encodings.push_back(rng() % (oracle.max_encoding + 1));
    }
    std::vector<double> in;
    const auto push = [&](double v) {
        in.push_back(v);
        in.push_back(-v);
    };
    for (std::size_t i = 0; i < encodings.size(); ++i) {
        const std::uint64_t e = encodings[i];
        const double v = oracle.decode(e);
        const double next = e == oracle.max_encoding ? oracle.beyond_max() : oracle.decode(e + 1);
        const double mid = v + (next - v) / 2;
        push(v);
        push(mid);
        push(std::nextafter(mid, 0.0));
        push(std::nextafter(mid, inf));
        // For a sample (all encodings of the small formats): v's neighbours
        // in double, and points beside the midpoint by less than a float ulp,
        // where a float path sees the tie.
        if (encodings.size() < 8000 || i % 8 == 0 || e + 64 > oracle.max_encoding || e < 64) {
            push(std::nextafter(v, 0.0));
            push(std::nextafter(v, inf));
            for (const int k : {25, 40, 60}) {
                push(mid + std::ldexp(mid, -k));
                push(mid - std::ldexp(mid, -k));
            }
        }
    }
    // The support edge values, thinned where they enumerate a large format;
    // their specials and random values (the tail) are all kept.
    constexpr std::size_t random_count = 3000, tail = 2 * random_count + 64;
    for (double v : thin(test::edge_values<double>(format, random_count, seed), 16, tail)) in.push_back(v);
    for (float v : thin(test::edge_values<float>(format, random_count, seed + 1), 16, tail)) in.push_back(v);
    for (double v : {0.0, inf, qnan, 1e308, 1e-320, std::numeric_limits<double>::denorm_min()}) push(v);
    return in;
}

struct mismatch_log {
    std::size_t count = 0;
    void add(const float_format& f, const char* type, const char* path, rounding_mode mode, double x, double got,
             double expected) {
        if (count++ < 5)
            FAIL_CHECK(f.name << " " << type << " " << path << " " << short_name(mode) << ": x = " << std::hexfloat
                              << x << " gives " << got << ", reference " << expected);
    }
};

// The oracle's results for each input, in each IEEE mode.
std::vector<std::vector<double>> oracle_results(const bracketing_oracle& oracle, const std::vector<double>& in) {
    std::vector<std::vector<double>> expected(std::size(ieee_modes), std::vector<double>(in.size()));
    for (std::size_t i = 0; i < in.size(); ++i) {
        const auto b = oracle.find_bracket(in[i]);
        for (std::size_t m = 0; m < std::size(ieee_modes); ++m) expected[m][i] = oracle.round(in[i], b, ieee_modes[m]);
    }
    return expected;
}

template <class T>
void check_inputs(const float_format& format, const std::vector<T>& in, const char* type) {
    const bracketing_oracle oracle{format};
    std::vector<double> widened(in.begin(), in.end());
    const auto expected = oracle_results(oracle, widened);
    for (std::size_t m = 0; m < std::size(ieee_modes); ++m) {
        const rounding_mode mode = ieee_modes[m];
        mismatch_log log;
        for (std::size_t i = 0; i < in.size(); ++i) {
            const double got = round_to_format(in[i], format, mode);
            if (!same(got, expected[m][i])) log.add(format, type, "round_to_format", mode, in[i], got, expected[m][i]);
        }
        std::vector<T> out(in.size());
        for (isa level : supported_isas()) {
            round_array(std::span<const T>(in), std::span<T>(out), format, mode, {}, level);
            for (std::size_t i = 0; i < in.size(); ++i)
                if (!same(out[i], expected[m][i]))
                    log.add(format, type, isa_name(level).data(), mode, in[i], out[i], expected[m][i]);
        }
        INFO(format.name << " " << type << " inputs, " << short_name(mode));
        CHECK(log.count == 0);
    }
}

void check_format(const float_format& format, std::uint64_t seed) {
    const std::vector<double> in = inputs_for(format, seed);
    INFO(format.name << ": " << in.size() << " inputs");
    CHECK(in.size() >= 10000);
    check_inputs(format, in, "double");
    if (!format.fits_in_float()) return;
    check_inputs(format, std::vector<float>(in.begin(), in.end()), "float");
    // The inputs do hold double-rounding traps: doubles whose correct
    // rounding differs from the rounding of their nearest float.
    if (format.precision >= 24) return;  // binary32 itself: no trap possible
    const bracketing_oracle oracle{format};
    std::size_t traps = 0;
    for (double x : in)
        traps += !same(oracle.round(x, rounding_mode::nearest_even),
                       oracle.round(static_cast<float>(x), rounding_mode::nearest_even));
    INFO(traps << " inputs where a float path rounds wrongly");
    CHECK(traps >= 50);  // custom:p=2,emax=3, with 12 positive values, has the fewest: 94
}

}  // namespace

TEST_CASE("bracketing oracle: its decoder gives the known extremes of each format", "[scalar][rounding][oracle]") {
    struct known {
        float_format format;
        double max, min_subnormal;
    };
    for (const auto& k : {known{binary16(), 65504.0, 0x1p-24}, known{bfloat16(), 0x1.fep127, 0x1p-133},
                          known{fp8_e4m3(), 448.0, 0x1p-9}, known{fp8_e5m2(), 57344.0, 0x1p-16},
                          known{custom_format(5, 7), 0x1.fp7, 0x1p-10}}) {
        const bracketing_oracle oracle{k.format};
        INFO(k.format.name);
        CHECK(oracle.max_finite() == k.max);
        CHECK(oracle.decode(1) == k.min_subnormal);
        CHECK(oracle.floor_encoding(std::nextafter(k.max, 0.0)) == oracle.max_encoding - 1);
        CHECK(oracle.floor_encoding(k.max) == oracle.max_encoding);
    }
    CHECK(bracketing_oracle{fp8_e4m3()}.beyond_max() == 480.0);
    CHECK(bracketing_oracle{fp8_e5m2()}.beyond_max() == 65536.0);
}

TEST_CASE("round_to_format matches the bracketing oracle: bf16", "[scalar][rounding][oracle]") {
    check_format(bfloat16(), 2);
}

TEST_CASE("round_to_format matches the bracketing oracle: fp16, with and without subnormals, saturating",
          "[scalar][rounding][oracle]") {
    check_format(binary16(), 3);
    auto no_subnormals = binary16();
    no_subnormals.name = "fp16 without subnormals";
    no_subnormals.subnormals = false;
    check_format(no_subnormals, 4);
    auto saturating = binary16();
    saturating.name = "fp16 saturating";
    saturating.overflow = overflow_rule::saturate;
    check_format(saturating, 5);
}

TEST_CASE("round_to_format matches the bracketing oracle: fp8e4m3 (NaN on overflow, and saturating) and fp8e5m2",
          "[scalar][rounding][oracle]") {
    check_format(fp8_e4m3(), 6);
    auto saturating = fp8_e4m3();
    saturating.name = "fp8e4m3 saturating";
    saturating.overflow = overflow_rule::saturate;
    check_format(saturating, 7);
    check_format(fp8_e5m2(), 8);
}

TEST_CASE("round_to_format matches the bracketing oracle: custom formats", "[scalar][rounding][oracle]") {
    check_format(custom_format(5, 7), 9);
    check_format(custom_format(2, 3), 10);  // one fraction bit: every value is a tie's neighbour
    check_format(custom_format(20, 100), 11);
    check_format(custom_format(40, 600), 12);   // beyond float: double inputs only
    check_format(custom_format(52, 1022), 13);  // subnormals down to 2^-1072, among double's own subnormals
}

TEST_CASE("round_to_format matches the bracketing oracle: binary32 from double", "[scalar][rounding][oracle]") {
    check_format(binary32(), 14);
}
