#pragma once
// Definitions of the optimisers (include/gradlab/nn/optimizer.hpp). Each step
// computes through arithmetic<T> only, from scalars made in the constructor
// and buffers made at the first step.

#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "gradlab/nn/optimizer.hpp"
#include "mpfr_without_allocation.hpp"

namespace gradlab::nn {

namespace optimizer_detail {

template <class V>
std::span<V> scalar(V& x) {
    return {&x, 1};
}

// The hyperparameter `name`, read once; throws std::invalid_argument naming it.
template <scalar_type T>
storage_t<T> read(const arithmetic<T>& a, const char* name, const std::string& text) {
    try {
        return a.number(text);
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(std::string("optimizer: ") + name + ": " + e.what());
    }
}

inline void require(bool condition, const std::string& message) {
    if (!condition) throw std::invalid_argument("optimizer: " + message);
}

template <scalar_type T>
storage_t<T> read_non_negative(const arithmetic<T>& a, const char* name, const std::string& text) {
    auto x = read(a, name, text);
    require(!(x < 0), std::string(name) + " " + text + " < 0");
    return x;
}

// A beta of Adam, which must lie in [0, 1) once rounded to the precision.
template <scalar_type T>
storage_t<T> read_beta(const arithmetic<T>& a, const char* name, const std::string& text) {
    auto x = read_non_negative(a, name, text);
    require(x < 1, std::string(name) + " " + text + " is not below 1 in " + a.name());
    return x;
}

// Buffers of each parameter's shape, zeros, made at the first step: those
// marked used; the others are empty.
template <scalar_type T>
class parameter_state {
public:
    using value = storage_t<T>;

    explicit parameter_state(std::vector<bool> used) : used_(std::move(used)) {}

    // Makes the buffers and returns true at the first call; afterwards
    // checks the parameters are the first call's (count and sizes) and
    // returns false.
    bool prepare(const std::vector<parameter<T>*>& parameters, const arithmetic<T>& a) {
        if (made_) {  // messages built only on failure: a step allocates nothing
            if (parameters.size() != sizes_.size())
                require(false, "step given " + std::to_string(parameters.size()) + " parameters, the first step " +
                                   std::to_string(sizes_.size()));
            for (std::size_t i = 0; i < sizes_.size(); ++i)
                if (parameters[i]->value.size() != sizes_[i] || parameters[i]->gradient.size() != sizes_[i])
                    require(false, "parameter " + parameters[i]->name + " changed size since the first step");
            return false;
        }
        for (const auto* p : parameters) {
            require(p->gradient.size() == p->value.size(), "parameter " + p->name + ": gradient of another size");
            sizes_.push_back(p->value.size());
            for (const bool used : used_) buffers_.emplace_back(a.matrix_of(1, used ? p->value.size() : 0));
        }
        made_ = true;
        return true;
    }

    std::span<value> buffer(std::size_t parameter, std::size_t which) {
        return buffers_[parameter * used_.size() + which].elements();
    }

private:
    std::vector<bool> used_;
    std::vector<matrix<value>> buffers_;
    std::vector<std::size_t> sizes_;
    bool made_ = false;
};

// g = grad + l1 sign(p), then g = g + l2 p, each term only when its
// coefficient is not 0.
template <scalar_type T>
class gradient_regulariser {
public:
    using value = storage_t<T>;

    gradient_regulariser(arithmetic<T>& a, value l1, value l2)
        : a_(a), l1_(std::move(l1)), l2_(std::move(l2)), has_l1_(l1_ != 0), has_l2_(l2_ != 0) {}

    // l1 and, as torch's coupled weight_decay, l2 read from the spec.
    gradient_regulariser(arithmetic<T>& a, const optimizer_spec& spec)
        : gradient_regulariser(a, read_non_negative(a, "l1", spec.l1),
                               read_non_negative(a, "weight_decay", spec.weight_decay)) {}

    // Whether apply() writes to its buffer.
    bool active() const { return has_l1_ || has_l2_; }

