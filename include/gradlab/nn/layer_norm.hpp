#pragma once
// LayerNorm, as torch.nn.LayerNorm(width) on a batch of (examples, features):
// each row normalised by its own mean and biased variance,
//   x_hat = (x - mean) * inv_std,  inv_std = 1 / sqrt(var + eps),
//   y = gamma x_hat + beta elementwise (affine; gamma starts at 1, beta at 0), else x_hat.
// The same in training and evaluation. Row sums are the blocked sums of
// kernels/reduce.hpp; the row's width divides.
//
// Backward, per row, with g = gamma dy (dy without affine):
//   dx = inv_std (g - mean(g) - x_hat mean(g x_hat)),
//   dgamma = sum over the batch of dy x_hat, dbeta = sum of dy (column_sums.hpp).
// As for BatchNorm, outputs are differences of terms: an element near zero
// carries an error of a few ulps of its terms, not of itself.

#include <optional>

#include "gradlab/nn/affine_transform.hpp"
#include "gradlab/nn/column_sums.hpp"
#include "gradlab/nn/layer.hpp"
#include "gradlab/nn/model_spec.hpp"

namespace gradlab::nn {

template <scalar_type T>
class layer_norm final : public layer<T> {
public:
    using value = storage_t<T>;

    // Epsilon is the spec's decimal rounded once to the precision.
    layer_norm(std::size_t width, const layer_norm_spec& spec, arithmetic<T>& a);

    std::string_view kind() const override { return "layer_norm"; }
    std::size_t input_width() const override { return width_; }
    std::size_t output_width() const override { return width_; }
    matrix_view<const value> forward(matrix_view<const value> x, pass_mode mode) override;
    matrix_view<const value> backward(matrix_view<const value> dy, bool need_input_gradient) override;
    void collect_parameters(std::vector<parameter<T>*>& out) override;

private:
    arithmetic<T>& a_;
    std::size_t width_;
    std::optional<affine_transform<T>> affine_;  // when the spec asks for it
    value epsilon_, one_, width_value_, minus_width_;
    // of the row at hand: minus the mean of x (forward) or of g (backward), the variance, -mean(g x_hat)
    value minus_mean_, variance_, minus_mean_g_x_hat_;
    column_sums<T> sum_over_batch_;
    matrix<value> inv_std_;  // (rows, 1)
    matrix<value> x_hat_, dx_, scratch_;
};

}  // namespace gradlab::nn
