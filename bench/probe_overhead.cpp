// The cost of leaving the probes on (issue 5: at most 15% over the bare step):
// one fp32 training step of the wide configuration (support/train_step_setup.hpp)
//   without_probes:                   no observer, as bench/train_step_throughput.cpp
//   with_probes:                      a lane_probe recording every tensor's statistics
//                                     and checking every tensor for NaN/Inf, every step
//   with_probes_and_histograms:       the same, and every gradient's binade histogram
//                                     every step (the runner: every histogram_interval steps)
//   with_probes_and_conditioning:     the same as with_probes, and the weights' conditioning estimate
//                                     every step (the runner does it every
//                                     conditioning_interval steps: for information)
// named BM_train_step_fp32_<case>/<layers>/<width>/<batch>/<threads>; and
// BM_measure_fp32/rows:128/cols:256, the statistics of one tensor of the wide
// configuration (a batch of activations), which the probes take 85 times a step.
// Run with --benchmark_repetitions=N --benchmark_enable_random_interleaving=true
// so that the cases share the machine's load, and compare median real_time
// (analysis/torch_detect_anomaly_overhead.py measures PyTorch's anomaly mode
// on the same configuration). On a machine busy with other work, 2 threads
// need OMP_WAIT_POLICY=passive, else they time spinning barriers.

#include <benchmark/benchmark.h>
#include <omp.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "gradlab/probe/lane_probe.hpp"
#include "gradlab/probe/tensor_statistics.hpp"
#include "support/run_registered_benchmarks.hpp"
#include "support/train_step_setup.hpp"

namespace {

using namespace gradlab;

// std::nullopt: no probe at all.
void bm_train_step_fp32(benchmark::State& state, std::optional<probe::step_measures> measures) {
    const int threads = static_cast<int>(state.range(3));
    omp_set_num_threads(threads);
    bench::train_step_setup<float> setup("fp32", bench::wide);
    probe::lane_probe<float> probe(setup.t, "sgd");  // in every case, so that all allocate alike
    if (measures) setup.t.set_observer(&probe);
    std::size_t step = 0;
    for (auto _ : state) {
        if (measures) probe.begin_step(step++, *measures);
        benchmark::DoNotOptimize(&setup.step());
    }
    state.counters["threads"] = threads;
}

void register_case(const std::string& name, std::optional<probe::step_measures> measures) {
    const auto& c = bench::wide;
    for (int threads : {1, 2})
        benchmark::RegisterBenchmark(("BM_train_step_fp32_" + name).c_str(), bm_train_step_fp32, measures)
            ->Args({c.layers, c.width, c.batch, threads})
            ->UseRealTime()  // cpu_time counts the main thread only
            ->Unit(benchmark::kMillisecond);
}

// Standard normal values, like activations and gradients; fixed seed.
void bm_measure_fp32(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0) * state.range(1));
    std::vector<float> values(n);
    std::mt19937_64 gen(20240601);
    std::normal_distribution<float> normal(0, 1);
    for (auto& v : values) v = normal(gen);
    for (auto _ : state) benchmark::DoNotOptimize(probe::measure(std::span<const float>(values), binary32()));
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(n * sizeof(float)));
}

}  // namespace

int main(int argc, char** argv) {
    register_case("without_probes", std::nullopt);
    register_case("with_probes", probe::step_measures{.statistics = true});
    register_case("with_probes_and_histograms", probe::step_measures{.statistics = true, .histogram = true});
    register_case("with_probes_and_conditioning", probe::step_measures{.statistics = true, .conditioning = true});
    benchmark::RegisterBenchmark("BM_measure_fp32", bm_measure_fp32)
        ->ArgNames({"rows", "cols"})
        ->Args({bench::wide.batch, bench::wide.width})
        ->Unit(benchmark::kMicrosecond);
    return gradlab::bench::run_registered_benchmarks(argc, argv);
}
