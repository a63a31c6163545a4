// fp8 known answers from the OCP 8-bit floating point specification (OFP8,
// v1.0): every one of the 256 encodings of E4M3 and E5M2 with its value
// written out, then decode, encode, rounding of every value to itself in
// every mode, every midpoint between neighbours and the points beside it,
// and the overflow edges.
//
//   E4M3: bias 7, no infinities, S.1111.111 is the only NaN, so 1111 holds
//         normals and the largest finite value is 1.110b * 2^8 = 448.
//   E5M2: bias 15, IEEE 754 layout: exponent 11111 is Inf (fraction 0) or
//         NaN; the largest finite value is 1.11b * 2^15 = 57344.
// Value of S.E.M: (-1)^S * 2^(E-bias) * (1 + M/2^m) for E > 0,
//                 (-1)^S * 2^(1-bias) * (M/2^m)     for E = 0 (subnormals).

#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

#include "gradlab/scalar/round_array.hpp"

using namespace gradlab;

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double qnan = std::numeric_limits<double>::quiet_NaN();

// Magnitudes of the positive encodings 0x00 .. 0x7f; 0x80 | b is the negative.
constexpr std::array<double, 128> e4m3_table{
    0.0, 0.001953125, 0.00390625, 0.005859375, 0.0078125, 0.009765625, 0.01171875, 0.013671875,       // 0x00
    0.015625, 0.017578125, 0.01953125, 0.021484375, 0.0234375, 0.025390625, 0.02734375, 0.029296875,  // 0x08
    0.03125, 0.03515625, 0.0390625, 0.04296875, 0.046875, 0.05078125, 0.0546875, 0.05859375,          // 0x10
    0.0625, 0.0703125, 0.078125, 0.0859375, 0.09375, 0.1015625, 0.109375, 0.1171875,                  // 0x18
    0.125, 0.140625, 0.15625, 0.171875, 0.1875, 0.203125, 0.21875, 0.234375,                          // 0x20
    0.25, 0.28125, 0.3125, 0.34375, 0.375, 0.40625, 0.4375, 0.46875,                                  // 0x28
    0.5, 0.5625, 0.625, 0.6875, 0.75, 0.8125, 0.875, 0.9375,                                          // 0x30
    1.0, 1.125, 1.25, 1.375, 1.5, 1.625, 1.75, 1.875,                                                 // 0x38
    2.0, 2.25, 2.5, 2.75, 3.0, 3.25, 3.5, 3.75,                                                       // 0x40
    4.0, 4.5, 5.0, 5.5, 6.0, 6.5, 7.0, 7.5,                                                           // 0x48
    8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0,                                                     // 0x50
    16.0, 18.0, 20.0, 22.0, 24.0, 26.0, 28.0, 30.0,                                                   // 0x58
    32.0, 36.0, 40.0, 44.0, 48.0, 52.0, 56.0, 60.0,                                                   // 0x60
    64.0, 72.0, 80.0, 88.0, 96.0, 104.0, 112.0, 120.0,                                                // 0x68
    128.0, 144.0, 160.0, 176.0, 192.0, 208.0, 224.0, 240.0,                                           // 0x70
    256.0, 288.0, 320.0, 352.0, 384.0, 416.0, 448.0, qnan,                                             // 0x78
};

