// Training works end to end in fp32, fp64 and mp128: a 4-layer tanh MLP
// (Xavier initialisation, Adam, shuffled mini-batches of 32) learns a
// teacher-student regression (a random 2-layer tanh teacher) and reduces its
// loss on the whole training set at least 100-fold, the bar, from
// the same initial weights and data rounded once into each precision.

#include <string>

#include <catch2/catch.hpp>

#include "gradlab/nn/batches.hpp"
#include "gradlab/nn/dataset.hpp"
#include "gradlab/nn/init.hpp"
#include "gradlab/nn/trainer.hpp"

using namespace gradlab;
using namespace gradlab::nn;

namespace {

constexpr std::uint64_t seed = 2026;
constexpr int reference_bits = 256;  // the run's highest precision: data and weights are drawn there
constexpr std::size_t epochs = 60;

const teacher_student_spec teacher{.samples = 256, .input_dim = 4, .output_dim = 2, .hidden_width = 8,
                                   .hidden_depth = 2};

template <class T>
double loss_reduction(const char* precision_name) {
    arithmetic<T> a(parse_precision(precision_name), seed);
    const auto model = multilayer_perceptron(teacher.input_dim, 16, 3, {activation_kind::tanh}, teacher.output_dim);
    training_spec training;
    training.optimizer.kind = optimizer_kind::adam;
    training.optimizer.learning_rate = "0.01";
    trainer<T> t(model, training, a);
    t.load(initial_parameters(parameter_layouts(t.model()), init_spec{.scheme = init_scheme::xavier_uniform}, seed,
                              reference_bits));

    const dataset data = teacher_student(teacher, seed, reference_bits);
    const auto x = round_into(data.x, a);
    const auto y = round_into(data.y, a);
    batcher<T> batches(x, y, {}, {.batch_size = 32}, seed, a);

    const double initial = arithmetic<T>::to_double(t.evaluate(x, {y, {}}));
    for (std::size_t e = 0; e < epochs; ++e) {
        batches.start_epoch(e);
        for (std::size_t b = 0; b < batches.batch_count(); ++b) {
            const auto batch = batches.batch(b);
            t.step(batch.x, {batch.y, {}});
        }
    }
    const double final = arithmetic<T>::to_double(t.evaluate(x, {y, {}}));
    INFO(precision_name << ": loss " << initial << " -> " << final);
    CHECK(final > 0);
    return initial / final;
}

}  // namespace

TEST_CASE("a 4-layer tanh MLP reduces its teacher-student loss 100-fold in fp32, fp64 and mp128",
          "[nn][training]") {
    CHECK(loss_reduction<float>("fp32") >= 100);
    CHECK(loss_reduction<double>("fp64") >= 100);
    CHECK(loss_reduction<mp_float>("mp128") >= 100);
}
