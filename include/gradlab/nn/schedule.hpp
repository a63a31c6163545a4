#pragma once
// Learning-rate schedules: PyTorch's closed forms (lr_scheduler's
// _get_closed_form_lr), for step k = 0, 1, ... (the rate of the (k+1)-th
// optimiser step, as get_last_lr() after k scheduler steps):
//
//   constant      base
//   step          base gamma^floor(k / step_size)                  (StepLR)
//   exponential   base gamma^k                                     (ExponentialLR)
//   cosine        eta_min + (base - eta_min) (1 + cos(pi k / T_max)) / 2
//                                                                  (CosineAnnealingLR)
//
// A linear warm-up of W > 0 steps comes first and the schedule starts after
// it, as SequentialLR([LinearLR(start_factor=s, total_iters=W), schedule],
// milestones=[W]) does: base (s + (1 - s) k / W) for k < W, then the
// schedule at k - W.
//
// Rounding: the decimal hyperparameters are taken as exact, the closed form
// is evaluated in MPFR at p + 128 bits (p the precision's significand bits)
// and rounded once into the precision. Powers are computed by binary powering
// and (1 + cos(pi k / T)) / 2 as cos^2(pi k / (2 T)), the k-th power of the
// rotation by pi / (2 T) (exactly 0 when k = T mod 2 T): both without
// MPFR's allocating functions, so learning_rate_formula::at() allocates
// nothing (the last rounding is arithmetic::assign's). Before that last
// rounding the relative error is below 2^-(p+60) for k < 2^40 and
// T_max < 2^30 (powers: 2 (k + 1) 2^-(p+128); cosine: about 6 T^2 2^-(p+128),
// the rotation's absolute error over a cosine as small as pi / (2 T)), so the
// rate is the correctly rounded value of the formula unless that lies within
// 2^-60 ulp of a midpoint. torch evaluates the same formulas from binary64
// hyperparameters in binary64 and can be a few ulps away, more near
// k = T_max, where 1 + cos cancels.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include <mpfr.h>

#include "gradlab/nn/arithmetic.hpp"

namespace gradlab::nn {

enum class schedule_kind { constant, step, exponential, cosine };

std::string_view schedule_name(schedule_kind kind);
// Throws std::invalid_argument for an unknown name, listing the valid ones.
schedule_kind parse_schedule_kind(std::string_view name);

// Hyperparameters as decimal text, taken as exact.
struct schedule_spec {
    schedule_kind kind = schedule_kind::constant;
    std::size_t step_size = 1;              // step: steps between decays, > 0
    std::string gamma = "0.1";              // step, exponential
    std::size_t t_max = 1;                  // cosine: steps from base to eta_min, > 0
    std::string eta_min = "0";              // cosine
    std::size_t warmup_steps = 0;           // 0: no warm-up
    std::string warmup_start_factor = "0.1";  // in (0, 1]; torch's LinearLR defaults to 1/3, which has no decimal
    bool operator==(const schedule_spec&) const = default;
};

// The closed form in MPFR, precision-independent. Makes its variables once:
// at() allocates nothing.
class learning_rate_formula {
public:
    // Throws std::invalid_argument naming a hyperparameter that is not a
    // number or out of range.
    learning_rate_formula(const schedule_spec& spec, std::string_view base_learning_rate, mpfr_prec_t bits);
    ~learning_rate_formula();
    learning_rate_formula(const learning_rate_formula&) = delete;
    learning_rate_formula& operator=(const learning_rate_formula&) = delete;

    // The rate of step k; valid until the next call.
    mpfr_srcptr at(std::size_t step);

private:
    struct variables;

    // The schedule (without warm-up) at step k, into the result.
    void schedule_at(std::size_t step);
    // The cosine schedule's (1 + cos(pi k / T)) / 2, into the factor.
    void cosine_factor(std::size_t step);

    schedule_spec spec_;
    std::unique_ptr<variables> v_;
};

// The rates of a schedule as values of the precision.
template <scalar_type T>
class learning_rate_schedule {
public:
    using value = storage_t<T>;

    learning_rate_schedule(const schedule_spec& spec, std::string_view base_learning_rate, const arithmetic<T>& a);

    // The rate of step k rounded once to the precision (to nearest); the
    // reference is valid until the next call.
    const value& at(std::size_t step);

private:
    const arithmetic<T>& a_;
    learning_rate_formula formula_;
    value rate_;
};

}  // namespace gradlab::nn
