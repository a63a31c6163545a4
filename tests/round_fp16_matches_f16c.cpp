// fp16 rounding from float against the hardware: the F16C instruction
// VCVTPS2PH is an IEEE 754 binary32 -> binary16 conversion in the four IEEE
// rounding modes, so it is an oracle independent of our code. Checked:
//   - named edge cases with their expected fp16 encodings written out,
//   - >= 10,000 edge and random floats, scalar and every SIMD level,
//     compared through float_format::encode,
//   - every one of the 2^32 float bit patterns through round_array in
//     round-to-nearest-even, and a large stride of them in the directed modes.
// The instruction is compiled for F16C by a function attribute, so no build
// flag is needed; on a CPU without F16C the tests are skipped with a warning.

#include <catch2/catch.hpp>

#include <immintrin.h>

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cmath>
#include <ctime>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include "gradlab/scalar/round_array.hpp"
#include "support/edge_values.hpp"

using namespace gradlab;

namespace {

bool cpu_has_f16c() {
    __builtin_cpu_init();
    return __builtin_cpu_supports("f16c");
}

// x86 rounding-control immediates of VCVTPS2PH (bit 2 clear: the immediate,
// not MXCSR, chooses the mode).
constexpr int f16c_rn = _MM_FROUND_TO_NEAREST_INT;
constexpr int f16c_rz = _MM_FROUND_TO_ZERO;
constexpr int f16c_ru = _MM_FROUND_TO_POS_INF;
constexpr int f16c_rd = _MM_FROUND_TO_NEG_INF;

// fp16 encodings of in[i], rounded by the hardware.
template <int Rounding>
__attribute__((target("f16c"))) void f16c_encode(const float* in, std::uint16_t* out, std::size_t n) {
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const __m128i h = _mm_cvtps_ph(_mm_loadu_ps(in + i), Rounding);
        _mm_storel_epi64(reinterpret_cast<__m128i*>(out + i), h);
    }
    for (; i < n; ++i) {
        const __m128i h = _mm_cvtps_ph(_mm_set_ss(in[i]), Rounding);
        out[i] = static_cast<std::uint16_t>(_mm_cvtsi128_si32(h));
    }
}

// How many of ours[i] differ from in[i] rounded to fp16 by the hardware and
// widened back to float (exactly: every fp16 value is a float), 8 lanes at a
// time for the exhaustive sweep. Equal means bitwise equal, any NaN equal to
// any NaN: for non-NaN floats, equal values with equal signs have equal bits.
template <int Rounding>
__attribute__((target("f16c"), always_inline)) inline int f16c_count_mismatches_8(const float* in, const float* ours) {
    const __m256 o = _mm256_loadu_ps(ours);
    const __m256 h = _mm256_cvtph_ps(_mm256_cvtps_ph(_mm256_loadu_ps(in), Rounding));
    const int equal = _mm256_movemask_ps(_mm256_cmp_ps(o, h, _CMP_EQ_OQ));
    const int sign_differs = _mm256_movemask_ps(_mm256_xor_ps(o, h));
    const int both_nan =
        _mm256_movemask_ps(_mm256_cmp_ps(o, o, _CMP_UNORD_Q)) & _mm256_movemask_ps(_mm256_cmp_ps(h, h, _CMP_UNORD_Q));
    return __builtin_popcount(~((equal & ~sign_differs) | both_nan) & 0xff);
}

template <int Rounding>
__attribute__((target("f16c"))) std::size_t f16c_count_mismatches(const float* in, const float* ours, std::size_t n) {
    std::size_t mismatches = 0, i = 0;
    for (; i + 8 <= n; i += 8) mismatches += f16c_count_mismatches_8<Rounding>(in + i, ours + i);
    if (i < n) {
        float in_tail[8] = {}, ours_tail[8] = {};
        std::copy(in + i, in + n, in_tail);
        std::copy(ours + i, ours + n, ours_tail);
        mismatches += f16c_count_mismatches_8<Rounding>(in_tail, ours_tail);
    }
    return mismatches;
}

__attribute__((target("f16c"))) float f16c_decode(std::uint16_t h) {
    return _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(h)));
}

std::vector<std::uint16_t> f16c_encode(const std::vector<float>& in, rounding_mode mode) {
    std::vector<std::uint16_t> out(in.size());
    switch (mode) {
        case rounding_mode::nearest_even: f16c_encode<f16c_rn>(in.data(), out.data(), in.size()); break;
        case rounding_mode::toward_zero: f16c_encode<f16c_rz>(in.data(), out.data(), in.size()); break;
        case rounding_mode::upward: f16c_encode<f16c_ru>(in.data(), out.data(), in.size()); break;
        case rounding_mode::downward: f16c_encode<f16c_rd>(in.data(), out.data(), in.size()); break;
        case rounding_mode::stochastic: FAIL("F16C has no stochastic rounding");
    }
    return out;
}

