// Learning-rate schedules: the same rates as torch.optim.lr_scheduler
// (analysis/fixtures/torch_lr_schedules.py: StepLR, ExponentialLR,
// CosineAnnealingLR past T_max, each after a LinearLR warm-up through
// SequentialLR), and each rate the correctly rounded value of PyTorch's closed
// form in fp64, fp32, bf16, f128 and mp256.
//
// Against torch (fp64): within 64 u of the base rate (u = 2^-53). torch's
// chainable form multiplies the previous rate at each step (up to 40
// roundings here) and evaluates (1 + cos) in binary64, which cancels near
// T_max; so it is compared in absolute terms, a check of which step gets
// which factor. Exactness is checked against the closed forms evaluated
// independently here, with MPFR's pow and cos at 1024 bits: the rate must be
// exactly that value rounded once to the precision (gradlab's error before
// its rounding is below 2^-(p+60) relative; none of these rates lies that
// close to a rounding boundary).

#include <cmath>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <mpfr.h>

#include "gradlab/nn/schedule.hpp"
#include "gradlab/scalar/conversions.hpp"
#include "support/torch_fixture.hpp"

using namespace gradlab;
using namespace gradlab::nn;

namespace {

schedule_spec spec_of(const nlohmann::json& j) {
    schedule_spec spec;
    spec.kind = parse_schedule_kind(j["kind"].get<std::string>());
    spec.step_size = j.value("step_size", spec.step_size);
    spec.gamma = j.value("gamma", spec.gamma);
    spec.t_max = j.value("t_max", spec.t_max);
    spec.eta_min = j.value("eta_min", spec.eta_min);
    spec.warmup_steps = j.value("warmup_steps", spec.warmup_steps);
    spec.warmup_start_factor = j.value("warmup_start_factor", spec.warmup_start_factor);
    return spec;
}

// The closed form at 1024 bits, written from the definitions in schedule.hpp.
class exact_rate {
public:
    exact_rate(const schedule_spec& spec, const std::string& base) : spec_(spec) {
        mpfr_inits2(1024, base_, gamma_, eta_min_, start_, x_, y_, static_cast<mpfr_ptr>(nullptr));
        REQUIRE(parse_number(base, base_));
        REQUIRE(parse_number(spec.gamma, gamma_));
        REQUIRE(parse_number(spec.eta_min, eta_min_));
        REQUIRE(parse_number(spec.warmup_start_factor, start_));
    }
    ~exact_rate() { mpfr_clears(base_, gamma_, eta_min_, start_, x_, y_, static_cast<mpfr_ptr>(nullptr)); }
    exact_rate(const exact_rate&) = delete;
    exact_rate& operator=(const exact_rate&) = delete;

    mpfr_srcptr at(std::size_t k) {
        if (k < spec_.warmup_steps) {  // base (s + (1 - s) k / W)
            mpfr_ui_sub(x_, 1, start_, MPFR_RNDN);
            mpfr_mul_ui(x_, x_, k, MPFR_RNDN);
            mpfr_div_ui(x_, x_, spec_.warmup_steps, MPFR_RNDN);
            mpfr_add(x_, x_, start_, MPFR_RNDN);
            mpfr_mul(x_, x_, base_, MPFR_RNDN);
            return x_;
        }
        k -= spec_.warmup_steps;
        switch (spec_.kind) {
            case schedule_kind::constant: mpfr_set(x_, base_, MPFR_RNDN); break;
            case schedule_kind::step:
                mpfr_pow_ui(x_, gamma_, k / spec_.step_size, MPFR_RNDN);
                mpfr_mul(x_, x_, base_, MPFR_RNDN);
                break;
            case schedule_kind::exponential:
                mpfr_pow_ui(x_, gamma_, k, MPFR_RNDN);
                mpfr_mul(x_, x_, base_, MPFR_RNDN);
                break;
            case schedule_kind::cosine:  // eta_min + (base - eta_min) (1 + cos(pi k / T)) / 2
                mpfr_const_pi(x_, MPFR_RNDN);
                mpfr_mul_ui(x_, x_, k, MPFR_RNDN);
                mpfr_div_ui(x_, x_, spec_.t_max, MPFR_RNDN);
                mpfr_cos(x_, x_, MPFR_RNDN);
                mpfr_add_ui(x_, x_, 1, MPFR_RNDN);
                mpfr_div_ui(x_, x_, 2, MPFR_RNDN);
                mpfr_sub(y_, base_, eta_min_, MPFR_RNDN);
                mpfr_mul(x_, x_, y_, MPFR_RNDN);
                mpfr_add(x_, x_, eta_min_, MPFR_RNDN);
                break;
        }
        return x_;
    }

private:
    schedule_spec spec_;
    mpfr_t base_, gamma_, eta_min_, start_, x_, y_;
};

template <class T>
void check_correctly_rounded(const char* precision_name, const schedule_spec& spec, const std::string& base,
                             const std::vector<std::size_t>& steps) {
    const arithmetic<T> a(parse_precision(precision_name));
    learning_rate_schedule<T> schedule(spec, base, a);
    exact_rate exact(spec, base);
    for (const std::size_t k : steps) {
        const auto expected = a.number(exact.at(k));
        INFO(precision_name << " " << schedule_name(spec.kind) << " step " << k << ": "
                            << arithmetic<T>::to_double(schedule.at(k)) << ", expected "
                            << arithmetic<T>::to_double(expected));
        CHECK(schedule.at(k) == expected);
    }
}

std::vector<std::size_t> steps_up_to(std::size_t n, std::size_t stride = 1) {
    std::vector<std::size_t> steps;
    for (std::size_t k = 0; k < n; k += stride) steps.push_back(k);
    return steps;
}

}  // namespace

