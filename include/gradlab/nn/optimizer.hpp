#pragma once
// Optimisers with PyTorch 1.13's update formulas (torch.optim, single-tensor
// path foreach=False, maximize=False, amsgrad=False), every operation rounded
// in the parameter's precision, in torch's order (each line one rounding per
// operation, left to right):
//
//   sgd      with momentum mu != 0: b = g at the first step, then
//            b = b mu + (1 - dampening) g;  d = nesterov ? g + mu b : b;
//            without: d = g.  p = p + (-lr) d
//   adam     m = m beta1 + (1 - beta1) g;  v = v beta2 + ((1 - beta2) g) g;
//            c1 = 1 - beta1^t, c2 = 1 - beta2^t (t counts steps from 1);
//            denom = sqrt(v) / sqrt(c2) + eps;  p = p + ((-lr / c1) m) / denom
//   adamw    p = p (1 - lr wd) first, then adam without wd in g
//   rmsprop  s = s alpha + ((1 - alpha) g) g;  centered: a = a alpha + (1 - alpha) g,
//            r = sqrt(s - a a), else r = sqrt(s);  r = r + eps;
//            momentum mu > 0: b = b mu + g / r, p = p + (-lr) b;
//            else p = p + ((-lr) g) / r
//
// where g is the gradient, regularised: g = grad + l1 sign(p) (the L1
// penalty's subgradient joins the loss gradient), then g = g + wd p (L2, as
// torch's weight_decay; not for adamw, whose decay is decoupled). Terms whose
// coefficient is 0 are skipped, as torch skips them.
//
// Scalars: torch computes the Python-float scalars (1 - beta1, 1 - lr wd,
// lr / c1, sqrt(c2)) in binary64 whatever the tensor's dtype; gradlab computes
// each in the working precision, from hyperparameters read once (decimal text
// rounded once) — identical to torch in fp64, one rounding of the precision
// per operation elsewhere. beta^t is the working-precision beta raised to t
// with 64 guard bits and rounded once: the correctly rounded power but within
// about t 2^-63 ulp of a rounding boundary (torch: Python's pow, within
// 0.52 ulp in glibc).
//
// This is torch's baseline CPU kernels' rounding (ATEN_CPU_CAPABILITY=
// default). Its AVX2 kernels fuse add(alpha) and addcmul into FMAs, where
// gradlab rounds the product first (arithmetic::axpy): half an ulp of the
// product apart per such operation, many ulps of p where p + (-lr) d cancels.
//
// State (momentum, moments) is made at the first step, at the sizes of that
// step's parameters, and reused: the same parameters, in the same order, must
// come at every step (std::invalid_argument otherwise).

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gradlab/nn/layer.hpp"

namespace gradlab::nn {

enum class optimizer_kind { sgd, adam, adamw, rmsprop };

std::string_view optimizer_name(optimizer_kind kind);
// Throws std::invalid_argument for an unknown name, listing the valid ones.
optimizer_kind parse_optimizer_kind(std::string_view name);

// Hyperparameters as decimal text, read once at each precision
// (arithmetic::number). Defaults are torch's, but for weight_decay (0 for
// every kind; torch's AdamW defaults to 0.01).
struct optimizer_spec {
    optimizer_kind kind = optimizer_kind::sgd;
    std::string learning_rate = "0.01";
    std::string weight_decay = "0";  // L2 (decoupled for adamw); >= 0
    std::string l1 = "0";            // >= 0
    std::string momentum = "0";      // sgd, rmsprop; >= 0
    std::string dampening = "0";     // sgd
    bool nesterov = false;           // sgd; needs momentum > 0 and dampening 0
    std::string beta1 = "0.9";       // adam, adamw; in [0, 1) once rounded
    std::string beta2 = "0.999";     // adam, adamw; in [0, 1) once rounded (0.999 is 1 in bf16)
    std::string eps = "1e-8";        // adam, adamw, rmsprop
    std::string alpha = "0.99";      // rmsprop
    bool centered = false;           // rmsprop
    bool operator==(const optimizer_spec&) const = default;
};

template <scalar_type T>
class optimizer {
public:
    using value = storage_t<T>;

    virtual ~optimizer() = default;
    // One update of every parameter from its gradient, with learning rate lr
    // (the schedule's value for this step). Gradients are left unchanged.
    virtual void step(const std::vector<parameter<T>*>& parameters, const value& lr) = 0;
};

// Throws std::invalid_argument naming the hyperparameter that is not a
// number or out of range in T's precision.
template <scalar_type T>
std::unique_ptr<optimizer<T>> make_optimizer(const optimizer_spec& spec, arithmetic<T>& a);

}  // namespace gradlab::nn