std::size_t f16c_count_mismatches(const float* in, const float* ours, std::size_t n, rounding_mode mode) {
    switch (mode) {
        case rounding_mode::nearest_even: return f16c_count_mismatches<f16c_rn>(in, ours, n);
        case rounding_mode::toward_zero: return f16c_count_mismatches<f16c_rz>(in, ours, n);
        case rounding_mode::upward: return f16c_count_mismatches<f16c_ru>(in, ours, n);
        case rounding_mode::downward: return f16c_count_mismatches<f16c_rd>(in, ours, n);
        case rounding_mode::stochastic: break;
    }
    FAIL("F16C has no stochastic rounding");
    return 0;
}

constexpr std::array<rounding_mode, 4> ieee_modes{rounding_mode::nearest_even, rounding_mode::toward_zero,
                                                   rounding_mode::upward, rounding_mode::downward};

bool is_fp16_nan(std::uint16_t h) { return (h & 0x7c00) == 0x7c00 && (h & 0x03ff) != 0; }

// Our fp16 result, encoded, equals the hardware's encoding (NaN: NaN-ness only).
bool encodes_as(double ours, std::uint16_t hardware) {
    if (is_fp16_nan(hardware)) return std::isnan(ours);
    if (std::isnan(ours)) return false;
    try {
        return binary16().encode(ours) == hardware;
    } catch (const std::domain_error&) {  // ours is not an fp16 value at all
        return false;
    }
}

// The inputs of the >= 10,000-value test: the support edge values and the named edges.
std::vector<float> named_and_edge_inputs() {
    std::vector<float> in = test::edge_values<float>(binary16(), 20000, 16);
    const float pieces[] = {
        1.0f + 0x1p-11f,                  // tie between 1 and 1+2^-10: to 1 (even)
        1.0f + 3 * 0x1p-11f,              // tie between 1+2^-10 and 1+2^-9: to 1+2^-9 (even)
        2.0f - 0x1p-11f,                  // tie below 2: rounds up into the next binade
        2.0f - 0x1p-12f,                  // above that tie: 2
        65504.0f,                         // largest finite
        65519.99609375f,                  // just below the overflow threshold 65520
        65520.0f,                         // the threshold: a tie, to Inf
        65520.00390625f,                  // just above it
        65536.0f, 1e10f,
        0x1p-24f,                         // smallest subnormal
        0x1p-25f,                         // half of it: a tie, to 0
        std::nextafter(0x1p-25f, 0.0f),   // below half: 0
        std::nextafter(0x1p-25f, 1.0f),   // above half: 2^-24
        3 * 0x1p-25f,                     // tie between 2^-24 and 2^-23: to 2^-23 (even)
        0x1p-14f - 0x1p-25f,              // tie above the largest subnormal: up to 2^-14
        0x1p-14f, 0x1p-126f, 0x1p-149f,   // smallest normal; float's smallest normal and subnormal
        0.0f, -0.0f,
        std::numeric_limits<float>::infinity(),
        std::numeric_limits<float>::quiet_NaN(),
        std::numeric_limits<float>::signaling_NaN(),
        std::bit_cast<float>(0x7f800001u), std::bit_cast<float>(0xffc00123u),
        std::numeric_limits<float>::max(),
    };
    for (float p : pieces) {
        in.push_back(p);
        in.push_back(-p);
    }
    return in;
}

}  // namespace