constexpr std::array<double, 128> e5m2_table{
    0.0, 0.0000152587890625, 0.000030517578125, 0.0000457763671875,                  // 0x00
    0.00006103515625, 0.0000762939453125, 0.000091552734375, 0.0001068115234375,     // 0x04
    0.0001220703125, 0.000152587890625, 0.00018310546875, 0.000213623046875,         // 0x08
    0.000244140625, 0.00030517578125, 0.0003662109375, 0.00042724609375,             // 0x0c
    0.00048828125, 0.0006103515625, 0.000732421875, 0.0008544921875,                 // 0x10
    0.0009765625, 0.001220703125, 0.00146484375, 0.001708984375,                     // 0x14
    0.001953125, 0.00244140625, 0.0029296875, 0.00341796875,                         // 0x18
    0.00390625, 0.0048828125, 0.005859375, 0.0068359375,                             // 0x1c
    0.0078125, 0.009765625, 0.01171875, 0.013671875,                                 // 0x20
    0.015625, 0.01953125, 0.0234375, 0.02734375,                                     // 0x24
    0.03125, 0.0390625, 0.046875, 0.0546875,                                         // 0x28
    0.0625, 0.078125, 0.09375, 0.109375,                                             // 0x2c
    0.125, 0.15625, 0.1875, 0.21875,                                                 // 0x30
    0.25, 0.3125, 0.375, 0.4375,                                                     // 0x34
    0.5, 0.625, 0.75, 0.875,                                                         // 0x38
    1.0, 1.25, 1.5, 1.75,                                                            // 0x3c
    2.0, 2.5, 3.0, 3.5,                                                              // 0x40
    4.0, 5.0, 6.0, 7.0,                                                              // 0x44
    8.0, 10.0, 12.0, 14.0,                                                           // 0x48
    16.0, 20.0, 24.0, 28.0,                                                          // 0x4c
    32.0, 40.0, 48.0, 56.0,                                                          // 0x50
    64.0, 80.0, 96.0, 112.0,                                                         // 0x54
    128.0, 160.0, 192.0, 224.0,                                                      // 0x58
    256.0, 320.0, 384.0, 448.0,                                                      // 0x5c
    512.0, 640.0, 768.0, 896.0,                                                      // 0x60
    1024.0, 1280.0, 1536.0, 1792.0,                                                  // 0x64
    2048.0, 2560.0, 3072.0, 3584.0,                                                  // 0x68
    4096.0, 5120.0, 6144.0, 7168.0,                                                  // 0x6c
    8192.0, 10240.0, 12288.0, 14336.0,                                               // 0x70
    16384.0, 20480.0, 24576.0, 28672.0,                                              // 0x74
    32768.0, 40960.0, 49152.0, 57344.0,                                              // 0x78
    inf, qnan, qnan, qnan,                                                              // 0x7c
};

struct fp8_case {
    float_format format;
    const std::array<double, 128>& table;
    int exponent_bits, fraction_bits, bias;
    bool ocp_e4m3;             // no Inf; only S.1111.111 is NaN
    std::uint8_t max_encoding; // of the largest finite value
};

std::vector<fp8_case> fp8_cases() {
    return {{fp8_e4m3(), e4m3_table, 4, 3, 7, true, 0x7e}, {fp8_e5m2(), e5m2_table, 5, 2, 15, false, 0x7b}};
}

// The OCP arithmetic, evaluated: a second writing of the table above.
double ocp_value(const fp8_case& c, unsigned bits) {
    const unsigned e = (bits >> c.fraction_bits) & ((1u << c.exponent_bits) - 1);
    const unsigned m = bits & ((1u << c.fraction_bits) - 1);
    const double sign = bits & 0x80 ? -1.0 : 1.0;
    const unsigned all_ones_e = (1u << c.exponent_bits) - 1, all_ones_m = (1u << c.fraction_bits) - 1;
    if (c.ocp_e4m3 && e == all_ones_e && m == all_ones_m) return qnan;
    if (!c.ocp_e4m3 && e == all_ones_e) return m == 0 ? sign * inf : qnan;
    const double fraction = static_cast<double>(m) / (1u << c.fraction_bits);
    return sign * (e == 0 ? std::ldexp(fraction, 1 - c.bias) : std::ldexp(1.0 + fraction, static_cast<int>(e) - c.bias));
}

double table_value(const fp8_case& c, unsigned bits) {
    const double magnitude = c.table[bits & 0x7f];
    return bits & 0x80 ? -magnitude : magnitude;
}

