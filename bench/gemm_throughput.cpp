// Throughput of the float and double GEMM (kernels/gemm.hpp) against
// OpenBLAS, timed in the same run on the same operands, and of the bf16 GEMM
// with fp32 accumulation (+acc32) against our own fp32 GEMM.
//
// Names: BM_gemm_<layout>_<f32|f64>/M/N/K/threads and the twin
// BM_openblas_gemm_<layout>_<f32|f64>/M/N/K/threads (OpenBLAS with as many
// threads); BM_gemm_<layout>_bf16_acc32/... and the twin
// BM_fp32_gemm_<layout>_bf16_acc32/... (the fp32 GEMM on the same operands).
// bench/pair_ratios.py pairs them. Counter: GFLOP/s, 2 M N K flops a call.
// Shapes: square 64 to 1024 (64: the tile loops and packing overheads
// dominate; 1024: the cache blocking does), and the MLP shapes of a training
// step, batch x width x width: 128x512x512, 128x256x256, and 32x1024x1024
// (a small batch through a wide layer: each entry of the weight matrix is used
// only 32 times, so moving it costs as much as the arithmetic).

#include <benchmark/benchmark.h>
#include <cblas.h>

#include <omp.h>

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "gradlab/kernels/gemm.hpp"
#include "gradlab/scalar/round_array.hpp"
#include "gradlab/tensor/matrix.hpp"
#include "support/run_registered_benchmarks.hpp"

