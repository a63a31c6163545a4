// Activations for fp32, fp64 and the emulated formats: the SIMD kernels on the
// chosen instruction set, the scalar code for isa::generic and for double gelu.

#include "gradlab/kernels/activation.hpp"

#include <array>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "activation_scalar.hpp"
#include "elementwise_dispatch.hpp"
#include "gradlab/kernels/simd/elementwise_kernel.hpp"
#include "gradlab/scalar/round_array.hpp"

namespace gradlab {

namespace {

constexpr std::array<std::pair<activation_kind, std::string_view>, 9> names{{
    {activation_kind::identity, "identity"},
    {activation_kind::sigmoid, "sigmoid"},
    {activation_kind::tanh, "tanh"},
    {activation_kind::relu, "relu"},
    {activation_kind::leaky_relu, "leaky_relu"},
    {activation_kind::prelu, "prelu"},
    {activation_kind::elu, "elu"},
    {activation_kind::gelu, "gelu"},
    {activation_kind::softplus, "softplus"},
}};

// Double gelu needs an accurate erfc, which xsimd 8.1 lacks for double.
template <class T>
bool scalar_path(isa level, activation_kind kind) {
    return level == isa::generic || (std::is_same_v<T, double> && kind == activation_kind::gelu);
}

// Double gelu costs about 40 ns an element (glibc's erfc and exp): worth
// splitting over the OpenMP threads, as float128 is. The SIMD kernels, at a
// nanosecond an element or less, run on the calling thread.
template <class T>
bool threaded(isa level, activation_kind kind) {
    return level != isa::generic && std::is_same_v<T, double> && kind == activation_kind::gelu;
}

template <class T>
void forward_native(const activation& f, std::span<const T> x, std::span<T> y, isa level) {
    kernels_detail::require_same_size("activation_forward", x.size(), y.size());
    const auto p = static_cast<T>(f.parameter);
    if (scalar_path<T>(level, f.kind))
        return kernels_detail::forward_scalar<T>(f.kind, p, x, y, threaded<T>(level, f.kind));
    kernels_detail::with_arch(level, [&]<class Arch>() {
        simd::activation_forward_kernel<Arch, T>(f.kind, p, x.data(), y.data(), x.size());
    });
}

template <class T>
void derivative_native(const activation& f, std::span<const T> x, std::span<const T> y, std::span<T> d, isa level) {
    kernels_detail::require_same_size("activation_derivative", x.size(), y.size());
    kernels_detail::require_same_size("activation_derivative", x.size(), d.size());
    const auto p = static_cast<T>(f.parameter);
    if (scalar_path<T>(level, f.kind))
        return kernels_detail::derivative_scalar<T>(f.kind, p, x, y, d, threaded<T>(level, f.kind));
    kernels_detail::with_arch(level, [&]<class Arch>() {
        simd::activation_derivative_kernel<Arch, T>(f.kind, p, x.data(), y.data(), d.data(), x.size());
    });
}

}  // namespace

std::string_view activation_name(activation_kind kind) {
    for (const auto& [k, name] : names)
        if (k == kind) return name;
    return "?";
}

activation_kind parse_activation_kind(std::string_view name) {
    std::string valid;
    for (const auto& [kind, known] : names) {
        if (known == name) return kind;
        valid += (valid.empty() ? "" : ", ") + std::string(known);
    }
    throw std::invalid_argument("unknown activation \"" + std::string(name) + "\"; valid: " + valid);
}

void activation_forward(const activation& f, std::span<const float> x, std::span<float> y, isa level) {
    forward_native(f, x, y, level);
}

void activation_forward(const activation& f, std::span<const double> x, std::span<double> y, isa level) {
    forward_native(f, x, y, level);
}

void activation_forward(const activation& f, std::span<const float> x, std::span<float> y, const float_format& format,
                        rounding_mode mode, const std::optional<sr_stream>& sr, isa level) {
    kernels_detail::require_float_storage("activation_forward", format);
    kernels_detail::require_stream_for_stochastic("activation_forward", mode, sr);
    forward_native(f, x, y, level);
    round_array(y, y, format, mode, sr, level);
}

void activation_derivative(const activation& f, std::span<const float> x, std::span<const float> y, std::span<float> d,
                           isa level) {
    derivative_native(f, x, y, d, level);
}

void activation_derivative(const activation& f, std::span<const double> x, std::span<const double> y,
                           std::span<double> d, isa level) {
    derivative_native(f, x, y, d, level);
}

void activation_derivative(const activation& f, std::span<const float> x, std::span<const float> y, std::span<float> d,
                           const float_format& format, rounding_mode mode, const std::optional<sr_stream>& sr,
                           isa level) {
    kernels_detail::require_float_storage("activation_derivative", format);
    kernels_detail::require_stream_for_stochastic("activation_derivative", mode, sr);
    derivative_native(f, x, y, d, level);
    round_array(d, d, format, mode, sr, level);
}

}  // namespace gradlab
