#pragma once
// Rounding whole arrays to a format: the hot path of every emulated
// operation. Vectorized with xsimd on the instruction set active_isa() chose;
// bit for bit the same as round_to_format() element by element, for every
// mode, stochastic rounding included (element i draws sr.bits(sr.offset + i)).

#include <optional>
#include <span>

#include "gradlab/platform/isa.hpp"
#include "gradlab/scalar/float_format.hpp"
#include "gradlab/scalar/round_to_format.hpp"
#include "gradlab/scalar/rounding_mode.hpp"

namespace gradlab {

// out[i] = in[i] rounded to the format; `in` and `out` may be the same span.
// Throws std::invalid_argument when the sizes differ or, for float arrays,
// when the format has values that are not binary32 values.
// `level` is the instruction set to use (isa::generic: the scalar reference);
// callers choose it once, high up, and the overloads without it use active_isa().
// Stochastic rounding needs a stream, one per tensor and step: with the same
// stream, every call would draw the same bits for the same index. Throws
// std::invalid_argument when it is missing or when `level` is not supported.
void round_array(std::span<const float> in, std::span<float> out, const float_format& format,
                 rounding_mode mode, const std::optional<sr_stream>& sr, isa level);
void round_array(std::span<const double> in, std::span<double> out, const float_format& format,
                 rounding_mode mode, const std::optional<sr_stream>& sr, isa level);

inline void round_array(std::span<const float> in, std::span<float> out, const float_format& format,
                        rounding_mode mode, const std::optional<sr_stream>& sr = std::nullopt) {
    round_array(in, out, format, mode, sr, active_isa());
}
inline void round_array(std::span<const double> in, std::span<double> out, const float_format& format,
                        rounding_mode mode, const std::optional<sr_stream>& sr = std::nullopt) {
    round_array(in, out, format, mode, sr, active_isa());
}

}  // namespace gradlab