namespace {

using gradlab::gemm_layout;

struct shape {
    std::int64_t m, n, k;
};

constexpr std::array<shape, 8> shapes = {{{64, 64, 64},
                                          {128, 128, 128},
                                          {256, 256, 256},
                                          {512, 512, 512},
                                          {1024, 1024, 1024},
                                          {128, 512, 512},
                                          {128, 256, 256},
                                          {32, 1024, 1024}}};

constexpr std::array<shape, 3> mlp_shapes = {{{128, 512, 512}, {128, 256, 256}, {32, 1024, 1024}}};

// Operands of one benchmark: uniform in [-1, 1], fixed seed.
template <class T>
struct operands {
    gradlab::matrix<T> a, b, c;
    operands(gemm_layout layout, const shape& s)
        : a(layout == gemm_layout::tn ? s.k : s.m, layout == gemm_layout::tn ? s.m : s.k),
          b(layout == gemm_layout::nt ? s.n : s.k, layout == gemm_layout::nt ? s.k : s.n),
          c(s.m, s.n) {
        std::mt19937_64 gen(20241123);
        std::uniform_real_distribution<T> uniform(-1, 1);
        for (T& x : a.elements()) x = uniform(gen);
        for (T& x : b.elements()) x = uniform(gen);
    }
};

shape shape_of(const benchmark::State& state) { return {state.range(0), state.range(1), state.range(2)}; }

// Times call(), which writes `result`, and counts 2 m n k flops a call.
template <class Call>
void time_calls(benchmark::State& state, const shape& s, const void* result, Call call) {
    for (auto _ : state) {
        call();
        benchmark::DoNotOptimize(result);
        benchmark::ClobberMemory();
    }
    state.counters["GFLOP/s"] =
        benchmark::Counter(2.0 * s.m * s.n * s.k * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

template <class T>
void bm_gemm(benchmark::State& state, gemm_layout layout) {
    const shape s = shape_of(state);
    operands<T> x(layout, s);
    omp_set_num_threads(static_cast<int>(state.range(3)));
    time_calls(state, s, x.c.data(), [&] { gradlab::gemm(layout, T(1), x.a.view(), x.b.view(), T(0), x.c.view()); });
}

void blas_gemm(gemm_layout layout, const shape& s, const float* a, const float* b, float* c) {
    cblas_sgemm(CblasRowMajor, layout == gemm_layout::tn ? CblasTrans : CblasNoTrans,
                layout == gemm_layout::nt ? CblasTrans : CblasNoTrans, s.m, s.n, s.k, 1.0f, a,
                layout == gemm_layout::tn ? s.m : s.k, b, layout == gemm_layout::nt ? s.k : s.n, 0.0f, c, s.n);
}
void blas_gemm(gemm_layout layout, const shape& s, const double* a, const double* b, double* c) {
    cblas_dgemm(CblasRowMajor, layout == gemm_layout::tn ? CblasTrans : CblasNoTrans,
                layout == gemm_layout::nt ? CblasTrans : CblasNoTrans, s.m, s.n, s.k, 1.0, a,
                layout == gemm_layout::tn ? s.m : s.k, b, layout == gemm_layout::nt ? s.k : s.n, 0.0, c, s.n);
}

template <class T>
void bm_openblas_gemm(benchmark::State& state, gemm_layout layout) {
    const shape s = shape_of(state);
    operands<T> x(layout, s);
    openblas_set_num_threads(static_cast<int>(state.range(3)));
    time_calls(state, s, x.c.data(), [&] { blas_gemm(layout, s, x.a.data(), x.b.data(), x.c.data()); });
}

// bf16 operands in float storage, the product accumulated in fp32 and
// rounded once to bf16.
void bm_gemm_bf16_acc32(benchmark::State& state, gemm_layout layout) {
    const shape s = shape_of(state);
    operands<float> x(layout, s);
    const gradlab::float_format bf16 = gradlab::bfloat16();
    gradlab::round_array(x.a.elements(), x.a.elements(), bf16, gradlab::rounding_mode::nearest_even);
    gradlab::round_array(x.b.elements(), x.b.elements(), bf16, gradlab::rounding_mode::nearest_even);
    omp_set_num_threads(static_cast<int>(state.range(3)));
    time_calls(state, s, x.c.data(), [&] {
        gradlab::gemm(layout, 1.0f, x.a.view(), x.b.view(), 0.0f, x.c.view(), bf16, gradlab::rounding_mode::nearest_even,
                      gradlab::gemm_accumulation::fp32);
    });
}

void register_bf16_acc32(gemm_layout layout) {
    const std::string suffix = std::string("gemm_") + gradlab::gemm_layout_name(layout) + "_bf16_acc32";
    auto* ours = benchmark::RegisterBenchmark(("BM_" + suffix).c_str(), bm_gemm_bf16_acc32, layout);
    auto* fp32 = benchmark::RegisterBenchmark(("BM_fp32_" + suffix).c_str(), bm_gemm<float>, layout);
    for (auto* b : {ours, fp32}) {
        b->UseRealTime()->Unit(benchmark::kMicrosecond);
        for (const shape& s : mlp_shapes)
            for (std::int64_t threads : {1, 2}) b->Args({s.m, s.n, s.k, threads});
    }
}

template <class T>
void register_pair(gemm_layout layout, const char* type) {
    const std::string suffix = std::string("gemm_") + gradlab::gemm_layout_name(layout) + "_" + type;
    auto* ours = benchmark::RegisterBenchmark(("BM_" + suffix).c_str(), bm_gemm<T>, layout);
    auto* theirs = benchmark::RegisterBenchmark(("BM_openblas_" + suffix).c_str(), bm_openblas_gemm<T>, layout);
    for (auto* b : {ours, theirs}) {
        b->UseRealTime()->Unit(benchmark::kMicrosecond);
        for (const shape& s : shapes)
            for (std::int64_t threads : {1, 2}) b->Args({s.m, s.n, s.k, threads});
    }
}

}  // namespace

int main(int argc, char** argv) {
    for (gemm_layout layout : {gemm_layout::nt, gemm_layout::nn, gemm_layout::tn}) {
        register_pair<float>(layout, "f32");
        register_pair<double>(layout, "f64");
        register_bf16_acc32(layout);
    }
    return gradlab::bench::run_registered_benchmarks(argc, argv);
}
