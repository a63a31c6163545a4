#pragma once
// Activation functions, forward and derivative, on spans in every precision
// (the precision families and their overloads are as in elementwise.hpp).
//
//   identity    x
//   sigmoid     1 / (1 + e^-x), as e^-|x| / (1 + e^-|x|) for x < 0: no overflow
//   tanh        tanh x
//   relu        max(x, 0)
//   leaky_relu  x > 0 ? x : negative_slope * x        (parameter, default 0.01)
//   prelu       x > 0 ? x : slope * x                 (parameter: the slope of this call)
//   elu         x > 0 ? x : alpha * (e^x - 1)         (parameter alpha, default 1)
//   gelu        x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)), the exact erf form,
//               computed as 0.5 x erfc(-x / sqrt 2) (no cancellation for x < 0)
//   softplus    log(1 + e^x) = max(x, 0) + log1p(e^-|x|)   (beta 1)
//
// Derivatives take x and y = f(x) as the forward pass produced them. sigmoid
// and tanh use the output, as backpropagation in PyTorch does: sigmoid' =
// y (1 - y), tanh' = (1 - y)(1 + y); they inherit y's rounding error, which
// near saturation is large relative to the small derivative (1 - y loses the
// bits y lost). The others use x: softplus' = sigmoid(x), elu' = alpha e^x
// for x <= 0, gelu' = Phi(x) + x phi(x).
//
// At the kinks the derivative is PyTorch's: the x > 0 branch is strict, so
// relu'(0) = 0, leaky_relu'(0) = prelu'(0) = slope, elu'(0) = alpha.
//
// Special values: NaN in gives NaN out, forward and derivative alike (also
// where PyTorch's relu backward gives 0). ±Inf give the limits of f and f'
// as x -> ±Inf: sigmoid 1 / 0, tanh ±1, relu +Inf / 0, leaky_relu and prelu
// ±Inf (slope * -Inf), elu +Inf / -alpha, gelu +Inf / -0, softplus +Inf / 0;
// derivatives 0 where f saturates or vanishes, 1 where f(x) ~ x, the slope
// for leaky_relu and prelu at -Inf. relu(-0) is +0.
//
// Accuracy: not correctly rounded; the tests state and assert a maximum ULP
// error against MPFR at 256 bits per function and precision, with its reason
// (tests/activation_forward_within_ulp_bounds.cpp and ..._derivative_...):
// at most 2.8 ulps for fp32 (gelu 0.501: it is computed in double), 4.4 for
// fp64 and 4.0 for f128 (gelu, the largest); derivatives within 3 ulps but
// gelu' in fp64 and f128 (3.8 and 3.1 ulps of its two terms: it cancels near
// its root, see the test). mp computes with 32 guard bits (more where gelu's
// argument x / sqrt 2 or a cancellation in gelu' needs them) and rounds
// once: within 0.5 ulp plus a few 2^-32.
//
// Emulated formats compute in float and round the result once to the format.
// That is not correctly rounded in general: rounding twice can land on the
// other side of a midpoint. The error is at most the float result's error
// (at most 3 float ulps, as above) times 2^(p - 24) in ulps of the p-bit
// format, plus half an ulp of the format (one ulp for directed and
// stochastic rounding): 0.5 + 4.6e-5 ulp for bf16, 0.5 + 3.7e-4 for fp16,
// 0.5 + 2.9e-6 for fp8e4m3 (to nearest). Only results within that distance
// of a midpoint can come out on the wrong side. Stochastic rounding needs a
// stream `sr` (std::invalid_argument without one; elementwise.hpp says why).

#include <optional>
#include <span>
#include <string_view>

#include "gradlab/kernels/activation_kind.hpp"
#include "gradlab/platform/isa.hpp"
#include "gradlab/scalar/conversions.hpp"
#include "gradlab/scalar/float_format.hpp"
#include "gradlab/scalar/round_to_format.hpp"
#include "gradlab/scalar/rounding_mode.hpp"

namespace gradlab {

// A function and its parameter: the negative slope of leaky_relu and prelu,
// alpha of elu. Rounded once to the working type (float for fp32 and the
// emulated formats).
struct activation {
    activation_kind kind = activation_kind::identity;
    double parameter = default_parameter(kind);
    bool operator==(const activation&) const = default;
};

// The names of DESIGN.md's model format: "identity", "sigmoid", "leaky_relu", ...
std::string_view activation_name(activation_kind kind);
// Throws std::invalid_argument for an unknown name, listing the valid ones.
activation_kind parse_activation_kind(std::string_view name);

// y[i] = f(x[i]); y may be the same span as x.
void activation_forward(const activation& f, std::span<const float> x, std::span<float> y, isa level = active_isa());
void activation_forward(const activation& f, std::span<const double> x, std::span<double> y, isa level = active_isa());
void activation_forward(const activation& f, std::span<const float128> x, std::span<float128> y);
void activation_forward(const activation& f, std::span<const mp_float> x, std::span<mp_float> y);
void activation_forward(const activation& f, std::span<const float> x, std::span<float> y, const float_format& format,
                        rounding_mode mode, const std::optional<sr_stream>& sr = std::nullopt,
                        isa level = active_isa());

// d[i] = f'(x[i]) given y[i] = f(x[i]); d may be the same span as x or y.
void activation_derivative(const activation& f, std::span<const float> x, std::span<const float> y, std::span<float> d,
                           isa level = active_isa());
void activation_derivative(const activation& f, std::span<const double> x, std::span<const double> y,
                           std::span<double> d, isa level = active_isa());
void activation_derivative(const activation& f, std::span<const float128> x, std::span<const float128> y,
                           std::span<float128> d);
void activation_derivative(const activation& f, std::span<const mp_float> x, std::span<const mp_float> y,
                           std::span<mp_float> d);
void activation_derivative(const activation& f, std::span<const float> x, std::span<const float> y, std::span<float> d,
                           const float_format& format, rounding_mode mode,
                           const std::optional<sr_stream>& sr = std::nullopt, isa level = active_isa());

}  // namespace gradlab