TEST_CASE("fp16 rounding: named edge cases give the known encodings and agree with F16C",
          "[scalar][rounding][fp16][f16c]") {
    struct known {
        float x;
        rounding_mode mode;
        std::uint16_t bits;
    };
    using rm = rounding_mode;
    const known table[] = {
        {1.0f + 0x1p-11f, rm::nearest_even, 0x3c00},
        {1.0f + 3 * 0x1p-11f, rm::nearest_even, 0x3c02},
        {2.0f - 0x1p-11f, rm::nearest_even, 0x4000},
        {65504.0f, rm::nearest_even, 0x7bff},
        {65519.99609375f, rm::nearest_even, 0x7bff},
        {65520.0f, rm::nearest_even, 0x7c00},
        {65520.0f, rm::toward_zero, 0x7bff},
        {65520.0f, rm::downward, 0x7bff},
        {65520.0f, rm::upward, 0x7c00},
        {-65520.0f, rm::nearest_even, 0xfc00},
        {-65520.0f, rm::upward, 0xfbff},
        {-65520.0f, rm::downward, 0xfc00},
        {1e10f, rm::toward_zero, 0x7bff},
        {std::numeric_limits<float>::infinity(), rm::toward_zero, 0x7c00},  // Inf is exact: stays Inf
        {0x1p-24f, rm::nearest_even, 0x0001},
        {0x1p-25f, rm::nearest_even, 0x0000},
        {std::nextafter(0x1p-25f, 1.0f), rm::nearest_even, 0x0001},
        {-0x1p-25f, rm::nearest_even, 0x8000},
        {0x1p-149f, rm::upward, 0x0001},
        {0x1p-149f, rm::toward_zero, 0x0000},
        {-0x1p-149f, rm::downward, 0x8001},
        {3 * 0x1p-25f, rm::nearest_even, 0x0002},
        {0x1p-14f - 0x1p-25f, rm::nearest_even, 0x0400},
        {-0.0f, rm::nearest_even, 0x8000},
        {-0.0f, rm::upward, 0x8000},
    };
    for (const auto& k : table) {
        INFO("x = " << k.x << " (" << std::hexfloat << k.x << std::defaultfloat << ") mode " << short_name(k.mode)
                    << ", expected 0x" << std::hex << k.bits);
        CHECK(binary16().encode(round_to_format(k.x, binary16(), k.mode)) == k.bits);
        float out = 0;
        round_array(std::span<const float>(&k.x, 1), std::span<float>(&out, 1), binary16(), k.mode);
        CHECK(binary16().encode(out) == k.bits);
    }
    CHECK(std::isnan(round_to_format(std::numeric_limits<float>::quiet_NaN(), binary16(), rm::nearest_even)));

    if (!cpu_has_f16c()) {
        WARN("CPU lacks F16C: the hardware comparison is skipped");
        return;
    }
    // The fast comparison of the exhaustive sweep sees what it must: a wrong
    // value, a wrong sign of zero, a NaN for a number; and equates NaNs.
    const float in[] = {1.0f + 0x1p-11f, -0.0f, 1.0f, 2.0f, NAN, NAN, 3.0f, 5.0f, 0x1p-25f};
    const float ours[] = {1.0f + 0x1p-10f, 0.0f, NAN, 2.0f, -NAN, NAN, 3.0f, 5.0f, 0.0f};
    CHECK(f16c_count_mismatches(in, ours, 9, rm::nearest_even) == 3);
    for (const auto& k : table) {
        INFO("x = " << std::hexfloat << k.x << " mode " << short_name(k.mode));
        CHECK(f16c_encode(std::vector<float>{k.x}, k.mode)[0] == k.bits);  // the table itself is right
    }
}

TEST_CASE("fp16 rounding of edge and random floats agrees with F16C bit for bit, every IEEE mode, scalar and SIMD",
          "[scalar][rounding][fp16][f16c]") {
    if (!cpu_has_f16c()) {
        WARN("CPU lacks F16C: skipped");
        return;
    }
    const std::vector<float> in = named_and_edge_inputs();
    REQUIRE(in.size() >= 10000);
    for (rounding_mode mode : ieee_modes) {
        const std::vector<std::uint16_t> hardware = f16c_encode(in, mode);
        std::size_t mismatches = 0;
        for (std::size_t i = 0; i < in.size(); ++i) {
            const double ours = round_to_format(in[i], binary16(), mode);
            if (!encodes_as(ours, hardware[i]) && mismatches++ < 5) {
                FAIL_CHECK("scalar " << short_name(mode) << ": x = " << std::hexfloat << in[i] << " gives " << ours
                                     << ", F16C 0x" << std::hex << hardware[i]);
            }
        }
        CHECK(mismatches == 0);
        for (isa level : supported_isas()) {
            std::vector<float> out(in.size());
            round_array(in, out, binary16(), mode, {}, level);
            std::size_t simd_mismatches = 0;
            for (std::size_t i = 0; i < in.size(); ++i) {
                if (!encodes_as(out[i], hardware[i]) && simd_mismatches++ < 5) {
                    FAIL_CHECK("round_array " << isa_name(level) << " " << short_name(mode) << ": x = "
                                              << std::hexfloat << in[i] << " gives " << out[i] << ", F16C 0x"
                                              << std::hex << hardware[i]);
                }
            }
            CHECK(simd_mismatches == 0);
        }
    }
}

