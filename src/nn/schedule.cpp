#include "gradlab/nn/schedule.hpp"

#include <algorithm>
#include <bit>
#include <stdexcept>
#include <string>

#include "gradlab/scalar/conversions.hpp"
#include "mpfr_without_allocation.hpp"
#include "name_table.hpp"

namespace gradlab::nn {

namespace {

constexpr std::pair<schedule_kind, std::string_view> schedule_names[] = {
    {schedule_kind::constant, "constant"},
    {schedule_kind::step, "step"},
    {schedule_kind::exponential, "exponential"},
    {schedule_kind::cosine, "cosine"},
};

void require(bool condition, const std::string& message) {
    if (!condition) throw std::invalid_argument("schedule: " + message);
}

void read(mpfr_ptr out, const char* name, std::string_view text) {
    require(parse_number(text, out), std::string(name) + ": '" + std::string(text) + "' is not a number");
}

}  // namespace

std::string_view schedule_name(schedule_kind kind) { return detail::name_in(schedule_names, kind); }
schedule_kind parse_schedule_kind(std::string_view name) {
    return detail::parse_name_in(schedule_names, name, "schedule");
}

struct learning_rate_formula::variables {
    explicit variables(mpfr_prec_t bits)
        : base(bits), gamma(bits), eta_min(bits), start_factor(bits), factor(bits), result(bits),
          rotation_cos(bits), rotation_sin(bits), power_cos(bits), power_sin(bits), t1(bits), t2(bits) {}

    detail::mpfr_variable base, gamma, eta_min, start_factor, factor, result;
    // cos and sin of pi / (2 T), and of a multiple of it; scratch.
    detail::mpfr_variable rotation_cos, rotation_sin, power_cos, power_sin, t1, t2;
};

learning_rate_formula::learning_rate_formula(const schedule_spec& spec, std::string_view base_learning_rate,
                                             mpfr_prec_t bits)
    : spec_(spec), v_(std::make_unique<variables>(bits)) {
    read(v_->base.get(), "learning rate", base_learning_rate);
    read(v_->gamma.get(), "gamma", spec.gamma);
    read(v_->eta_min.get(), "eta_min", spec.eta_min);
    read(v_->start_factor.get(), "warmup_start_factor", spec.warmup_start_factor);
    require(spec.step_size > 0, "step_size must be > 0");
    require(spec.t_max > 0, "t_max must be > 0");
    require(spec.warmup_steps == 0 ||
                (mpfr_sgn(v_->start_factor.get()) > 0 && mpfr_cmp_ui(v_->start_factor.get(), 1) <= 0),
            "warmup_start_factor " + spec.warmup_start_factor + " is not in (0, 1]");
    // cos and sin of 2 pi / (4 T), correctly rounded (allocates; once).
    mpfr_set_ui(v_->t1.get(), 1, MPFR_RNDN);
    mpfr_cosu(v_->rotation_cos.get(), v_->t1.get(), 4 * spec.t_max, MPFR_RNDN);
    mpfr_sinu(v_->rotation_sin.get(), v_->t1.get(), 4 * spec.t_max, MPFR_RNDN);
}

learning_rate_formula::~learning_rate_formula() = default;

mpfr_srcptr learning_rate_formula::at(std::size_t step) {
    const std::size_t warmup = spec_.warmup_steps;
    if (step >= warmup) {
        schedule_at(step - warmup);
        return v_->result.get();
    }
    // base (s + (1 - s) k / W)
    mpfr_ptr f = v_->factor.get();
    mpfr_ui_sub(f, 1, v_->start_factor.get(), MPFR_RNDN);
    mpfr_mul_ui(f, f, step, MPFR_RNDN);
    mpfr_div_ui(f, f, warmup, MPFR_RNDN);
    mpfr_add(f, f, v_->start_factor.get(), MPFR_RNDN);
    mpfr_mul(v_->result.get(), v_->base.get(), f, MPFR_RNDN);
    return v_->result.get();
}

void learning_rate_formula::schedule_at(std::size_t step) {
    mpfr_ptr f = v_->factor.get(), r = v_->result.get();
    switch (spec_.kind) {
        case schedule_kind::constant: mpfr_set_ui(f, 1, MPFR_RNDN); break;
        case schedule_kind::step: detail::power_ui(f, v_->gamma.get(), step / spec_.step_size); break;
        case schedule_kind::exponential: detail::power_ui(f, v_->gamma.get(), step); break;
        case schedule_kind::cosine:
            // eta_min + (base - eta_min) factor
            cosine_factor(step);
            mpfr_sub(r, v_->base.get(), v_->eta_min.get(), MPFR_RNDN);
            mpfr_mul(r, r, f, MPFR_RNDN);
            mpfr_add(r, r, v_->eta_min.get(), MPFR_RNDN);
            return;
    }
    mpfr_mul(r, v_->base.get(), f, MPFR_RNDN);
}

void learning_rate_formula::cosine_factor(std::size_t step) {
    // (1 + cos(pi k / T)) / 2 = cos^2(pi k / (2 T)), of period 2 T in k and
    // symmetric about T: reduced to m = min(k mod 2T, 2T - k mod 2T) in [0, T].
    const std::size_t t = spec_.t_max, k = step % (2 * t), m = std::min(k, 2 * t - k);
    mpfr_ptr f = v_->factor.get();
    if (m == t) {
        mpfr_set_zero(f, 1);
        return;
    }
    // (c + i s) = (cos + i sin)(pi / (2 T))^m by binary powering.
    mpfr_ptr c = v_->power_cos.get(), s = v_->power_sin.get(), t1 = v_->t1.get(), t2 = v_->t2.get();
    mpfr_srcptr rc = v_->rotation_cos.get(), rs = v_->rotation_sin.get();
    mpfr_set_ui(c, 1, MPFR_RNDN);
    mpfr_set_zero(s, 1);
    for (int bit = std::bit_width(m) - 1; bit >= 0; --bit) {
        // squared: (c^2 - s^2) + i 2 c s
        mpfr_sqr(t1, c, MPFR_RNDN);
        mpfr_sqr(t2, s, MPFR_RNDN);
        mpfr_mul(s, s, c, MPFR_RNDN);
        mpfr_mul_2ui(s, s, 1, MPFR_RNDN);
        mpfr_sub(c, t1, t2, MPFR_RNDN);
        if ((m >> bit) & 1) {
            // times the rotation: (c rc - s rs) + i (c rs + s rc)
            mpfr_mul(t1, c, rc, MPFR_RNDN);
            mpfr_mul(t2, s, rs, MPFR_RNDN);
            mpfr_sub(t1, t1, t2, MPFR_RNDN);
            mpfr_mul(t2, c, rs, MPFR_RNDN);
            mpfr_mul(s, s, rc, MPFR_RNDN);
            mpfr_add(s, s, t2, MPFR_RNDN);
            mpfr_swap(c, t1);
        }
    }
    mpfr_sqr(f, c, MPFR_RNDN);
}

}  // namespace gradlab::nn