bool same(double a, double b) { return (std::isnan(a) && std::isnan(b)) || (a == b && std::signbit(a) == std::signbit(b)); }

const char* mode_name(rounding_mode mode) { return short_name(mode).data(); }

// x rounded in `mode` must be `expected`, by every path: scalar from double,
// and from float when x is a float; round_array on double and float arrays at
// every SIMD level.
void check_rounds_to(const float_format& format, double x, rounding_mode mode, double expected,
                     std::uint32_t random = 0) {
    INFO(format.name << " " << mode_name(mode) << " x = " << x << " (" << std::hexfloat << x << std::defaultfloat
                     << "), expected " << expected);
    CHECK(same(round_to_format(x, format, mode, random), expected));
    const sr_stream sr{};  // SIMD path: only the deterministic modes are compared for a given x
    const bool as_float = static_cast<double>(static_cast<float>(x)) == x || std::isnan(x);
    if (as_float) CHECK(same(round_to_format(static_cast<float>(x), format, mode, random), expected));
    if (mode == rounding_mode::stochastic) return;
    for (isa level : supported_isas()) {
        INFO("round_array at " << isa_name(level));
        double out = 0;
        round_array(std::span<const double>(&x, 1), std::span<double>(&out, 1), format, mode, sr, level);
        CHECK(same(out, expected));
        if (as_float) {
            const float xf = static_cast<float>(x);
            float outf = 0;
            round_array(std::span<const float>(&xf, 1), std::span<float>(&outf, 1), format, mode, sr, level);
            CHECK(same(outf, expected));
        }
    }
}

constexpr rounding_mode all_modes[] = {rounding_mode::nearest_even, rounding_mode::toward_zero, rounding_mode::upward,
                                       rounding_mode::downward, rounding_mode::stochastic};

}  // namespace

TEST_CASE("fp8 known answers: the written-out tables are the OCP spec arithmetic", "[scalar][rounding][fp8]") {
    for (const auto& c : fp8_cases()) {
        for (unsigned bits = 0; bits < 256; ++bits) {
            INFO(c.format.name << " encoding 0x" << std::hex << bits);
            CHECK(same(table_value(c, bits), ocp_value(c, bits)));
        }
        INFO(c.format.name);
        CHECK(c.table[c.max_encoding] == c.format.max_finite());
    }
    CHECK(e4m3_table[0x7e] == 448.0);
    CHECK(e5m2_table[0x7b] == 57344.0);
    CHECK(e4m3_table[0x01] == 0x1p-9);   // smallest subnormal, 2^(1-7-3)
    CHECK(e5m2_table[0x01] == 0x1p-16);  // 2^(1-15-2)
    CHECK(e4m3_table[0x08] == 0x1p-6);   // smallest normal
    CHECK(e5m2_table[0x04] == 0x1p-14);
}

TEST_CASE("fp8 decode and encode agree with the OCP table on all 256 encodings", "[scalar][rounding][fp8]") {
    for (const auto& c : fp8_cases()) {
        std::vector<unsigned> nan_patterns;
        for (unsigned bits = 0; bits < 256; ++bits) {
            const double value = table_value(c, bits);
            INFO(c.format.name << " encoding 0x" << std::hex << bits << std::dec << " value " << value);
            CHECK(same(c.format.decode(bits), value));
            if (std::isnan(value)) {
                nan_patterns.push_back(bits);
            } else {
                CHECK(c.format.encode(value) == bits);
            }
        }
        INFO(c.format.name);
        // NaN encodes as one of the format's NaN patterns (the canonical quiet one).
        const auto nan_bits = c.format.encode(qnan);
        CHECK(std::isnan(c.format.decode(nan_bits)));
        CHECK(nan_bits == (c.ocp_e4m3 ? 0x7fu : 0x7eu));
        if (c.ocp_e4m3) {
            CHECK(nan_patterns == std::vector<unsigned>{0x7f, 0xff});
            CHECK_THROWS_AS(c.format.encode(inf), std::domain_error);
            CHECK_THROWS_AS(c.format.encode(480.0), std::domain_error);  // its pattern is NaN
        } else {
            CHECK(nan_patterns == std::vector<unsigned>{0x7d, 0x7e, 0x7f, 0xfd, 0xfe, 0xff});
            CHECK(c.format.encode(-inf) == 0xfcu);
        }
        CHECK_THROWS_AS(c.format.encode(c.table[1] / 2), std::domain_error);  // not a value of the format
    }
}

