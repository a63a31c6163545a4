#pragma once
// The activation functions by name (activation.hpp has the functions), kept
// apart so that the SIMD kernels can name them without the MPFR headers.

namespace gradlab {

enum class activation_kind { identity, sigmoid, tanh, relu, leaky_relu, prelu, elu, gelu, softplus };

// leaky_relu 0.01 and elu 1 as in PyTorch and DESIGN.md; prelu 0.25, PyTorch's
// initial slope; 0 for the functions without a parameter.
constexpr double default_parameter(activation_kind kind) {
    switch (kind) {
        case activation_kind::leaky_relu: return 0.01;
        case activation_kind::prelu: return 0.25;
        case activation_kind::elu: return 1.0;
        default: return 0.0;
    }
}

}  // namespace gradlab
