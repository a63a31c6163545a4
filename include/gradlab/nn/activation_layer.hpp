#pragma once
// Activation: y = f(x) elementwise, every function of kernels/activation.hpp;
// backward dx = f'(x, y) * dy (one more rounding than f'). PReLU's slope a is
// a learnable (1, 1) parameter: y = x > 0 ? x : a x, dL/da = sum over x <= 0
// of x dy (the GEMM-free blocked sum of kernels/reduce.hpp).

#include "gradlab/nn/layer.hpp"

namespace gradlab::nn {

template <scalar_type T>
class activation_layer final : public layer<T> {
public:
    using value = storage_t<T>;

    activation_layer(std::size_t width, activation f, arithmetic<T>& a);

    std::string_view kind() const override { return "activation"; }
    std::size_t input_width() const override { return width_; }
    std::size_t output_width() const override { return width_; }
    matrix_view<const value> forward(matrix_view<const value> x, pass_mode mode) override;
    matrix_view<const value> backward(matrix_view<const value> dy, bool need_input_gradient) override;
    void collect_parameters(std::vector<parameter<T>*>& out) override;

    const activation& function() const { return f_; }

private:
    bool learnable() const { return f_.kind == activation_kind::prelu; }

    arithmetic<T>& a_;
    std::size_t width_;
    activation f_;
    parameter<T> slope_;  // PReLU only
    value zero_, minus_infinity_;
    matrix_view<const value> x_;
    matrix<value> y_, dx_, scratch_;
};

}  // namespace gradlab::nn
