// The optimisers in precisions other than fp64: each reduces the quadratic
// L(p) = sum (p - c)^2 / 2 (gradient p - c) tenfold in 60 steps in fp32,
// f128, mp256, bf16 and fp16; and two Adam steps in mp256 agree with the same
// formulas evaluated at 1024 bits to within the bound of their roundings.

#include <cmath>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <mpfr.h>

#include "gradlab/nn/optimizer.hpp"
#include "gradlab/scalar/conversions.hpp"

using namespace gradlab;
using namespace gradlab::nn;

namespace {

// bf16 and fp16 cannot hold beta2 = 0.999 (it rounds to 1, or fp16's
// 0.99902, too close to 1 for fp16's bias correction to matter): 0.99 for all.
std::vector<optimizer_spec> specs() {
    std::vector<optimizer_spec> out(6);
    out[1].momentum = "0.9", out[1].dampening = "0.1";
    out[2].momentum = "0.9", out[2].nesterov = true, out[2].weight_decay = "0.001";
    out[3].kind = optimizer_kind::adam, out[3].beta2 = "0.99", out[3].l1 = "0.001";
    out[4].kind = optimizer_kind::adamw, out[4].beta2 = "0.99", out[4].weight_decay = "0.01";
    out[5].kind = optimizer_kind::rmsprop, out[5].momentum = "0.5", out[5].centered = true;
    return out;
}

const char* const learning_rates[] = {"0.1", "0.05", "0.05", "0.1", "0.1", "0.01"};

template <class T>
double loss_in_double(const parameter<T>& p, const std::vector<double>& target) {
    double l = 0;
    for (std::size_t i = 0; i < target.size(); ++i) {
        const double d = arithmetic<T>::to_double(p.value.elements()[i]) - target[i];
        l += d * d / 2;
    }
    return l;
}

template <class T>
void descends(const char* precision_name) {
    arithmetic<T> a(parse_precision(precision_name));
    const std::vector<const char*> target_text = {"1", "-2", "0.5", "3"};
    std::vector<double> target;
    for (const char* t : target_text) target.push_back(std::stod(t));
    const auto specs_ = specs();
    for (std::size_t s = 0; s < specs_.size(); ++s) {
        parameter<T> p{"p", parameter_role::weight, a.matrix_of(1, 4), a.matrix_of(1, 4)};
        auto c = a.matrix_of(1, 4);
        for (std::size_t i = 0; i < 4; ++i) c.elements()[i] = a.number(target_text[i]);
        const auto opt = make_optimizer(specs_[s], a);
        const auto lr = a.number(learning_rates[s]);
        const double initial = loss_in_double(p, target);
        for (int step = 0; step < 60; ++step) {
            a.subtract(p.value.elements(), c.elements(), p.gradient.elements());
            opt->step({&p}, lr);
        }
        INFO(precision_name << " " << optimizer_name(specs_[s].kind) << " (spec " << s << "): loss "
                            << initial << " -> " << loss_in_double(p, target));
        CHECK(loss_in_double(p, target) < initial / 10);
    }
}

}  // namespace

TEST_CASE("optimizers: every kind reduces a quadratic tenfold in fp32, f128, mp256, bf16 and fp16", "[optim][nn]") {
    descends<float>("fp32");
    descends<float128>("f128");
    descends<mp_float>("mp256");
    descends<emulated_float>("bf16");
    descends<emulated_float>("fp16");
}

TEST_CASE("optimizers: adam rejects a beta2 that rounds to 1 in bf16", "[optim][nn]") {
    arithmetic<emulated_float> a(parse_precision("bf16"));
    optimizer_spec spec;
    spec.kind = optimizer_kind::adam;  // beta2 = 0.999: 1 in bf16
    CHECK_THROWS_AS(make_optimizer(spec, a), std::invalid_argument);
}

