#pragma once
// Inputs that exercise every edge of rounding to a format: each representable
// value and its neighbours in T, every midpoint between neighbours and the
// values just beside it, the overflow threshold, the subnormal range down to
// half the smallest subnormal, signed zeros, Inf and NaN, plus random bit
// patterns of T.

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "gradlab/scalar/float_format.hpp"

namespace gradlab::test {

template <class T>
std::vector<T> edge_values(const float_format& format, std::size_t random_count, std::uint64_t seed = 1) {
    std::vector<T> values;
    const auto push_around = [&](double v) {
        const T t = static_cast<T>(v);
        for (T x : {t, std::nextafter(t, T(0)), std::nextafter(t, std::numeric_limits<T>::infinity())}) {
            values.push_back(x);
            values.push_back(-x);
        }
    };
    // Positive values of the format in increasing order, by walking the
    // exponent range: subnormals, then each binade.
    std::vector<double> grid;
    const int steps = 1 << (format.precision - 1);
    const auto max_enumerated = std::size_t{1} << 16;
    for (int e = format.emin - 1; e <= format.emax && grid.size() < max_enumerated; ++e) {
        const double spacing = std::ldexp(1.0, std::max(e, format.emin) - format.precision + 1);
        const double start = e < format.emin ? 0.0 : std::ldexp(1.0, e);
        for (int i = e < format.emin ? 1 : 0; i < steps && grid.size() < max_enumerated; ++i) {
            const double v = start + i * spacing;
            if (v > format.max_finite()) break;
            grid.push_back(v);
        }
    }
    for (std::size_t i = 0; i < grid.size(); ++i) {
        push_around(grid[i]);
        const double next = i + 1 < grid.size() ? grid[i + 1] : 2 * grid[i] - grid[i - 1];
        push_around((grid[i] + next) / 2);  // midpoints, and past max: the overflow threshold
    }
    push_around(format.min_subnormal() / 2);
    push_around(format.min_subnormal() / 4);
    push_around(format.min_subnormal() * 0.75);
    push_around(std::ldexp(1.0, format.emax + 1));
    for (T special : {T(0), std::numeric_limits<T>::infinity(), std::numeric_limits<T>::quiet_NaN(),
                      std::numeric_limits<T>::max(), std::numeric_limits<T>::denorm_min(),
                      std::numeric_limits<T>::min()}) {
        values.push_back(special);
        values.push_back(-special);
    }
    using U = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
    std::mt19937_64 rng(seed);
    for (std::size_t i = 0; i < random_count; ++i) {
        values.push_back(std::bit_cast<T>(static_cast<U>(rng())));
        // and values of the format's own magnitude, where most of the work is
        const double magnitude = std::ldexp(std::uniform_real_distribution<double>(1, 2)(rng),
                                            std::uniform_int_distribution<int>(format.emin - format.precision - 2,
                                                                               format.emax + 1)(rng));
        values.push_back(static_cast<T>(rng() & 1 ? magnitude : -magnitude));
    }
    return values;
}

// Bitwise equality, NaNs included: both rounding paths give the canonical
// quiet NaN, with the sign of the input when it comes from overflow.
template <class T>
bool same_value(T a, T b) {
    using U = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
    return std::bit_cast<U>(a) == std::bit_cast<U>(b);
}

}  // namespace gradlab::test
