#pragma once
// What a training step does once the gradients are there, in one precision U:
// under loss scaling, unscale them and skip the update if any is non-finite;
// clip them; let the optimiser update the weights at the schedule's rate;
// update the loss scale. The trainer runs it on the model's own parameters,
// or under +master32 on fp32 master copies (trainer.hpp).

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <mpfr.h>

#include "gradlab/nn/clip.hpp"
#include "gradlab/nn/loss_scaler.hpp"
#include "gradlab/nn/optimizer.hpp"
#include "gradlab/nn/schedule.hpp"

namespace gradlab::nn {

enum class clipping_kind { none, global_norm, value };

struct clipping_spec {
    clipping_kind kind = clipping_kind::none;
    std::string threshold = "1";  // max_norm or clip_value
    bool operator==(const clipping_spec&) const = default;
};

template <scalar_type U>
class weight_update {
public:
    using value = storage_t<U>;

    weight_update(const optimizer_spec& optimizer, const clipping_spec& clipping,
                  const std::optional<loss_scaler_spec>& loss_scaling, arithmetic<U>& a,
                  std::vector<parameter<U>*> parameters);

    // The seed of the loss gradient: the loss scale, or 1.
    const value& seed() const { return scaler_ ? scaler_->scale() : one_; }
    // Applies the update to the gradients the parameters hold, with learning
    // rate `lr` rounded once into U; returns false when it was skipped.
    bool apply(mpfr_srcptr lr);

    const value& learning_rate() const { return learning_rate_; }
    // The global gradient norm before clipping by norm (else 0), at the last apply().
    const value& gradient_norm() const { return gradient_norm_; }
    const loss_scaler<U>* scaler() const { return scaler_ ? &*scaler_ : nullptr; }

private:
    arithmetic<U>& a_;
    std::vector<parameter<U>*> parameters_;
    std::unique_ptr<optimizer<U>> optimizer_;
    gradient_clipper<U> clipper_;
    clipping_kind clipping_;
    std::optional<loss_scaler<U>> scaler_;
    value one_, threshold_, learning_rate_, gradient_norm_;
};

}  // namespace gradlab::nn
