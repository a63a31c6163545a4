#pragma once

#include <cmath>
#include <stdexcept>

#include <mpfr.h>

#include "gradlab/nn/loss_scaler.hpp"

namespace gradlab::nn {

template <scalar_type T>
loss_scaler<T>::loss_scaler(const loss_scaler_spec& spec, arithmetic<T>& a)
    : a_(a),
      spec_(spec),
      scale_fp32_(static_cast<float>(spec.initial_scale)),
      scale_(a.zero()),
      inverse_scale_(a.zero()) {
    if (spec.growth_interval == 0) throw std::invalid_argument("loss_scaler: growth_interval must be > 0");
    assign(scale_, scale_fp32_);
}

template <scalar_type T>
void loss_scaler<T>::assign(value& target, float x) {
    if constexpr (scalar_traits<T>::emulated) {
        target = x;  // an fp32 operand, as torch's scale is
        return;
    }
    // A float-sized MPFR number on the stack: no allocation.
    MPFR_DECL_INIT(exact, 24);
    mpfr_set_flt(exact, x, MPFR_RNDN);
    a_.assign(target, exact);
}

template <scalar_type T>
bool loss_scaler<T>::unscale_and_check(const std::vector<parameter<T>*>& parameters) {
    bool finite = true;
    for (const auto* p : parameters) finite = finite && arithmetic<T>::all_finite(p->gradient.elements());
    // torch takes the reciprocal in fp64, "as fp32 division can be imprecise
    // for certain compile options", and rounds it to fp32.
    const float inverse = static_cast<float>(1.0 / static_cast<double>(scale_fp32_));
    if (inverse == 1.0f) return finite;
    assign(inverse_scale_, inverse);
    for (auto* p : parameters) a_.scale(inverse_scale_, p->gradient.elements(), p->gradient.elements());
    return finite;
}

template <scalar_type T>
void loss_scaler<T>::update(bool found_inf) {
    if (found_inf) {
        scale_fp32_ = static_cast<float>(static_cast<double>(scale_fp32_) * spec_.backoff_factor);
        growth_tracker_ = 0;
        ++skipped_steps_;
    } else if (++growth_tracker_ == spec_.growth_interval) {
        const auto grown = static_cast<float>(static_cast<double>(scale_fp32_) * spec_.growth_factor);
        if (std::isfinite(grown)) {
            scale_fp32_ = grown;
            ++growths_;
        }
        growth_tracker_ = 0;
    }
    assign(scale_, scale_fp32_);
}

}  // namespace gradlab::nn