    // The regularised gradient of p: in `out`, or p's gradient itself when
    // there is nothing to add.
    std::span<const value> apply(parameter<T>& p, std::span<value> out) {
        std::span<const value> g = p.gradient.elements();
        if (has_l1_) {
            a_.sign(p.value.elements(), out);
            a_.axpy(l1_, out, g, out);
            g = out;
        }
        if (has_l2_) {
            a_.axpy(l2_, p.value.elements(), g, out);
            g = out;
        }
        return g;
    }

private:
    arithmetic<T>& a_;
    value l1_, l2_;
    bool has_l1_, has_l2_;
};

// beta^t, beta a value of the precision: binary powering at p + 64 bits
// (relative error below 2 (t + 1) 2^-(p+64)), rounded once to the precision.
// That is the correctly rounded power unless it lies within about t 2^-63
// ulp of a rounding boundary.
template <scalar_type T>
class power_of {
public:
    using value = storage_t<T>;

    power_of(const arithmetic<T>& a, const value& base)
        : a_(a), base_(a.significand_bits()), power_(a.significand_bits() + 64) {
        arithmetic<T>::to_mpfr(base, base_.get());  // exact: base has p bits
    }

    void at(unsigned long t, value& out) {
        detail::power_ui(power_.get(), base_.get(), t);
        a_.assign(out, power_.get());
    }

private:
    const arithmetic<T>& a_;
    detail::mpfr_variable base_, power_;
};

}  // namespace optimizer_detail

template <scalar_type T>
class sgd final : public optimizer<T> {
public:
    using value = storage_t<T>;

    sgd(const optimizer_spec& spec, arithmetic<T>& a)
        : a_(a),
          regulariser_(a, spec),
          momentum_(optimizer_detail::read_non_negative(a, "momentum", spec.momentum)),
          one_minus_dampening_(optimizer_detail::read(a, "dampening", spec.dampening)),
          minus_one_(a.number("-1")),
          minus_lr_(a.zero()),
          has_momentum_(momentum_ != 0),
          nesterov_(spec.nesterov),
          state_({regulariser_.active() || nesterov_, has_momentum_}) {
        using optimizer_detail::scalar;
        optimizer_detail::require(!nesterov_ || (momentum_ > 0 && one_minus_dampening_ == 0),
                                  "Nesterov momentum needs momentum > 0 and dampening 0");
        const value one = a.number("1");
        a.subtract(scalar(one), scalar(one_minus_dampening_), scalar(one_minus_dampening_));
    }

    void step(const std::vector<parameter<T>*>& parameters, const value& lr) override {
        using optimizer_detail::scalar;
        const bool first = state_.prepare(parameters, a_);
        a_.scale(minus_one_, scalar(lr), scalar(minus_lr_));
        for (std::size_t i = 0; i < parameters.size(); ++i) {
            auto& p = *parameters[i];
            const auto scratch = state_.buffer(i, gradient_buffer);
            std::span<const value> d = regulariser_.apply(p, scratch);
            if (has_momentum_) {
                const auto b = state_.buffer(i, momentum_buffer);
                if (first) {
                    a_.copy(d, b);
                } else {
                    a_.scale(momentum_, b, b);
                    a_.axpy(one_minus_dampening_, d, b, b);
                }
                if (nesterov_) {
                    a_.axpy(momentum_, b, d, scratch);
                    d = scratch;
                } else {
                    d = b;
                }
            }
            a_.axpy(minus_lr_, d, p.value.elements(), p.value.elements());
        }
    }

private:
    enum buffer { gradient_buffer, momentum_buffer };

    arithmetic<T>& a_;
    optimizer_detail::gradient_regulariser<T> regulariser_;
    value momentum_, one_minus_dampening_, minus_one_, minus_lr_;
    bool has_momentum_, nesterov_;
    optimizer_detail::parameter_state<T> state_;
};

// Adam, and AdamW when `decoupled`.
template <scalar_type T>
class adam final : public optimizer<T> {
public:
    using value = storage_t<T>;

