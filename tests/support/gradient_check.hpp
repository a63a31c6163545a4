#pragma once
// Gradient checks in high precision: a model built in mp at `bits`
// significand bits, its analytic gradients against central finite
// differences (L(p + h) - L(p - h)) / 2h for every entry of every parameter.
//
// With h = 2^-170 and 512 bits, the difference quotient is within
// h^2 |L'''| / 6 (truncation, about 1e-102 |L'''|) plus 2^-512 |L| / h
// (rounding, about 1e-103 |L|) of the true derivative, so the bound 1e-60,
// relative to the largest entry of the tensor (an entry may be exactly 0, a
// dead ReLU), leaves some forty orders of magnitude for L''' and L. A wrong
// backward formula misses it by fifty. Inputs are random, so no entry sits
// within h of a kink (ReLU at 0).
//
// A failure names the parameter and the entry.

#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <mpfr.h>

#include "gradlab/nn/loss.hpp"
#include "gradlab/nn/network.hpp"
#include "gradlab/scalar/counter_rng.hpp"

namespace gradlab::test {

inline constexpr int gradient_check_bits = 512;
inline constexpr long gradient_check_step_exponent = -170;  // h = 2^-170
inline constexpr double gradient_check_bound = 1e-60;

struct gradient_check_batch {
    matrix<mp_float> x;
    matrix<mp_float> y;                 // mse, bce_with_logits
    std::vector<std::int64_t> labels;  // softmax_cross_entropy
};

// A seeded batch of `rows` examples for a model with `inputs` features and
// `outputs` outputs: x standard normal, targets to suit the loss.
inline gradient_check_batch gradient_check_data(std::size_t rows, std::size_t inputs, std::size_t outputs,
                                                nn::loss_kind loss, std::uint64_t seed, int bits) {
    gradient_check_batch b{matrix<mp_float>(rows, inputs, element_precision{bits}),
                           matrix<mp_float>(rows, outputs, element_precision{bits}),
                           {}};
    counter_rng(seed, 1).fill_normal(b.x.elements(), 0);
    if (loss == nn::loss_kind::bce_with_logits) counter_rng(seed, 2).fill_uniform(b.y.elements(), 0);
    else counter_rng(seed, 2).fill_normal(b.y.elements(), 0);
    for (std::size_t r = 0; r < rows; ++r) b.labels.push_back(static_cast<std::int64_t>((r * 7 + 3) % outputs));
    return b;
}

// Every parameter set to a seeded value: weights and biases uniform in
// [-0.5, 0.5) times `weight_scale`; normalisation scales 1 + that; slopes 0.25 + that.
inline void randomise_parameters(nn::network<mp_float>& net, std::uint64_t seed, double weight_scale = 1.0) {
    std::uint64_t stream = 100;
    for (auto* p : net.parameters()) {
        auto& v = p->value;
        counter_rng(seed, stream++).fill_uniform(v.elements(), 0, to_mp(weight_scale, gradient_check_bits),
                                                 to_mp(-0.5 * weight_scale, gradient_check_bits));
        const double offset = p->role == nn::parameter_role::norm_scale ? 1.0
                              : p->role == nn::parameter_role::slope   ? 0.25
                                                                       : 0.0;
        if (offset != 0)
            for (auto& e : v.elements()) mpfr_add_d(e.backend().data(), e.backend().data(), offset, MPFR_RNDN);
    }
}

inline void loss_at(nn::network<mp_float>& net, nn::loss_function<mp_float>& loss, const gradient_check_batch& b,
                    mp_float& out) {
    const auto y = net.forward(b.x, nn::pass_mode::training);
    loss.forward(y, {b.y.row_range(0, b.y.rows()), b.labels}, out);
}

// Checks every gradient entry of `spec` under `loss_kind` on a seeded batch.
// Returns the largest error found, relative to each tensor's largest entry.
inline double check_gradients(const nn::model_spec& spec, nn::loss_kind loss_kind, std::uint64_t seed,
                              std::size_t rows = 5, double weight_scale = 1.0) {
    nn::arithmetic<mp_float> a(parse_precision("mp" + std::to_string(gradient_check_bits)));
    nn::network<mp_float> net(spec, a);
    auto loss = nn::make_loss(loss_kind, a);
    randomise_parameters(net, seed, weight_scale);
    const auto batch = gradient_check_data(rows, net.input_width(), net.output_width(), loss_kind, seed, a.significand_bits());

    mp_float l = a.zero(), plus = a.zero(), minus = a.zero(), fd = a.zero(), saved = a.zero();
    loss_at(net, *loss, batch, l);
    net.backward(loss->backward(a.number("1")));

    double worst = 0;
    for (auto* p : net.parameters()) {
        REQUIRE(p->gradient.rows() == p->value.rows());
        REQUIRE(p->gradient.cols() == p->value.cols());
        const matrix<mp_float> analytic = p->gradient;  // the next forwards leave it, but be sure
        mp_float scale = a.zero();
        for (const auto& g : analytic.elements()) scale = std::max(scale, mp_float(abs(g)));
        for (std::size_t i = 0; i < p->value.rows(); ++i) {
            for (std::size_t j = 0; j < p->value.cols(); ++j) {
                mpfr_ptr v = p->value(i, j).backend().data();
                mpfr_set(saved.backend().data(), v, MPFR_RNDN);
                mpfr_set_ui_2exp(fd.backend().data(), 1, gradient_check_step_exponent, MPFR_RNDN);  // h
                mpfr_add(v, saved.backend().data(), fd.backend().data(), MPFR_RNDN);
                loss_at(net, *loss, batch, plus);
                mpfr_sub(v, saved.backend().data(), fd.backend().data(), MPFR_RNDN);
                loss_at(net, *loss, batch, minus);
                mpfr_set(v, saved.backend().data(), MPFR_RNDN);
                mpfr_sub(fd.backend().data(), plus.backend().data(), minus.backend().data(), MPFR_RNDN);
                mpfr_mul_2si(fd.backend().data(), fd.backend().data(), -gradient_check_step_exponent - 1,
                             MPFR_RNDN);  // / 2h
                const mp_float error = abs(fd - analytic(i, j));
                const double relative =
                    scale == 0 ? static_cast<double>(error) : static_cast<double>(error / scale);
                worst = std::max(worst, relative);
                INFO("parameter " << p->name << " entry (" << i << ", " << j << "): analytic "
                                  << analytic(i, j).str(30) << ", finite difference " << fd.str(30)
                                  << ", error relative to the tensor's largest entry " << relative);
                CHECK(relative <= gradient_check_bound);
            }
        }
    }
    return worst;
}

}  // namespace gradlab::test