TEST_CASE("fp8: every value rounds to itself in every mode", "[scalar][rounding][fp8]") {
    for (const auto& c : fp8_cases()) {
        for (unsigned bits = 0; bits < 256; ++bits) {
            const double value = table_value(c, bits);
            if (std::isnan(value)) continue;
            for (rounding_mode mode : all_modes)
                for (std::uint32_t random : {0u, 1u, 0x80000000u, 0xffffffffu})
                    check_rounds_to(c.format, value, mode, value, random);
        }
    }
}

TEST_CASE("fp8: midpoints go to the even neighbour (rn) or the directed one; points beside them to the nearest",
          "[scalar][rounding][fp8]") {
    using rm = rounding_mode;
    for (const auto& c : fp8_cases()) {
        for (unsigned b = 0; b < c.max_encoding; ++b) {
            const double lo = c.table[b], hi = c.table[b + 1];
            const double mid = (lo + hi) / 2;  // exact: one bit more than the format
            const double even = b % 2 == 0 ? lo : hi;
            for (const double sign : {1.0, -1.0}) {
                check_rounds_to(c.format, sign * mid, rm::nearest_even, sign * even);
                check_rounds_to(c.format, sign * mid, rm::toward_zero, sign * lo);
                check_rounds_to(c.format, sign * mid, rm::upward, sign > 0 ? hi : -lo);
                check_rounds_to(c.format, sign * mid, rm::downward, sign > 0 ? lo : -hi);
                // beside the midpoint, in double and in float
                for (const double below : {std::nextafter(mid, 0.0), static_cast<double>(std::nextafter(
                                                                         static_cast<float>(mid), 0.0f))}) {
                    check_rounds_to(c.format, sign * below, rm::nearest_even, sign * lo);
                    check_rounds_to(c.format, sign * below, rm::toward_zero, sign * lo);
                }
                for (const double above : {std::nextafter(mid, inf), static_cast<double>(std::nextafter(
                                                                         static_cast<float>(mid), INFINITY))}) {
                    check_rounds_to(c.format, sign * above, rm::nearest_even, sign * hi);
                    check_rounds_to(c.format, sign * above, rm::toward_zero, sign * lo);
                }
                // just above lo and just below hi: the directed modes pick by side alone
                const double above_lo = std::nextafter(lo, inf), below_hi = std::nextafter(hi, 0.0);
                check_rounds_to(c.format, sign * above_lo, rm::nearest_even, sign * lo);
                check_rounds_to(c.format, sign * above_lo, rm::upward, sign > 0 ? hi : -lo);
                check_rounds_to(c.format, sign * above_lo, rm::downward, sign > 0 ? lo : -hi);
                check_rounds_to(c.format, sign * below_hi, rm::nearest_even, sign * hi);
                check_rounds_to(c.format, sign * below_hi, rm::toward_zero, sign * lo);
            }
        }
    }
}