    adam(const optimizer_spec& spec, arithmetic<T>& a, bool decoupled)
        : a_(a),
          weight_decay_(optimizer_detail::read_non_negative(a, "weight_decay", spec.weight_decay)),
          regulariser_(a, optimizer_detail::read_non_negative(a, "l1", spec.l1), decoupled ? a.zero() : weight_decay_),
          beta1_(optimizer_detail::read_beta(a, "beta1", spec.beta1)),
          beta2_(optimizer_detail::read_beta(a, "beta2", spec.beta2)),
          eps_(optimizer_detail::read_non_negative(a, "eps", spec.eps)),
          one_(a.number("1")),
          minus_one_(a.number("-1")),
          one_minus_beta1_(a.zero()),
          one_minus_beta2_(a.zero()),
          bias_correction1_(a.zero()),
          bias_correction2_sqrt_(a.zero()),
          minus_step_size_(a.zero()),
          decay_(a.zero()),
          power1_(a, beta1_),
          power2_(a, beta2_),
          decoupled_decay_(decoupled && weight_decay_ != 0),
          state_({regulariser_.active(), true, true, true, true}) {
        using optimizer_detail::scalar;
        a.subtract(scalar(one_), scalar(beta1_), scalar(one_minus_beta1_));
        a.subtract(scalar(one_), scalar(beta2_), scalar(one_minus_beta2_));
    }

    void step(const std::vector<parameter<T>*>& parameters, const value& lr) override {
        using optimizer_detail::scalar;
        state_.prepare(parameters, a_);
        ++steps_;
        power1_.at(steps_, bias_correction1_);
        a_.subtract(scalar(one_), scalar(bias_correction1_), scalar(bias_correction1_));
        power2_.at(steps_, bias_correction2_sqrt_);
        a_.subtract(scalar(one_), scalar(bias_correction2_sqrt_), scalar(bias_correction2_sqrt_));
        a_.square_root(scalar(bias_correction2_sqrt_), scalar(bias_correction2_sqrt_));
        a_.divide(scalar(lr), scalar(bias_correction1_), scalar(minus_step_size_));
        a_.scale(minus_one_, scalar(minus_step_size_), scalar(minus_step_size_));
        if (decoupled_decay_) {
            a_.multiply(scalar(lr), scalar(weight_decay_), scalar(decay_));
            a_.subtract(scalar(one_), scalar(decay_), scalar(decay_));
        }
        for (std::size_t i = 0; i < parameters.size(); ++i) {
            auto& p = *parameters[i];
            const auto m = state_.buffer(i, exp_avg), v = state_.buffer(i, exp_avg_sq);
            const auto denominator = state_.buffer(i, denominator_buffer), u = state_.buffer(i, update_buffer);
            if (decoupled_decay_) a_.scale(decay_, p.value.elements(), p.value.elements());
            const auto g = regulariser_.apply(p, state_.buffer(i, gradient_buffer));
            a_.scale(beta1_, m, m);
            a_.axpy(one_minus_beta1_, g, m, m);
            a_.scale(beta2_, v, v);
            a_.scale(one_minus_beta2_, g, u);
            a_.multiply(u, g, u);
            a_.add(v, u, v);
            // torch divides by the scalar sqrt(c2); arithmetic divides
            // elementwise, so the scalar is spread over a buffer first.
            a_.fill(u, bias_correction2_sqrt_);
            a_.square_root(v, denominator);
            a_.divide(denominator, u, denominator);
            a_.add_scalar(denominator, eps_, denominator);
            a_.scale(minus_step_size_, m, u);
            a_.divide(u, denominator, u);
            a_.add(p.value.elements(), u, p.value.elements());
        }
    }

private:
    enum buffer { gradient_buffer, exp_avg, exp_avg_sq, denominator_buffer, update_buffer };

