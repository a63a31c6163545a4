#pragma once

#include <stdexcept>

#include "gradlab/nn/optimizer.hpp"

namespace gradlab::nn {

template <scalar_type T>
class sgd final : public optimizer<T> {
public:
    using value = storage_t<T>;

    sgd(const optimizer_spec& spec, arithmetic<T>& a) : a_(a), minus_one_(a.number("-1")), minus_lr_(a.zero()) {
        (void)spec;
    }

    void step(const std::vector<parameter<T>*>& parameters, const value& lr) override {
        a_.scale(minus_one_, std::span(&lr, 1), std::span(&minus_lr_, 1));
        for (auto* p : parameters)
            a_.axpy(minus_lr_, p->gradient.elements(), p->value.elements(), p->value.elements());
    }

private:
    arithmetic<T>& a_;
    value minus_one_, minus_lr_;
};

template <scalar_type T>
std::unique_ptr<optimizer<T>> make_optimizer(const optimizer_spec& spec, arithmetic<T>& a) {
    switch (spec.kind) {
        case optimizer_kind::sgd: return std::make_unique<sgd<T>>(spec, a);
    }
    throw std::invalid_argument("unknown optimizer");
}

}  // namespace gradlab::nn
