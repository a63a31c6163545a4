#include "gradlab/scalar/round_array.hpp"

#include <algorithm>
#include <bit>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "gradlab/platform/gradual_underflow_scope.hpp"
#include "gradlab/platform/isa.hpp"
#include "gradlab/scalar/simd/round_array_kernel.hpp"

#include <xsimd/xsimd.hpp>

namespace gradlab {

namespace {

template <class T>
typename simd::ieee_layout<T>::bits encoding(T value) {
    return std::bit_cast<typename simd::ieee_layout<T>::bits>(value);
}

template <class T>
void round_array_any(std::span<const T> in, std::span<T> out, const float_format& format, rounding_mode mode,
                     const std::optional<sr_stream>& stream, isa level) {
    if (in.size() != out.size())
        throw std::invalid_argument("round_array: input has " + std::to_string(in.size()) + " elements, output " +
                                    std::to_string(out.size()));
    if constexpr (std::is_same_v<T, float>) {
        if (!format.fits_in_float())
            throw std::invalid_argument("round_array: " + format.name + " has values that are not binary32 values; "
                                        "round double arrays to it");
    }
    if (mode == rounding_mode::stochastic && !stream)
        throw std::invalid_argument("round_array: stochastic rounding needs an sr_stream (one per tensor and step)");
    const sr_stream sr = stream.value_or(sr_stream{});
    require_supported_isa(level, "round_array");
    // Casts to float and the kernel's constants must keep exact subnormals.
    const gradual_underflow_scope exact_subnormals;
    // The kernel needs at least one bit to drop (a format as wide as T is T)
    // and the format's normal range inside T's.
    const int bias = std::numeric_limits<T>::max_exponent - 1;
    if (level == isa::generic || format.precision > simd::ieee_layout<T>::fraction_bits || format.emin + bias < 1) {
        for (std::size_t i = 0; i < in.size(); ++i)
            out[i] = static_cast<T>(round_to_format(in[i], format, mode, sr.bits(sr.offset + i)));
        return;
    }
    const auto k = simd::rounding_constants_for<T>(format);
    switch (level) {
#if defined(GRADLAB_HAVE_AVX512)
        case isa::avx512:
            return simd::round_array_kernel<xsimd::avx512bw, T>(in.data(), out.data(), in.size(), k, mode, sr);
#endif
#if defined(GRADLAB_HAVE_AVX2)
        case isa::avx2:
            return simd::round_array_kernel<xsimd::avx2, T>(in.data(), out.data(), in.size(), k, mode, sr);
#endif
        default:
            return simd::round_array_kernel<xsimd::default_arch, T>(in.data(), out.data(), in.size(), k, mode, sr);
    }
}

}  // namespace

// For lanes of T: the encodings of the format's thresholds, as the kernel wants them.
template <class T>
simd::rounding_constants<T> simd::rounding_constants_for(const float_format& format) {
    constexpr int F = simd::ieee_layout<T>::fraction_bits;
    const int bias = std::numeric_limits<T>::max_exponent - 1;
    const auto max_finite = static_cast<T>(format.max_finite());
    const T overflow = format.overflow == overflow_rule::infinity ? std::numeric_limits<T>::infinity()
                       : format.overflow == overflow_rule::nan     ? std::numeric_limits<T>::quiet_NaN()
                                                                   : max_finite;
    return {
        .base_shift = F + 1 - format.precision,
        .emin_biased = format.emin + bias,
        .emax_biased = format.emax + bias,
        .min_subnormal = encoding(static_cast<T>(format.min_subnormal())),
        .min_normal = encoding(static_cast<T>(format.min_normal())),
        .max_finite = encoding(max_finite),
        .overflow = encoding(overflow),
        .infinity = encoding(format.has_infinity ? std::numeric_limits<T>::infinity() : overflow),
        .nan = encoding(std::numeric_limits<T>::quiet_NaN()),
        .flush_subnormals = !format.subnormals,
    };
}

template simd::rounding_constants<float> simd::rounding_constants_for<float>(const float_format&);
template simd::rounding_constants<double> simd::rounding_constants_for<double>(const float_format&);

void round_array(std::span<const float> in, std::span<float> out, const float_format& format, rounding_mode mode,
                 const std::optional<sr_stream>& sr, isa level) {
    round_array_any(in, out, format, mode, sr, level);
}

void round_array(std::span<const double> in, std::span<double> out, const float_format& format,
                 rounding_mode mode, const std::optional<sr_stream>& sr, isa level) {
    round_array_any(in, out, format, mode, sr, level);
}

}  // namespace gradlab