TEST_CASE("fp8e4m3 overflow: 448 stays, the tie 464 goes to the even 448, beyond is NaN; saturation clamps",
          "[scalar][rounding][fp8]") {
    using rm = rounding_mode;
    const auto e4m3 = fp8_e4m3();
    auto saturating = fp8_e4m3();
    saturating.overflow = overflow_rule::saturate;
    struct known {
        double x;
        rm mode;
        double expected, expected_saturating;
    };
    const known table[] = {
        {448.0, rm::nearest_even, 448.0, 448.0},
        {464.0, rm::nearest_even, 448.0, 448.0},  // tie between 448 (1.110b) and 480 (1.111b, the NaN pattern)
        {std::nextafter(464.0, 0.0), rm::nearest_even, 448.0, 448.0},
        {std::nextafter(464.0, inf), rm::nearest_even, qnan, 448.0},
        {465.0, rm::nearest_even, qnan, 448.0},
        {480.0, rm::nearest_even, qnan, 448.0},
        {512.0, rm::nearest_even, qnan, 448.0},
        {1e30, rm::nearest_even, qnan, 448.0},
        {-465.0, rm::nearest_even, -qnan, -448.0},
        {500.0, rm::toward_zero, 448.0, 448.0},
        {1e30, rm::toward_zero, 448.0, 448.0},
        {449.0, rm::upward, qnan, 448.0},
        {449.0, rm::downward, 448.0, 448.0},
        {-449.0, rm::upward, -448.0, -448.0},
        {-449.0, rm::downward, -qnan, -448.0},
        {inf, rm::nearest_even, qnan, 448.0},  // no Inf in E4M3
        {-inf, rm::toward_zero, -qnan, -448.0},
        {qnan, rm::nearest_even, qnan, qnan},
        {0x1p-10, rm::nearest_even, 0.0, 0.0},         // half the smallest subnormal: tie to 0
        {3 * 0x1p-10, rm::nearest_even, 0x1p-8, 0x1p-8},  // tie between 2^-9 (odd) and 2^-8
        {-0.0, rm::upward, -0.0, -0.0},
    };
    for (const auto& k : table) {
        check_rounds_to(e4m3, k.x, k.mode, k.expected);
        check_rounds_to(saturating, k.x, k.mode, k.expected_saturating);
    }
}

TEST_CASE("fp8e5m2 overflow: below 61440 to 57344; 61440 and beyond to Inf (IEEE 754 ties-to-even at the threshold)",
          "[scalar][rounding][fp8]") {
    // 61440 = 2^15 * (2 - 2^-3) is the midpoint between max = 1.11b * 2^15
    // (odd significand) and 2^16: ties-to-even takes 2^16, which overflows,
    // and IEEE 754 (7.4) rounds any magnitude >= b^emax * (b - b^(1-p)/2) to
    // Inf in round-to-nearest. E5M2 follows IEEE 754 (OCP OFP8 section 4),
    // like fp16's 65520 -> Inf, which F16C hardware confirms.
    using rm = rounding_mode;
    const auto e5m2 = fp8_e5m2();
    struct known {
        double x;
        rm mode;
        double expected;
    };
    const known table[] = {
        {57344.0, rm::nearest_even, 57344.0},
        {std::nextafter(61440.0, 0.0), rm::nearest_even, 57344.0},
        {61440.0, rm::nearest_even, inf},
        {-61440.0, rm::nearest_even, -inf},
        {61441.0, rm::nearest_even, inf},
        {65536.0, rm::nearest_even, inf},
        {1e30, rm::toward_zero, 57344.0},
        {57345.0, rm::upward, inf},
        {57345.0, rm::downward, 57344.0},
        {-57345.0, rm::upward, -57344.0},
        {-57345.0, rm::downward, -inf},
        {inf, rm::toward_zero, inf},  // Inf is exact
        {0x1p-17, rm::nearest_even, 0.0},  // half the smallest subnormal
        {std::nextafter(0x1p-17, 1.0), rm::nearest_even, 0x1p-16},
    };
    for (const auto& k : table) check_rounds_to(e5m2, k.x, k.mode, k.expected);
    auto saturating = fp8_e5m2();
    saturating.overflow = overflow_rule::saturate;
    check_rounds_to(saturating, 61440.0, rm::nearest_even, 57344.0);
    check_rounds_to(saturating, 1e30, rm::upward, 57344.0);
}
