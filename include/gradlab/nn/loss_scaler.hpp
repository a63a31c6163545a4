#pragma once
// Dynamic loss scaling with torch.cuda.amp.GradScaler's semantics (PyTorch
// 1.13). The scale is an fp32 number whatever the precision, as torch keeps
// it; a step is
//
//   loss_function::backward(scale())        gradients of the scaled loss
//   finite = unscale_and_check(parameters)  found_inf: whether any gradient
//                                           element was NaN or ±Inf (checked
//                                           before unscaling, as torch does);
//                                           every gradient is multiplied by
//                                           inv_scale = fp32(1 / fp64(scale))
//   if (finite) optimizer.step(...)         a non-finite step is skipped
//   update(!finite)
//
// update() is _amp_update_scale_: found_inf: scale = fp32(fp64(scale)
// backoff_factor), the tracker of consecutive clean steps reset; otherwise the
// tracker counts one more, and on reaching growth_interval the scale becomes
// fp32(fp64(scale) growth_factor) if that is finite (else it is kept), and the
// tracker restarts at 0.
//
// In fp32, fp64, f128 and mp, scale() and inv_scale are the fp32 values
// rounded to nearest (exact for powers of two). The emulated formats take
// them as the fp32 operands they are, unrounded, as mixed-precision training
// scales an fp32 loss: the initial 2^16 is beyond fp16's largest value 65504,
// yet the scaled loss gradient (2^16 times 2 (y - t) / N, rounded once to
// fp16) is finite. Multiplying a gradient by a
// power of two is exact unless the result leaves the format's range.

#include <cstddef>
#include <vector>

#include "gradlab/nn/layer.hpp"

namespace gradlab::nn {

// GradScaler's arguments and defaults (Python floats: binary64).
struct loss_scaler_spec {
    double initial_scale = 65536.0;  // 2^16
    double growth_factor = 2.0;
    double backoff_factor = 0.5;
    std::size_t growth_interval = 2000;  // > 0
    bool operator==(const loss_scaler_spec&) const = default;
};

template <scalar_type T>
class loss_scaler {
public:
    using value = storage_t<T>;

    // Throws std::invalid_argument for a growth_interval of 0.
    loss_scaler(const loss_scaler_spec& spec, arithmetic<T>& a);

    // The scale in the precision: the seed of the loss gradient.
    const value& scale() const { return scale_; }
    // The scale as torch holds it.
    float scale_fp32() const { return scale_fp32_; }

    // Whether every gradient element is finite; then (whatever the answer)
    // every gradient is multiplied by the inverse scale.
    bool unscale_and_check(const std::vector<parameter<T>*>& parameters);
    // Backs off after a non-finite step, grows after growth_interval
    // consecutive finite ones.
    void update(bool found_inf);

    // For reports. Every skipped step backs the scale off once.
    std::size_t skipped_steps() const { return skipped_steps_; }
    std::size_t growths() const { return growths_; }
    // Consecutive finite steps since the last change of scale or skip.
    std::size_t growth_tracker() const { return growth_tracker_; }

private:
    // target = x, rounded to nearest in the precision.
    void assign(value& target, float x);

    arithmetic<T>& a_;
    loss_scaler_spec spec_;
    float scale_fp32_;
    value scale_, inverse_scale_;
    std::size_t growth_tracker_ = 0, skipped_steps_ = 0, growths_ = 0;
};

}  // namespace gradlab::nn
