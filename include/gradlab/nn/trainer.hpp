#pragma once
// One model training in one precision. A training step is forward, loss,
// backward from the loss scale (+ls) or 1, then weight_update.hpp's step:
// unscale and skip on a non-finite gradient (+ls), clip, the optimiser at the
// schedule's rate (computed at p + 128 bits and rounded once), the scale's
// update. Under +master32 that step runs in fp32 on master weights, from the
// format's gradients (floats, so exactly), and the master weights are then
// rounded into the model's format in its rounding mode.
//
// The runner (a later issue) keeps one trainer per precision in lockstep.
// Nothing is allocated after the first step.

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "gradlab/nn/loss.hpp"
#include "gradlab/nn/network.hpp"
#include "gradlab/nn/step_observer.hpp"
#include "gradlab/nn/weight_update.hpp"

namespace gradlab::nn {

struct training_spec {
    loss_kind loss = loss_kind::mse;
    optimizer_spec optimizer;
    schedule_spec schedule;
    clipping_spec clipping;
    loss_scaler_spec loss_scaling;  // used by the precisions with +ls
    bool operator==(const training_spec&) const = default;
};

template <scalar_type T>
class trainer {
public:
    using value = storage_t<T>;

    // +master32 needs an emulated precision (std::invalid_argument otherwise).
    trainer(const model_spec& model, const training_spec& training, arithmetic<T>& a);

    network<T>& model() { return net_; }
    const network<T>& model() const { return net_; }
    std::size_t steps_taken() const { return steps_; }

    // Sets every parameter from high-precision values (init.hpp's
    // initial_parameters), each rounded once; under +master32 the master
    // weights are the fp32 roundings of the same values.
    void load(const std::vector<matrix<mp_float>>& values);

    // One step on a batch; returns the batch loss before the update (the
    // reference lives until the next call).
    const value& step(matrix_view<const value> x, const batch_targets<T>& targets);
    // The loss and every parameter's gradient (seed 1, no loss scale), without an update.
    const value& compute_gradients(matrix_view<const value> x, const batch_targets<T>& targets);
    // The loss in evaluation mode, without an update.
    const value& evaluate(matrix_view<const value> x, const batch_targets<T>& targets);

    // Told of every step's computations (step_observer.hpp); nullptr: nobody.
    // evaluate() and compute_gradients() are not observed.
    void set_observer(step_observer<T>* observer) { observer_ = observer; }

    // The seed of the loss gradient: the loss scale (+ls), or 1.
    const value& seed() const;
    loss_kind loss() const { return loss_->kind(); }

    // Whether the last step's update was skipped (+ls, a non-finite gradient).
    bool last_step_skipped() const { return skipped_; }
    // The weights' update in the model's precision; nullptr under +master32.
    const weight_update<T>* update() const { return direct_ ? &*direct_ : nullptr; }
    // The fp32 master weights under +master32 (their gradients unscaled, as
    // the optimiser sees them), else empty.
    std::span<const parameter<float>> master_parameters() const {
        return master_ ? std::span<const parameter<float>>(master_->parameters) : std::span<const parameter<float>>();
    }
    // The fp32 master weights' update under +master32, else nullptr.
    const weight_update<float>* master_update() const { return master_ ? &master_->update : nullptr; }

private:
    struct master_weights {
        master_weights(const training_spec& training, bool loss_scaling, const std::vector<parameter<T>*>& model);
        arithmetic<float> a;
        std::vector<parameter<float>> parameters;
        weight_update<float> update;
    };

    arithmetic<T>& a_;
    network<T> net_;
    std::unique_ptr<loss_function<T>> loss_;
    learning_rate_formula schedule_;
    std::optional<weight_update<T>> direct_;
    std::optional<master_weights> master_;
    value loss_value_;
    value one_;
    step_observer<T>* observer_ = nullptr;
    std::size_t steps_ = 0;
    bool skipped_ = false;
};

}  // namespace gradlab::nn
