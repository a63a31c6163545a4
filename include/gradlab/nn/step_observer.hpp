#pragma once
// What a training step tells an observer (the probes of probe/), at fixed
// points, in the order it computes: each layer's forward output, the loss,
// the loss gradient, each layer's backward output (its parameters'
// gradients filled), then the update. The layers know nothing of it: the
// network and the trainer make the calls, and only when an observer is set.
// An observer must not change what it is shown. The views of forward_done
// stay valid until the step's backward has run (layer.hpp's contract), the
// others until the call returns.

#include <cstddef>

#include "gradlab/nn/layer.hpp"
#include "gradlab/nn/loss.hpp"

namespace gradlab::nn {

template <scalar_type T>
class step_observer {
public:
    using value = storage_t<T>;
    using view = matrix_view<const value>;

    virtual ~step_observer() = default;

    // Layer i mapped `input` to `output`.
    virtual void forward_done(std::size_t i, const layer<T>& l, view input, view output) = 0;
    // The loss of the network's `output` against `targets` is `loss`.
    virtual void loss_done(view output, const batch_targets<T>& targets, const value& loss) = 0;
    // dL/d(output) times the seed (the loss scale, or 1).
    virtual void loss_gradient_done(view output, const batch_targets<T>& targets, view gradient) = 0;
    // Layer i mapped dL/d(its output) `dy` to dL/d(its input) `dx` (empty
    // for the first layer, whose input gradient is not computed) and filled
    // its parameters' gradients (times the seed).
    virtual void backward_done(std::size_t i, const layer<T>& l, view dy, view dx) = 0;
    // Right before the weight update and right after it (skipped: the update
    // was not applied, a non-finite gradient under loss scaling). Under loss
    // scaling the gradients are unscaled at update_done.
    virtual void update_begins() = 0;
    virtual void update_done(bool skipped) = 0;
};

}  // namespace gradlab::nn
