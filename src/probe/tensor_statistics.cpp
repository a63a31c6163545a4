#include "gradlab/probe/tensor_statistics.hpp"

#include <cmath>

#include "element_reading.hpp"

namespace gradlab::probe {

namespace {

using namespace detail;

template <class X>
tensor_statistics statistics_of(std::span<const X> x, const value_census& census) {
    return {.count = x.size(),
            .l2_norm = reduced(x, l2_norm_of),
            .max_abs = reduced(x, max_abs_of),
            .min_nonzero_abs = reduced(x, min_nonzero_abs_of),
            .census = census,
            .saturated = std::nullopt};
}

template <class X, class Saturated>
std::size_t count_where(std::span<const X> y, Saturated saturated) {
    std::size_t n = 0;
    for (const X& v : y) n += saturated(to_double(v)) ? 1 : 0;
    return n;
}

// Every comparison is false for NaN, so NaN is never saturated.
template <class X>
std::optional<std::size_t> saturated_in(const activation& f, std::span<const X> y) {
    const auto count = [&](auto saturated) { return std::optional(count_where(y, saturated)); };
    switch (f.kind) {
        case activation_kind::sigmoid: return count([](double v) { return v * (1 - v) < 0.01 * 0.25; });
        case activation_kind::tanh: return count([](double v) { return 1 - v * v < 0.01; });
        case activation_kind::relu:
        case activation_kind::leaky_relu:
        case activation_kind::prelu: return count([](double v) { return v <= 0; });
        case activation_kind::elu: return count([alpha = f.parameter](double v) { return v <= -0.99 * alpha; });
        case activation_kind::softplus: {
            const double threshold = std::log1p(0.01 / 0.99);
            return count([threshold](double v) { return v < threshold; });
        }
        case activation_kind::identity:
        case activation_kind::gelu: return std::nullopt;
    }
    return std::nullopt;
}

}  // namespace

tensor_statistics measure(std::span<const float> x, const float_format& format) {
    const auto s = statistics_in_one_pass(x, format);
    return {.count = x.size(),
            .l2_norm = s.l2_norm,
            .max_abs = s.max_abs,
            .min_nonzero_abs = s.min_nonzero_abs,
            .census = s.census,
            .saturated = std::nullopt};
}
tensor_statistics measure(std::span<const double> x, const float_format& format) {
    return statistics_of(x, census(x, format));
}
tensor_statistics measure(std::span<const float128> x, const float_format& format) {
    return statistics_of(x, census(x, format));
}
tensor_statistics measure(std::span<const float128> x) { return statistics_of(x, census(x)); }
tensor_statistics measure(std::span<const mp_float> x) { return statistics_of(x, census(x)); }

std::optional<std::size_t> count_saturated(const activation& f, std::span<const float> y) { return saturated_in(f, y); }
std::optional<std::size_t> count_saturated(const activation& f, std::span<const double> y) { return saturated_in(f, y); }
std::optional<std::size_t> count_saturated(const activation& f, std::span<const float128> y) {
    return saturated_in(f, y);
}
std::optional<std::size_t> count_saturated(const activation& f, std::span<const mp_float> y) {
    return saturated_in(f, y);
}

}  // namespace gradlab::probe
