#pragma once

#include "gradlab/nn/weight_update.hpp"

namespace gradlab::nn {

template <scalar_type U>
weight_update<U>::weight_update(const optimizer_spec& optimizer, const clipping_spec& clipping,
                                const std::optional<loss_scaler_spec>& loss_scaling, arithmetic<U>& a,
                                std::vector<parameter<U>*> parameters)
    : a_(a),
      parameters_(std::move(parameters)),
      optimizer_(make_optimizer(optimizer, a)),
      clipper_(a),
      clipping_(clipping.kind),
      one_(a.number("1")),
      threshold_(a.number(clipping.threshold)),
      learning_rate_(a.zero()),
      gradient_norm_(a.zero()) {
    if (loss_scaling) scaler_.emplace(*loss_scaling, a);
}

template <scalar_type U>
bool weight_update<U>::apply(mpfr_srcptr lr) {
    a_.assign(learning_rate_, lr);  // the step's rate, also when the step is skipped
    const bool finite = !scaler_ || scaler_->unscale_and_check(parameters_);
    if (finite) {
        if (clipping_ == clipping_kind::global_norm)
            a_.copy(std::span(&clipper_.clip_by_global_norm(parameters_, threshold_), 1),
                    std::span(&gradient_norm_, 1));
        else if (clipping_ == clipping_kind::value)
            clipper_.clip_by_value(parameters_, threshold_);
        optimizer_->step(parameters_, learning_rate_);
    }
    if (scaler_) scaler_->update(!finite);
    return finite;
}

}  // namespace gradlab::nn