// Two Adam steps (weight decay 0.01) in mp256 against the formulas of
// optimizer.hpp at 1024 bits with the exact decimals. Inputs are dyadic, so
// both sides start from the same values. The update of each step is at most
// about 30 roundings of relative 2^-256 from the exact one (hyperparameters
// included), none amplified: the sums add terms of one sign, the
// denominators are at least eps; adding it to the parameter rounds once more.
// Bound: 2^-256 (2 |p| + 64 |total update|).
TEST_CASE("optimizers: two adam steps in mp256 agree with a 1024-bit evaluation", "[optim][nn]") {
    arithmetic<mp_float> a(parse_precision("mp256"));
    optimizer_spec spec;
    spec.kind = optimizer_kind::adam, spec.weight_decay = "0.01";
    const auto opt = make_optimizer(spec, a);
    const std::vector<const char*> start = {"0.5", "-1.25", "3"};
    const std::vector<std::vector<const char*>> gradients = {{"0.125", "-0.375", "0.0009765625"},
                                                             {"-0.25", "0.5", "0.0009765625"}};
    parameter<mp_float> p{"p", parameter_role::weight, a.matrix_of(1, 3), a.matrix_of(1, 3)};
    for (std::size_t i = 0; i < 3; ++i) p.value.elements()[i] = a.number(start[i]);
    const auto lr = a.number("0.001");
    for (const auto& g : gradients) {
        for (std::size_t i = 0; i < 3; ++i) p.gradient.elements()[i] = a.number(g[i]);
        opt->step({&p}, lr);
    }

    // The same at 1024 bits, element by element.
    mpfr_t lr_, b1, b2, eps, wd, x, m, v, g, t, c1, c2, got;
    mpfr_inits2(1024, lr_, b1, b2, eps, wd, x, m, v, g, t, c1, c2, got, static_cast<mpfr_ptr>(nullptr));
    REQUIRE(parse_number("0.001", lr_));
    REQUIRE(parse_number("0.9", b1));
    REQUIRE(parse_number("0.999", b2));
    REQUIRE(parse_number("1e-8", eps));
    REQUIRE(parse_number("0.01", wd));
    for (std::size_t i = 0; i < 3; ++i) {
        REQUIRE(parse_number(start[i], x));
        mpfr_set_zero(m, 1);
        mpfr_set_zero(v, 1);
        for (unsigned long step = 1; step <= gradients.size(); ++step) {
            REQUIRE(parse_number(gradients[step - 1][i], g));
            mpfr_fma(g, wd, x, g, MPFR_RNDN);  // g + wd x
            mpfr_mul(m, m, b1, MPFR_RNDN);     // m = b1 m + (1 - b1) g
            mpfr_ui_sub(t, 1, b1, MPFR_RNDN);
            mpfr_fma(m, t, g, m, MPFR_RNDN);
            mpfr_mul(v, v, b2, MPFR_RNDN);  // v = b2 v + (1 - b2) g^2
            mpfr_ui_sub(t, 1, b2, MPFR_RNDN);
            mpfr_mul(t, t, g, MPFR_RNDN);
            mpfr_fma(v, t, g, v, MPFR_RNDN);
            mpfr_pow_ui(c1, b1, step, MPFR_RNDN);  // c1 = 1 - b1^t, c2 = 1 - b2^t
            mpfr_ui_sub(c1, 1, c1, MPFR_RNDN);
            mpfr_pow_ui(c2, b2, step, MPFR_RNDN);
            mpfr_ui_sub(c2, 1, c2, MPFR_RNDN);
            mpfr_sqrt(t, v, MPFR_RNDN);  // denom = sqrt(v) / sqrt(c2) + eps
            mpfr_sqrt(c2, c2, MPFR_RNDN);
            mpfr_div(t, t, c2, MPFR_RNDN);
            mpfr_add(t, t, eps, MPFR_RNDN);
            mpfr_div(t, m, t, MPFR_RNDN);  // x = x - (lr / c1) m / denom
            mpfr_mul(t, t, lr_, MPFR_RNDN);
            mpfr_div(t, t, c1, MPFR_RNDN);
            mpfr_sub(x, x, t, MPFR_RNDN);
        }
        // bound = 2^-256 (2 |x| + 64 |x - x0|)
        REQUIRE(parse_number(start[i], t));
        mpfr_sub(t, x, t, MPFR_RNDN);
        mpfr_abs(t, t, MPFR_RNDN);
        mpfr_mul_ui(t, t, 32, MPFR_RNDN);
        mpfr_abs(c1, x, MPFR_RNDN);
        mpfr_add(t, t, c1, MPFR_RNDN);
        mpfr_mul_2si(t, t, -255, MPFR_RNDN);
        arithmetic<mp_float>::to_mpfr(p.value.elements()[i], got);
        mpfr_sub(got, got, x, MPFR_RNDN);
        mpfr_abs(got, got, MPFR_RNDN);
        INFO("element " << i << ": error " << mpfr_get_d(got, MPFR_RNDN) << ", bound " << mpfr_get_d(t, MPFR_RNDN));
        CHECK(mpfr_cmp(got, t) <= 0);
    }
    mpfr_clears(lr_, b1, b2, eps, wd, x, m, v, g, t, c1, c2, got, static_cast<mpfr_ptr>(nullptr));
}
