#pragma once
// Optimisers with PyTorch's update formulas (torch.optim, foreach=False,
// maximize=False), every operation rounded in the parameter's precision:
//
//   sgd        g = grad + wd p;  with momentum: b = mu b + (1 - dampening) g
//              (b = g at the first step), g = nesterov ? g + mu b : b;
//              p = p - lr g
//
// L2 regularisation is the weight decay wd added to the gradient (AdamW
// decays the weights instead); L1 adds l1 sign(p).

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gradlab/nn/layer.hpp"

namespace gradlab::nn {

enum class optimizer_kind { sgd };

std::string_view optimizer_name(optimizer_kind kind);
// Throws std::invalid_argument for an unknown name, listing the valid ones.
optimizer_kind parse_optimizer_kind(std::string_view name);

// Hyperparameters as decimal text, read at each precision (arithmetic::number).
struct optimizer_spec {
    optimizer_kind kind = optimizer_kind::sgd;
    std::string learning_rate = "0.01";
    std::string weight_decay = "0";  // L2
    std::string l1 = "0";
};

template <scalar_type T>
class optimizer {
public:
    using value = storage_t<T>;

    virtual ~optimizer() = default;
    // One update of every parameter from its gradient, with learning rate lr
    // (the schedule's value for this step). State is made at the first step.
    virtual void step(const std::vector<parameter<T>*>& parameters, const value& lr) = 0;
};

template <scalar_type T>
std::unique_ptr<optimizer<T>> make_optimizer(const optimizer_spec& spec, arithmetic<T>& a);

}  // namespace gradlab::nn
