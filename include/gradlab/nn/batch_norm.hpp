#pragma once
// BatchNorm, as torch.nn.BatchNorm1d on a batch of (examples, features):
//   training    mean and biased variance of each feature over the batch,
//               x_hat = (x - mean) * inv_std, inv_std = 1 / sqrt(var + eps);
//               running = (1 - momentum) running + momentum batch, the
//               running variance taking the unbiased variance sum / (N - 1)
//   evaluation  the running mean and variance in their place
//   y = gamma x_hat + beta (affine; gamma starts at 1, beta at 0), else x_hat.
// Sums over the batch are GEMMs against ones (column_sums.hpp); N divides.
//
// Backward, with s = gamma inv_std (inv_std without affine):
//   training    dx = s (dy - mean(dy) - x_hat mean(dy x_hat)), the whole
//               gradient through the batch statistics;
//   evaluation  dx = s dy (the running statistics are constants);
//   dgamma = sum(dy x_hat), dbeta = sum(dy) over the batch.
// Each output is a difference of terms (x - mean; dy - mean(dy) - ...), so an
// element near zero carries an error of a few ulps of its terms, not of
// itself, in any implementation: compare in ulps of the largest entry.
//
// Training on a batch of fewer than 2 examples throws std::invalid_argument
// (its variance is 0 / 0 unbiased; PyTorch refuses it too).

#include <optional>

#include "gradlab/nn/affine_transform.hpp"
#include "gradlab/nn/column_sums.hpp"
#include "gradlab/nn/layer.hpp"
#include "gradlab/nn/model_spec.hpp"

namespace gradlab::nn {

template <scalar_type T>
class batch_norm final : public layer<T> {
public:
    using value = storage_t<T>;

    // Epsilon and momentum are the spec's decimals rounded once to the precision.
    batch_norm(std::size_t width, const batch_norm_spec& spec, arithmetic<T>& a);

    std::string_view kind() const override { return "batch_norm"; }
    std::size_t input_width() const override { return width_; }
    std::size_t output_width() const override { return width_; }
    matrix_view<const value> forward(matrix_view<const value> x, pass_mode mode) override;
    matrix_view<const value> backward(matrix_view<const value> dy, bool need_input_gradient) override;
    void collect_parameters(std::vector<parameter<T>*>& out) override;

    // (1, width) rows, as PyTorch's running_mean and running_var buffers
    // (start at 0 and 1); writable so a run can resume from a checkpoint.
    matrix<value>& running_mean() { return running_mean_; }
    matrix<value>& running_var() { return running_var_; }

private:
    // mean_ and inv_std_ from the batch x, x_hat_ left holding x - mean;
    // updates the running statistics.
    void batch_statistics(matrix_view<const value> x);
    // running = keep running + momentum batch (batch is overwritten)
    void blend(matrix<value>& running, std::span<value> batch);
    // count_ = N and count_less_one_ = N - 1 in every feature, remade only
    // when the batch size changes (a step then allocates nothing).
    void count_batch(std::size_t rows);
    // inv_std_ = 1 / sqrt(var + epsilon)
    void inverse_deviation(std::span<const value> var);

    arithmetic<T>& a_;
    std::size_t width_;
    std::optional<affine_transform<T>> affine_;  // when the spec asks for it
    matrix<value> running_mean_, running_var_;
    value epsilon_, momentum_, keep_;  // keep_ = 1 - momentum
    column_sums<T> sum_over_batch_;
    pass_mode mode_ = pass_mode::training;
    std::size_t counted_rows_ = 0;
    // (1, width) rows
    matrix<value> ones_, count_, count_less_one_, mean_, var_, inv_std_, step_, scale_, mean_dy_, mean_dy_x_hat_;
    matrix<value> x_hat_, dx_, scratch_;
};

}  // namespace gradlab::nn
