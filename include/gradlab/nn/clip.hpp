#pragma once
// Gradient clipping with torch.nn.utils' semantics (PyTorch 1.13), every
// operation rounded in the precision:
//
//   clip_by_global_norm   total = ||(||g_1||, ..., ||g_n||)||_2 (2-norms of
//                         the per-parameter 2-norms, as clip_grad_norm_);
//                         coef = (1 / (total + 1e-6)) max_norm (torch's
//                         float / tensor is a reciprocal, then a product);
//                         every gradient is multiplied by coef unless
//                         coef >= 1. error_if_nonfinite=False: a total of Inf
//                         gives coef 0 (finite gradients become 0, infinite
//                         ones NaN), a NaN total gives NaN gradients.
//   clip_by_value         every gradient element clamped to [-v, v] (NaN stays).
//
// The norms are arithmetic::l2_norm's, which neither overflow nor underflow
// (torch's sum of squares overflows to Inf beyond about 1e154 in fp64).
// Emulated formats take the norm in fp32, as mixed-precision training does.

#include <vector>

#include "gradlab/nn/layer.hpp"

namespace gradlab::nn {

template <scalar_type T>
class gradient_clipper {
public:
    using value = storage_t<T>;

    explicit gradient_clipper(arithmetic<T>& a);

    // Clips the gradients to a global 2-norm of max_norm; returns the norm
    // before clipping (valid until the next call). Allocates only when given
    // more parameters than ever before.
    const value& clip_by_global_norm(const std::vector<parameter<T>*>& parameters, const value& max_norm);
    // Clamps every gradient element to [-clip_value, clip_value].
    void clip_by_value(const std::vector<parameter<T>*>& parameters, const value& clip_value);

private:
    arithmetic<T>& a_;
    matrix<value> norms_;
    value epsilon_, one_, minus_one_, total_, coefficient_, low_;
};

}  // namespace gradlab::nn
