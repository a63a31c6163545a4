#pragma once
// Losses, mean over the batch, with PyTorch's definitions:
//   mse                     mean over all elements of (y - t)^2
//   softmax_cross_entropy   logits and integer labels: mean over the batch of
//                           logsumexp(z) - z_label, with the row maximum
//                           subtracted first (no overflow)
//   bce_with_logits         mean over all elements of softplus(z) - z t
//                           (softplus as kernels/activation.hpp computes it:
//                           no overflow for large |z|)
// Their gradients: 2 (y - t) / N, (softmax(z) - onehot(label)) / N and
// (sigmoid(z) - t) / N. In fp64 the two cross-entropies agree with PyTorch's
// CPU results within 4 ulps where no cancellation amplifies the ulp of
// exp or sigmoid that either may differ by (tests/losses_match_pytorch_in_fp64.cpp).
// NaN and infinite outputs give NaN or infinite losses, never an exception
// (src/nn/loss_impl.hpp says which, per loss).
// backward(seed) gives dL/d(output) times seed: 1, or the loss scale of
// dynamic loss scaling, applied to the gradient as GradScaler's scaled loss
// would be.

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "gradlab/nn/arithmetic.hpp"

namespace gradlab::nn {

enum class loss_kind { mse, softmax_cross_entropy, bce_with_logits };

std::string_view loss_name(loss_kind kind);
// Throws std::invalid_argument for an unknown name, listing the valid ones.
loss_kind parse_loss_kind(std::string_view name);

// The targets of a batch: values (mse, bce_with_logits; the output's shape)
// or class labels (softmax_cross_entropy; one per row, in [0, classes)).
template <scalar_type T>
struct batch_targets {
    matrix_view<const storage_t<T>> values;
    std::span<const std::int64_t> labels;
};

template <scalar_type T>
class loss_function {
public:
    using value = storage_t<T>;

    virtual ~loss_function() = default;
    virtual loss_kind kind() const = 0;
    // The loss of `output` against `target`, written to `loss`. Throws
    // std::invalid_argument when the target does not fit the output (shape,
    // label range), naming both.
    virtual void forward(matrix_view<const value> output, const batch_targets<T>& target, value& loss) = 0;
    // dL/d(output of the last forward) times `seed`; the view lives until the next call.
    virtual matrix_view<const value> backward(const value& seed) = 0;
};

template <scalar_type T>
std::unique_ptr<loss_function<T>> make_loss(loss_kind kind, arithmetic<T>& a);

}  // namespace gradlab::nn
