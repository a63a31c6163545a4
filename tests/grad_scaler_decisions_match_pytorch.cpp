// Dynamic loss scaling against torch.cuda.amp.GradScaler's rules
// (analysis/fixtures/torch_grad_scaler.py). GradScaler needs CUDA and
// PyTorch 1.13 has no CPU kernel for its update, so the fixture reproduces
// _amp_update_scale_ and the unscale step from torch's sources in numpy
// float32: these are the expected decisions, not a run of GradScaler.
//
// Over scripted sequences of finite and non-finite steps (growth_interval 3,
// 2 and 1; growth capped below fp32's Inf; factors that are not powers of
// two), every step must agree exactly: found_inf and so the skip, the fp32
// scale after update(), the growth tracker, and the unscaled gradients (each
// scaled gradient times torch's fp32 inverse scale, one rounding in fp64).

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "gradlab/nn/loss_scaler.hpp"
#include "support/torch_fixture.hpp"

using namespace gradlab;
using namespace gradlab::nn;

namespace {

loss_scaler_spec spec_of(const nlohmann::json& s) {
    loss_scaler_spec spec;
    spec.initial_scale = s["init_scale"].get<double>();
    spec.growth_factor = s["growth_factor"].get<double>();
    spec.backoff_factor = s["backoff_factor"].get<double>();
    spec.growth_interval = s["growth_interval"].get<std::size_t>();
    return spec;
}

}  // namespace

TEST_CASE("loss_scaler: skip, backoff and growth decisions match GradScaler's rules step by step",
          "[optim][nn][loss_scale]") {
    const auto fixture = test::read_torch_fixture("grad_scaler.json");
    arithmetic<double> a(parse_precision("fp64"));
    for (const auto& [name, sequence] : fixture["sequences"].items()) {
        loss_scaler<double> scaler(spec_of(sequence), a);
        parameter<double> p{"p", parameter_role::weight, matrix<double>(2, 3), matrix<double>(2, 3)};
        parameter<double> q{"q", parameter_role::bias, matrix<double>(1, 3), matrix<double>(1, 3)};
        const std::vector<parameter<double>*> parameters = {&p, &q};
        std::size_t step = 0, skipped = 0;
        for (const auto& s : sequence["steps"]) {
            INFO(name << " step " << step);
            // Scaled gradients: 0.1 (i + 1) times the scale, a NaN or an Inf
            // in the second parameter when the step is to be non-finite.
            for (auto* r : parameters)
                for (std::size_t i = 0; i < r->gradient.size(); ++i)
                    r->gradient.elements()[i] = 0.1 * static_cast<double>(i + 1) * scaler.scale();
            const bool found_inf = s["found_inf"].get<bool>();
            if (found_inf)
                q.gradient(0, step % 3) =
                    step % 2 ? std::numeric_limits<double>::quiet_NaN() : -std::numeric_limits<double>::infinity();
            const auto scaled = p.gradient.elements()[4];

            CHECK(scaler.scale() == static_cast<double>(scaler.scale_fp32()));
            CHECK(scaler.unscale_and_check(parameters) == !found_inf);
            CHECK(p.gradient.elements()[4] == scaled * test::hex_double(s["inv_scale"]));
            CHECK(s["skipped"].get<bool>() == found_inf);
            skipped += found_inf;

            scaler.update(found_inf);
            CHECK(static_cast<double>(scaler.scale_fp32()) == test::hex_double(s["scale_after"]));
            CHECK(scaler.growth_tracker() == s["growth_tracker_after"].get<std::size_t>());
            CHECK(scaler.skipped_steps() == skipped);
            ++step;
        }
    }
}

TEST_CASE("loss_scaler: the fp32 scale, an unrounded fp32 operand for the emulated formats",
          "[optim][nn][loss_scale]") {
    loss_scaler_spec spec;  // 2^16
    arithmetic<emulated_float> fp16(parse_precision("fp16")), bf16(parse_precision("bf16"));
    arithmetic<mp_float> mp(parse_precision("mp256"));
    // fp16's largest value is 65504, yet the scale stays the fp32 2^16 (as
    // torch scales an fp32 loss): the seed of a loss gradient, whose product
    // with 2 (y - t) / N is rounded once to fp16.
    loss_scaler<emulated_float> in_fp16(spec, fp16);
    CHECK(in_fp16.scale() == 65536.0f);
    std::vector<float> two_over_n{1.0f / 64}, seeded{0};
    fp16.scale(in_fp16.scale(), two_over_n, seeded);
    CHECK(seeded[0] == 1024.0f);
    in_fp16.update(true);
    CHECK(in_fp16.scale() == 32768.0f);
    CHECK(loss_scaler<emulated_float>(spec, bf16).scale() == 65536.0f);
    CHECK(loss_scaler<mp_float>(spec, mp).scale() == 65536);

    // Unscaling a bf16 gradient by 2^-16 is exact; 2^-133 * 2^-16 underflows
    // below bf16's smallest subnormal 2^-133 and becomes 0, while the check
    // (made before unscaling) saw only finite values.
    loss_scaler<emulated_float> in_bf16(spec, bf16);
    parameter<emulated_float> p{"p", parameter_role::weight, bf16.matrix_of(1, 2), bf16.matrix_of(1, 2)};
    p.gradient(0, 0) = 3.0f;
    p.gradient(0, 1) = std::ldexp(1.0f, -133);
    CHECK(in_bf16.unscale_and_check({&p}));
    CHECK(p.gradient(0, 0) == std::ldexp(3.0f, -16));
    CHECK(p.gradient(0, 1) == 0.0f);

    spec.growth_interval = 0;
    arithmetic<double> fp64(parse_precision("fp64"));
    CHECK_THROWS_AS(loss_scaler<double>(spec, fp64), std::invalid_argument);
}