TEST_CASE("fp16 encode and decode agree with F16C's widening on all 65536 encodings",
          "[scalar][rounding][fp16][f16c]") {
    // This makes the exhaustive sweep below, which compares floats, a
    // comparison of encodings: ours == F16C's decode(h) and encode(decode(h)) == h.
    if (!cpu_has_f16c()) {
        WARN("CPU lacks F16C: skipped");
        return;
    }
    std::size_t mismatches = 0;
    for (std::uint32_t h = 0; h < 65536; ++h) {
        const auto bits = static_cast<std::uint16_t>(h);
        const float hardware = f16c_decode(bits);
        const double ours = binary16().decode(bits);
        const bool ok = is_fp16_nan(bits) ? std::isnan(hardware) && std::isnan(ours)
                                          : test::same_value(static_cast<double>(hardware), ours) &&
                                                binary16().encode(hardware) == bits;
        if (!ok && mismatches++ < 5) FAIL_CHECK("encoding 0x" << std::hex << h << ": ours " << ours << ", F16C " << hardware);
    }
    CHECK(mismatches == 0);
}

TEST_CASE("fp16 round_array agrees with F16C on every float bit pattern (rn) and a stride of them (rz, ru, rd)",
          "[scalar][rounding][fp16][f16c][exhaustive]") {
    if (!cpu_has_f16c()) {
        WARN("CPU lacks F16C: skipped");
        return;
    }
    // With AVX2 or AVX-512, all 2^32 patterns in round-to-nearest-even
    // (about 4 s on one core) and every 7th in the directed modes (odd
    // strides, so every residue of every bit field is hit). Where GRADLAB_ISA
    // caps round_array at SSE2 (4x slower) or the scalar loop (60x slower),
    // larger strides keep the test within a few seconds.
    struct sweep {
        rounding_mode mode;
        std::uint64_t stride;
    };
    // Sanitizer builds run the same sweep about 30x slower: an odd factor
    // thins it the same way.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    constexpr std::uint64_t instrumented = 31;
#else
    constexpr std::uint64_t instrumented = 1;
#endif
    const bool wide_simd = active_isa() == isa::avx2 || active_isa() == isa::avx512;
    const std::uint64_t rn_stride = instrumented * (wide_simd ? 1 : active_isa() == isa::sse2 ? 5 : 61);
    const std::uint64_t directed_stride = instrumented * (wide_simd ? 7 : active_isa() == isa::sse2 ? 31 : 61);
    for (const sweep s : {sweep{rounding_mode::nearest_even, rn_stride}, sweep{rounding_mode::toward_zero, directed_stride},
                          sweep{rounding_mode::upward, directed_stride}, sweep{rounding_mode::downward, directed_stride}}) {
        const auto start = std::chrono::steady_clock::now();
        const std::clock_t cpu_start = std::clock();
        constexpr std::size_t chunk = 4096;  // in and out stay in L1
        std::vector<float> in(chunk), ours(chunk);
        std::uint64_t mismatches = 0, checked = 0;
        for (std::uint64_t first = 0; first < (std::uint64_t{1} << 32); first += chunk * s.stride) {
            const auto n = static_cast<std::size_t>(
                std::min<std::uint64_t>(chunk, ((std::uint64_t{1} << 32) - first + s.stride - 1) / s.stride));
            for (std::size_t i = 0; i < n; ++i)
                in[i] = std::bit_cast<float>(static_cast<std::uint32_t>(first + i * s.stride));
            round_array(std::span<const float>(in.data(), n), std::span<float>(ours.data(), n), binary16(), s.mode);
            const std::size_t bad = f16c_count_mismatches(in.data(), ours.data(), n, s.mode);
            for (std::size_t i = 0; i < n && bad != 0 && mismatches < 5; ++i) {
                const auto hardware = f16c_encode(std::vector<float>{in[i]}, s.mode)[0];
                if (!encodes_as(ours[i], hardware) && ++mismatches)
                    FAIL_CHECK(short_name(s.mode) << ": x = " << std::hexfloat << in[i] << " gives " << ours[i]
                                                  << ", F16C 0x" << std::hex << hardware);
            }
            mismatches += bad;
            checked += n;
        }
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        const double cpu_seconds = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
        WARN(short_name(s.mode) << ": " << checked << " float patterns through round_array (" << isa_name(active_isa())
                                << ") vs F16C: " << seconds << " s, " << cpu_seconds << " s of CPU");
        CHECK(checked == ((std::uint64_t{1} << 32) + s.stride - 1) / s.stride);
        CHECK(mismatches == 0);
    }
}
