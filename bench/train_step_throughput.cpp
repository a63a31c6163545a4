// One full training step (forward, MSE loss, backward, SGD update) in each
// precision, on the two configurations of issue 4:
//   wide:            8 Dense layers 256 -> 256, tanh after all but the last, batch 128
//   deep and narrow: 32 Dense layers 64 -> 64, sigmoid after all but the last, batch 64
// named BM_train_step_<precision>/<layers>/<width>/<batch>/<threads>.
// analysis/torch_train_step_timing.py times PyTorch on the same shapes and
// writes BM_pytorch_train_step_<precision>/... in the same JSON format, so
// bench/pair_ratios.py --baseline pytorch pairs them (analysis/README.md).
//
// The setup (weights, data, learning rate) is support/train_step_setup.hpp's.

#include <benchmark/benchmark.h>
#include <omp.h>

#include <string>

#include "support/run_registered_benchmarks.hpp"
#include "support/train_step_setup.hpp"

namespace {

using namespace gradlab;
using bench::train_configuration;

template <class T>
void bm_train_step(benchmark::State& state, const char* precision_name, train_configuration c) {
    const int threads = static_cast<int>(state.range(3));
    omp_set_num_threads(threads);
    bench::train_step_setup<T> setup(precision_name, c);
    for (auto _ : state) benchmark::DoNotOptimize(&setup.step());
    state.counters["threads"] = threads;
}

template <class T>
void register_precision(const char* precision_name, const std::string& label) {
    for (const train_configuration& c : {bench::wide, bench::deep_narrow})
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
