// Throughput of the fp32 activation kernels against a plain scalar std:: loop
// over the same array in the same binary: the target is at least 10x
// for tanh, sigmoid and exp. Names pair by prefix: BM_<op>_f32/<n> (the
// kernel, on active_isa()) and BM_std_<op>_f32/<n> (the loop); gelu is there
// for information, its loop is std::erfc.
//
// One thread. items_per_second counts elements; the ratio of a pair's
// items_per_second is the speed-up.

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "gradlab/kernels/activation.hpp"
#include "gradlab/kernels/elementwise.hpp"
#include "support/run_registered_benchmarks.hpp"

namespace {

using gradlab::activation_kind;

// Elements per array. 4096 (16 KiB in, 16 KiB out) stays in L1: the
// arithmetic shows alone. 65536 (512 KiB both) sits in L2, and 2^20 (8 MiB
// both) in L3 or beyond, where a kernel as fast as these starts to wait for
// memory while the scalar loop still does not.
constexpr std::int64_t sizes[] = {4096, 65536, 1 << 20};

// Pre-activations of a trained layer: normal, standard deviation 3, so a
// vector mixes small arguments with saturated ones (tanh and sigmoid take
// different branches for them). Fixed seed: every run times the same data.
std::vector<float> sample(std::size_t n) {
    std::mt19937_64 gen(20240611);
    std::normal_distribution<float> normal(0.0f, 3.0f);
    std::vector<float> v(n);
    for (auto& x : v) x = normal(gen);
    return v;
}

template <class Run>
void time_it(benchmark::State& state, Run run) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const auto in = sample(n);
    std::vector<float> out(n);
    for (auto _ : state) {
        run(std::span<const float>(in), std::span<float>(out));
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
}

void bm_activation(benchmark::State& state, activation_kind kind) {
    time_it(state, [kind](std::span<const float> x, std::span<float> y) { gradlab::activation_forward({kind}, x, y); });
}

void bm_exp(benchmark::State& state) {
    time_it(state, [](std::span<const float> x, std::span<float> y) { gradlab::exponential(x, y); });
}

template <class F>
void bm_std(benchmark::State& state, F f) {
    time_it(state, [f](std::span<const float> x, std::span<float> y) {
        for (std::size_t i = 0; i < x.size(); ++i) y[i] = f(x[i]);
    });
}

void with_sizes(benchmark::internal::Benchmark* b) {
    for (auto n : sizes) b->Arg(n);
}

}  // namespace

int main(int argc, char** argv) {
    benchmark::RegisterBenchmark("BM_tanh_f32", bm_activation, activation_kind::tanh)->Apply(with_sizes);
    benchmark::RegisterBenchmark("BM_std_tanh_f32", bm_std<float (*)(float)>, [](float x) {
        return std::tanh(x);
    })->Apply(with_sizes);
    benchmark::RegisterBenchmark("BM_sigmoid_f32", bm_activation, activation_kind::sigmoid)->Apply(with_sizes);
    benchmark::RegisterBenchmark("BM_std_sigmoid_f32", bm_std<float (*)(float)>, [](float x) {
        return 1.0f / (1.0f + std::exp(-x));
    })->Apply(with_sizes);
    benchmark::RegisterBenchmark("BM_exp_f32", bm_exp)->Apply(with_sizes);
    benchmark::RegisterBenchmark("BM_std_exp_f32", bm_std<float (*)(float)>, [](float x) {
        return std::exp(x);
    })->Apply(with_sizes);
    benchmark::RegisterBenchmark("BM_gelu_f32", bm_activation, activation_kind::gelu)->Apply(with_sizes);
    benchmark::RegisterBenchmark("BM_std_gelu_f32", bm_std<float (*)(float)>, [](float x) {
        return 0.5f * x * std::erfc(-x * 0.70710678f);
    })->Apply(with_sizes);

    return gradlab::bench::run_registered_benchmarks(argc, argv);
}
