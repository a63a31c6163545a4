#pragma once
// Binary64 values built from integers with bit operations, so that exact
// subnormal results do not depend on the FPU's flush-to-zero mode.

#include <bit>
#include <cstdint>

namespace gradlab::detail {

// m * 2^q, which must be a binary64 value (m <= 2^53, q >= -1074).
inline double compose_binary64(std::uint64_t m, std::int64_t q) {
    if (m == 0) return 0.0;
    const int top = std::bit_width(m) - 1;  // m in [2^top, 2^(top+1))
    const std::int64_t exponent = q + top;
    if (exponent < -1022) return std::bit_cast<double>(m << (q + 1074));  // subnormal
    const std::uint64_t fraction = (top <= 52 ? m << (52 - top) : m >> (top - 52)) & ((std::uint64_t{1} << 52) - 1);
    return std::bit_cast<double>((static_cast<std::uint64_t>(exponent + 1023) << 52) | fraction);
}

inline double with_sign(double magnitude, bool negative) {
    return std::bit_cast<double>(std::bit_cast<std::uint64_t>(magnitude) | (negative ? std::uint64_t{1} << 63 : 0));
}

}  // namespace gradlab::detail
