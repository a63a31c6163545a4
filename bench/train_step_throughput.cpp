// One full training step (forward, MSE loss, backward, SGD update) in each
// precision, on the two configurations of issue 4:
//   wide:            8 Dense layers 256 -> 256, tanh after all but the last, batch 128
//   deep and narrow: 32 Dense layers 64 -> 64, sigmoid after all but the last, batch 64
// named BM_train_step_<precision>/<layers>/<width>/<batch>/<threads>.
// analysis/torch_train_step_timing.py times PyTorch on the same shapes and
// writes BM_pytorch_train_step_<precision>/... in the same JSON format, so
// bench/pair_ratios.py --baseline pytorch pairs them (analysis/README.md).
//
// Weights uniform in +-1/sqrt(256) or +-1/sqrt(64) (PyTorch's default Linear
// scale), data standard normal, lr 1e-3: a step that neither explodes nor
// saturates, so every precision times ordinary arithmetic.

#include <benchmark/benchmark.h>
#include <omp.h>

#include <cstdint>
#include <random>
#include <string>

#include <mpfr.h>

#include "gradlab/nn/trainer.hpp"
#include "support/run_registered_benchmarks.hpp"

namespace {

using namespace gradlab;
using namespace gradlab::nn;

struct configuration {
    std::int64_t layers, width, batch;
    activation_kind hidden;
};

constexpr configuration wide{8, 256, 128, activation_kind::tanh};
constexpr configuration deep_narrow{32, 64, 64, activation_kind::sigmoid};

template <class T>
matrix<storage_t<T>> random_matrix(arithmetic<T>& a, std::size_t rows, std::size_t cols, double bound,
                                   std::mt19937_64& gen, bool normal) {
    auto m = a.matrix_of(rows, cols);
    std::uniform_real_distribution<double> uniform(-bound, bound);
    std::normal_distribution<double> gauss(0, 1);
    mpfr_t v;
    mpfr_init2(v, 53);
    for (auto& e : m.elements()) {
        mpfr_set_d(v, normal ? gauss(gen) : uniform(gen), MPFR_RNDN);
        a.assign(e, v);
    }
    mpfr_clear(v);
    return m;
}

template <class T>
void bm_train_step(benchmark::State& state, const char* precision_name, configuration c) {
    const int threads = static_cast<int>(state.range(3));
    omp_set_num_threads(threads);
    arithmetic<T> a(parse_precision(precision_name), 1);
    const auto width = static_cast<std::size_t>(c.width);
    const auto spec = multilayer_perceptron(width, width, static_cast<std::size_t>(c.layers - 1), {c.hidden}, width);
    training_spec training;
    training.optimizer.learning_rate = "1e-3";
    trainer<T> t(spec, training, a);
    std::mt19937_64 gen(20261123);
    for (auto* p : t.model().parameters())
        p->value = random_matrix(a, p->value.rows(), p->value.cols(), 1 / std::sqrt(c.width), gen, false);
    const auto x = random_matrix(a, static_cast<std::size_t>(c.batch), width, 0, gen, true);
    const auto y = random_matrix(a, static_cast<std::size_t>(c.batch), width, 0, gen, true);
    for (auto _ : state) benchmark::DoNotOptimize(&t.step(x, {y, {}}));
    state.counters["threads"] = threads;
}

template <class T>
void register_precision(const char* precision_name, const std::string& label) {
    for (const configuration& c : {wide, deep_narrow})
        for (int threads : {1, 2}) {
            auto* b = benchmark::RegisterBenchmark(("BM_train_step_" + label).c_str(), bm_train_step<T>,
                                                   precision_name, c);
            // Compare real_time (pair_ratios.py's default): cpu_time counts the main thread only.
            b->Args({c.layers, c.width, c.batch, threads})->Unit(benchmark::kMillisecond);
        }
}

}  // namespace

int main(int argc, char** argv) {
    register_precision<float>("fp32", "fp32");
    register_precision<double>("fp64", "fp64");
    register_precision<emulated_float>("bf16+acc32", "bf16_acc32");
    register_precision<float128>("f128", "f128");
    register_precision<mp_float>("mp256", "mp256");
    return gradlab::bench::run_registered_benchmarks(argc, argv);
}
