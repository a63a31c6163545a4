#pragma once
// What the elementwise and activation entry points share: argument checks and
// the choice of the SIMD kernel instantiation for an instruction set.

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>

#include <xsimd/xsimd.hpp>

#include "gradlab/platform/isa.hpp"
#include "gradlab/scalar/float_format.hpp"
#include "gradlab/scalar/round_to_format.hpp"
#include "gradlab/scalar/rounding_mode.hpp"

namespace gradlab::kernels_detail {

inline void require_same_size(const char* function, std::size_t a, std::size_t b) {
    if (a != b)
        throw std::invalid_argument(std::string(function) + ": spans of " + std::to_string(a) + " and " +
                                    std::to_string(b) + " elements");
}

inline void require_float_storage(const char* function, const float_format& format) {
    if (!format.fits_in_float())
        throw std::invalid_argument(std::string(function) + ": " + format.name +
                                    " has values that are not floats; emulated formats are stored as float here");
}

// Stochastic rounding needs a stream of its own: a default one would draw the
// same bits for the same index in every call.
inline void require_stream_for_stochastic(const char* function, rounding_mode mode,
                                          const std::optional<sr_stream>& sr) {
    if (mode == rounding_mode::stochastic && !sr)
        throw std::invalid_argument(std::string(function) +
                                    ": stochastic rounding needs an sr_stream (one per tensor and step)");
}

// The random stream of the elements from `start` on.
inline sr_stream advanced(sr_stream sr, std::size_t start) {
    sr.offset += start;
    return sr;
}

// run.template operator()<Arch>() with the xsimd architecture of `level`
// (any level but generic; levels this build lacks fall back to the baseline).
template <class Run>
void with_arch(isa level, Run&& run) {
    switch (level) {
#if defined(GRADLAB_HAVE_AVX512)
        case isa::avx512: return run.template operator()<xsimd::avx512bw>();
#endif
#if defined(GRADLAB_HAVE_AVX2)
        case isa::avx2: return run.template operator()<xsimd::avx2>();
#endif
        default: return run.template operator()<xsimd::default_arch>();
    }
}

}  // namespace gradlab::kernels_detail