TEST_CASE("schedules: the rates of torch.optim.lr_scheduler, warm-up included, in fp64", "[optim][nn][schedule]") {
    const auto fixture = test::read_torch_fixture("lr_schedules.json");
    const auto base = fixture["base_learning_rate"].get<std::string>();
    const arithmetic<double> a(parse_precision("fp64"));
    const double tolerance = 64 * std::ldexp(1.0, -53) * std::stod(base);
    double worst = 0;
    for (const auto& c : fixture["cases"]) {
        learning_rate_schedule<double> schedule(spec_of(c["spec"]), base, a);
        const auto expected = test::hex_doubles(c["rates"]);
        for (std::size_t k = 0; k < expected.size(); ++k) {
            INFO(c["spec"].dump() << " step " << k << ": " << schedule.at(k) << ", PyTorch " << expected[k]);
            CHECK(std::abs(schedule.at(k) - expected[k]) <= tolerance);
            worst = std::max(worst, std::abs(schedule.at(k) - expected[k]) / std::stod(base));
        }
    }
    WARN("schedules: largest distance from PyTorch " << fixture["torch_version"].get<std::string>() << ": " << worst
                                                    << " of the base rate");
}

TEST_CASE("schedules: every rate is the closed form rounded once, in fp64, fp32, bf16, f128 and mp256",
          "[optim][nn][schedule]") {
    const auto fixture = test::read_torch_fixture("lr_schedules.json");
    std::vector<schedule_spec> specs;
    for (const auto& c : fixture["cases"]) specs.push_back(spec_of(c["spec"]));
    schedule_spec long_cosine;  // the error of the rotation grows with T_max^2
    long_cosine.kind = schedule_kind::cosine, long_cosine.t_max = 100000, long_cosine.eta_min = "1e-5";
    schedule_spec long_exponential;
    long_exponential.kind = schedule_kind::exponential, long_exponential.gamma = "0.99999";
    specs.push_back(long_cosine);
    specs.push_back(long_exponential);

    auto steps = steps_up_to(60);
    for (const std::size_t k : {1000u, 49999u, 50000u, 99998u, 99999u, 100000u, 100001u, 150000u, 199999u})
        steps.push_back(k);
    for (const auto& spec : specs) {
        check_correctly_rounded<double>("fp64", spec, "0.1", steps);
        check_correctly_rounded<float>("fp32", spec, "0.1", steps);
        check_correctly_rounded<emulated_float>("bf16", spec, "0.1", steps);
        check_correctly_rounded<float128>("f128", spec, "0.1", steps);
        check_correctly_rounded<mp_float>("mp256", spec, "0.1", steps);
    }
}

TEST_CASE("schedules: cosine reaches eta_min exactly at T_max, constant is the base rate", "[optim][nn][schedule]") {
    const arithmetic<double> a(parse_precision("fp64"));
    schedule_spec cosine;
    cosine.kind = schedule_kind::cosine, cosine.t_max = 7, cosine.eta_min = "0";
    learning_rate_schedule<double> to_zero(cosine, "0.1", a);
    CHECK(to_zero.at(7) == 0.0);
    CHECK(to_zero.at(21) == 0.0);
    CHECK(to_zero.at(14) == 0.1);
    learning_rate_schedule<double> constant(schedule_spec{}, "0.3", a);
    CHECK(constant.at(0) == 0.3);
    CHECK(constant.at(123456789) == 0.3);
}

TEST_CASE("schedules: names parse both ways, bad hyperparameters are rejected", "[optim][nn][schedule]") {
    for (const auto kind : {schedule_kind::constant, schedule_kind::step, schedule_kind::exponential,
                            schedule_kind::cosine})
        CHECK(parse_schedule_kind(schedule_name(kind)) == kind);
    CHECK_THROWS_AS(parse_schedule_kind("onecycle"), std::invalid_argument);

    const arithmetic<double> a(parse_precision("fp64"));
    const auto rejected = [&](auto edit, const char* base = "0.1") {
        schedule_spec spec;
        edit(spec);
        CHECK_THROWS_AS(learning_rate_schedule<double>(spec, base, a), std::invalid_argument);
    };
    rejected([](schedule_spec&) {}, "fast");
    rejected([](schedule_spec& s) { s.step_size = 0; });
    rejected([](schedule_spec& s) { s.t_max = 0; });
    rejected([](schedule_spec& s) { s.gamma = "0.5x"; });
    rejected([](schedule_spec& s) { s.warmup_steps = 3, s.warmup_start_factor = "0"; });
    rejected([](schedule_spec& s) { s.warmup_steps = 3, s.warmup_start_factor = "1.5"; });
}
