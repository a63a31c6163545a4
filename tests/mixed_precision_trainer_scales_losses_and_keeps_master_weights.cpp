// The trainer's mixed-precision options, on one neuron y = w x with MSE:
// +master32 keeps fp32 master weights, so updates smaller than half an ulp of
// the fp16 weight accumulate instead of being rounded away; +ls skips a step
// whose scaled gradient overflows fp16 and backs the scale off, as
// GradScaler does.

#include <vector>

#include <catch2/catch.hpp>

#include "gradlab/nn/trainer.hpp"

using namespace gradlab;
using namespace gradlab::nn;

namespace {

model_spec neuron() {
    model_spec spec{1, {}};
    spec.layers.emplace_back(dense_spec{1, false});
    return spec;
}

struct neuron_run {
    std::vector<float> weights;  // after each step
    std::vector<bool> skipped;
};

// `steps` SGD steps of w x against t from w = w0.
neuron_run train(const char* precision_name, float w0, float x, float t, const char* lr, int steps) {
    arithmetic<emulated_float> a(parse_precision(precision_name));
    training_spec training;
    training.optimizer.learning_rate = lr;
    trainer<emulated_float> tr(neuron(), training, a);
    mp_float w = to_mp(static_cast<double>(w0), 64);
    std::vector<matrix<mp_float>> values;
    values.emplace_back(1, 1, w);
    tr.load(values);
    matrix<float> input(1, 1, x), target(1, 1, t);
    neuron_run run;
    for (int s = 0; s < steps; ++s) {
        tr.step(input, {target, {}});
        run.weights.push_back(tr.model().parameter_named("layers.0.weight").value(0, 0));
        run.skipped.push_back(tr.last_step_skipped());
    }
    return run;
}

}  // namespace

TEST_CASE("+master32 accumulates updates below half an fp16 ulp that plain fp16 rounds away",
          "[nn][mixed_precision]") {
    // w = 1, x = 1, t = 0: dL/dw = 2, so each step's update is 2 lr = 1e-4,
    // below half the fp16 spacing under 1 (2^-12, about 2.4e-4).
    const auto plain = train("fp16", 1.0f, 1.0f, 0.0f, "0.00005", 10);
    const auto master = train("fp16+master32", 1.0f, 1.0f, 0.0f, "0.00005", 10);
    CHECK(plain.weights.back() == 1.0f);  // every update rounded away
    // The master weight after 10 steps is about 1 - 1e-3 (each step
    // multiplies by 1 - 1e-4), rounded to fp16 once: 0.99902 (1 - 2^-10).
    CHECK(master.weights.back() == 1.0f - 0x1p-10f);
    CHECK(master.weights.front() == 1.0f);  // one step alone is still below half an ulp
}

TEST_CASE("+ls skips a step whose scaled gradient overflows fp16 and backs the scale off",
          "[nn][mixed_precision]") {
    // dL/dy = 2 (y - t) = -20 times the scale 2^16 is -1.3e6, beyond fp16's
    // 65504: the first steps are skipped, each halving the scale, until
    // 20 * 2^s fits (2^s <= 2^11, after five backoffs); the weight moves then.
    const auto run = train("fp16+ls", 0.0f, 1.0f, 10.0f, "0.01", 7);
    for (int s = 0; s < 5; ++s) {
        INFO("step " << s);
        CHECK(run.skipped[s]);
        CHECK(run.weights[s] == 0.0f);
    }
    CHECK_FALSE(run.skipped[5]);
    // One SGD step from 0 with gradient -20 (unscaled exactly) and lr 0.01 in
    // fp16 (0.0100021...): w = fp16(fp16(0.01) * 20) = 0.20007, not fp16(0.2).
    const double lr = round_to_format(0.01, binary16(), rounding_mode::nearest_even);
    CHECK(run.weights[5] == static_cast<float>(round_to_format(lr * 20, binary16(), rounding_mode::nearest_even)));
}