    arithmetic<T>& a_;
    value weight_decay_;
    optimizer_detail::gradient_regulariser<T> regulariser_;
    value beta1_, beta2_, eps_, one_, minus_one_, one_minus_beta1_, one_minus_beta2_;
    value bias_correction1_, bias_correction2_sqrt_, minus_step_size_, decay_;
    optimizer_detail::power_of<T> power1_, power2_;
    bool decoupled_decay_;
    optimizer_detail::parameter_state<T> state_;
    unsigned long steps_ = 0;
};

template <scalar_type T>
class rmsprop final : public optimizer<T> {
public:
    using value = storage_t<T>;

    rmsprop(const optimizer_spec& spec, arithmetic<T>& a)
        : a_(a),
          regulariser_(a, spec),
          alpha_(optimizer_detail::read_non_negative(a, "alpha", spec.alpha)),
          one_minus_alpha_(a.zero()),
          eps_(optimizer_detail::read_non_negative(a, "eps", spec.eps)),
          momentum_(optimizer_detail::read_non_negative(a, "momentum", spec.momentum)),
          minus_one_(a.number("-1")),
          minus_lr_(a.zero()),
          has_momentum_(momentum_ > 0),
          centered_(spec.centered),
          state_({regulariser_.active(), true, centered_, has_momentum_, true, true}) {
        using optimizer_detail::scalar;
        const value one = a.number("1");
        a.subtract(scalar(one), scalar(alpha_), scalar(one_minus_alpha_));
    }

    void step(const std::vector<parameter<T>*>& parameters, const value& lr) override {
        using optimizer_detail::scalar;
        state_.prepare(parameters, a_);
        a_.scale(minus_one_, scalar(lr), scalar(minus_lr_));
        for (std::size_t i = 0; i < parameters.size(); ++i) {
            auto& p = *parameters[i];
            const auto s = state_.buffer(i, square_avg), r = state_.buffer(i, root_buffer);
            const auto u = state_.buffer(i, update_buffer);
            const auto g = regulariser_.apply(p, state_.buffer(i, gradient_buffer));
            a_.scale(alpha_, s, s);
            a_.scale(one_minus_alpha_, g, u);
            a_.multiply(u, g, u);
            a_.add(s, u, s);
            if (centered_) {
                const auto mean = state_.buffer(i, grad_avg);
                a_.scale(alpha_, mean, mean);
                a_.axpy(one_minus_alpha_, g, mean, mean);
                a_.multiply(mean, mean, r);
                a_.subtract(s, r, r);
                a_.square_root(r, r);
            } else {
                a_.square_root(s, r);
            }
            a_.add_scalar(r, eps_, r);
            if (has_momentum_) {
                const auto b = state_.buffer(i, momentum_buffer);
                a_.scale(momentum_, b, b);
                a_.divide(g, r, u);
                a_.add(b, u, b);
                a_.axpy(minus_lr_, b, p.value.elements(), p.value.elements());
            } else {
                a_.scale(minus_lr_, g, u);
                a_.divide(u, r, u);
                a_.add(p.value.elements(), u, p.value.elements());
            }
        }
    }

private:
    enum buffer { gradient_buffer, square_avg, grad_avg, momentum_buffer, root_buffer, update_buffer };

    arithmetic<T>& a_;
    optimizer_detail::gradient_regulariser<T> regulariser_;
    value alpha_, one_minus_alpha_, eps_, momentum_, minus_one_, minus_lr_;
    bool has_momentum_, centered_;
    optimizer_detail::parameter_state<T> state_;
};

template <scalar_type T>
std::unique_ptr<optimizer<T>> make_optimizer(const optimizer_spec& spec, arithmetic<T>& a) {
    switch (spec.kind) {
        case optimizer_kind::sgd: return std::make_unique<sgd<T>>(spec, a);
        case optimizer_kind::adam: return std::make_unique<adam<T>>(spec, a, false);
        case optimizer_kind::adamw: return std::make_unique<adam<T>>(spec, a, true);
        case optimizer_kind::rmsprop: return std::make_unique<rmsprop<T>>(spec, a);
    }
    throw std::invalid_argument("unknown optimizer");
}

}  // namespace gradlab::nn
