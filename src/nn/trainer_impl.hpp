#pragma once

#include <stdexcept>

#include "gradlab/nn/init.hpp"
#include "gradlab/nn/trainer.hpp"

namespace gradlab::nn {

namespace trainer_detail {

inline std::optional<loss_scaler_spec> scaling_if(bool on, const loss_scaler_spec& spec) {
    return on ? std::optional(spec) : std::nullopt;
}

template <class P>
std::vector<P*> pointers_to(std::vector<P>& parameters) {
    std::vector<P*> out;
    for (auto& p : parameters) out.push_back(&p);
    return out;
}

}  // namespace trainer_detail

template <scalar_type T>
trainer<T>::master_weights::master_weights(const training_spec& training, bool loss_scaling,
                                           const std::vector<parameter<T>*>& model)
    : a(parse_precision("fp32")),
      parameters([&] {
          std::vector<parameter<float>> copies;
          for (const auto* p : model) {
              copies.push_back({p->name, p->role, a.matrix_of(p->value.rows(), p->value.cols()),
                                a.matrix_of(p->value.rows(), p->value.cols()), p->next_activation, p->fan_in,
                                p->fan_out});
              // Until load(): the model's values, which float holds exactly.
              if constexpr (scalar_traits<T>::emulated) a.copy(p->value.elements(), copies.back().value.elements());
          }
          return copies;
      }()),
      update(training.optimizer, training.clipping, trainer_detail::scaling_if(loss_scaling, training.loss_scaling), a,
             trainer_detail::pointers_to(parameters)) {}

template <scalar_type T>
trainer<T>::trainer(const model_spec& model, const training_spec& training, arithmetic<T>& a)
    : a_(a),
      net_(model, a),
      loss_(make_loss(training.loss, a)),
      schedule_(training.schedule, training.optimizer.learning_rate, a.significand_bits()),
      loss_value_(a.zero()),
      one_(a.number("1")) {
    if (!a.spec().master_fp32)
        direct_.emplace(training.optimizer, training.clipping,
                        trainer_detail::scaling_if(a.spec().loss_scaling, training.loss_scaling), a,
                        net_.parameters());
    else if constexpr (scalar_traits<T>::emulated)
        master_.emplace(training, a.spec().loss_scaling, net_.parameters());
    else
        throw std::invalid_argument("+master32 needs an emulated precision, not " + a.name());
}

template <scalar_type T>
void trainer<T>::load(const std::vector<matrix<mp_float>>& values) {
    load_parameters(net_, values);
    if (master_)
        for (std::size_t i = 0; i < values.size(); ++i)
            for (std::size_t e = 0; e < values[i].size(); ++e)
                master_->a.assign(master_->parameters[i].value.elements()[e],
                                  values[i].elements()[e].backend().data());
}

template <scalar_type T>
const typename trainer<T>::value& trainer<T>::seed() const {
    if constexpr (scalar_traits<T>::emulated)
        if (master_) return master_->update.seed();  // an fp32 scale, as the format's storage
    return direct_->seed();
}

template <scalar_type T>
const typename trainer<T>::value& trainer<T>::step(matrix_view<const value> x, const batch_targets<T>& targets) {
    net_.set_observer(observer_);
    const auto output = net_.forward(x, pass_mode::training);
    loss_->forward(output, targets, loss_value_);
    if (observer_) observer_->loss_done(output, targets, loss_value_);
    const auto doutput = loss_->backward(seed());
    if (observer_) observer_->loss_gradient_done(output, targets, doutput);
    net_.backward(doutput);
    net_.set_observer(nullptr);
    if (observer_) observer_->update_begins();
    const mpfr_srcptr lr = schedule_.at(steps_);
    if (direct_) {
        skipped_ = !direct_->apply(lr);
    } else if constexpr (scalar_traits<T>::emulated) {
        // The format's gradients are floats: the master step sees them
        // exactly, and unscales and clips them in fp32.
        const auto& model = net_.parameters();
        for (std::size_t i = 0; i < model.size(); ++i)
            master_->a.copy(model[i]->gradient.elements(), master_->parameters[i].gradient.elements());
        skipped_ = !master_->update.apply(lr);
        if (!skipped_)
            for (std::size_t i = 0; i < model.size(); ++i)
                a_.from_fp32(master_->parameters[i].value.elements(), model[i]->value.elements());
    }
    ++steps_;
    if (observer_) observer_->update_done(skipped_);
    return loss_value_;
}

template <scalar_type T>
const typename trainer<T>::value& trainer<T>::compute_gradients(matrix_view<const value> x,
                                                                const batch_targets<T>& targets) {
    loss_->forward(net_.forward(x, pass_mode::training), targets, loss_value_);
    net_.backward(loss_->backward(one_));
    return loss_value_;
}

template <scalar_type T>
const typename trainer<T>::value& trainer<T>::evaluate(matrix_view<const value> x,
                                                       const batch_targets<T>& targets) {
    loss_->forward(net_.forward(x, pass_mode::evaluation), targets, loss_value_);
    return loss_value_;
}

}  // namespace gradlab::nn
