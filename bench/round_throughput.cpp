// Throughput of round_array, the hot path of every emulated operation,
// against a plain copy of the same array: the copy is the floor (one read and
// one write per element), so round/copy says what the rounding itself costs.
//
// Names are BM_round_<format>_<storage>/<mode>[/wide]/bytes:<n> and
// BM_copy_<storage>/bytes:<n>; a round and a copy with the same storage and
// byte count form a pair. bytes_per_second counts the input array once.

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "gradlab/scalar/float_format.hpp"
#include "gradlab/scalar/round_array.hpp"
#include "gradlab/scalar/rounding_mode.hpp"
#include "support/run_registered_benchmarks.hpp"

namespace {

using gradlab::float_format;
using gradlab::rounding_mode;

// Input array sizes in bytes, each a step of 8x; the output is as large again.
// 4 KiB and 32 KiB (8 and 64 KiB touched) stay in L1/L2: the kernel's
// arithmetic shows, so this is where round/copy is largest. 256 KiB and 2 MiB
// sit in L2/L3. 16 MiB (32 MiB touched) fills or exceeds a server L3 and
// 64 MiB streams from DRAM on any machine: both loops are bound by memory
// bandwidth there and round/copy should approach 1.
constexpr std::int64_t array_bytes[] = {4 << 10, 32 << 10, 256 << 10, 2 << 20, 16 << 20, 64 << 20};

// Two kinds of data. "typical": normal with standard deviation 1, like
// weights and activations, almost every value a normal number of fp16 and
// bf16, so round_array takes its fast path. "wide": magnitudes log-uniform over
// 2^-30 .. 2^20 with random signs (normals, fp16 subnormals, underflows and
// overflows mixed in every vector), the worst case for the fast-path branch.
// Fixed seed: every run times the same data.
enum class data_kind { typical, wide };

template <class T>
std::vector<T> sample_values(std::size_t n, data_kind kind) {
    std::mt19937_64 gen(20240601);
    std::normal_distribution<double> normal(0.0, 1.0);
    std::uniform_real_distribution<double> log2_magnitude(-30.0, 20.0);
    std::bernoulli_distribution negative(0.5);
    std::vector<T> values(n);
    for (auto& v : values) {
        if (kind == data_kind::typical) {
            v = static_cast<T>(normal(gen));
        } else {
            const double magnitude = std::exp2(log2_magnitude(gen));
            v = static_cast<T>(negative(gen) ? -magnitude : magnitude);
        }
    }
    return values;
}

template <class T>
void bm_round(benchmark::State& state, const float_format& format, rounding_mode mode, data_kind kind) {
    const auto n = static_cast<std::size_t>(state.range(0)) / sizeof(T);
    const auto in = sample_values<T>(n, kind);
    std::vector<T> out(n);  // zero-filled: its pages are mapped before timing
    gradlab::sr_stream sr{.key = 0x9e3779b97f4a7c15ULL};
    for (auto _ : state) {
        gradlab::round_array(std::span<const T>(in), std::span<T>(out), format, mode, sr);
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
        sr.offset += n;  // fresh random bits each pass, as in training
    }
    state.SetBytesProcessed(state.iterations() * state.range(0));
}

template <class T>
void bm_copy(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0)) / sizeof(T);
    const auto in = sample_values<T>(n, data_kind::typical);
    std::vector<T> out(n);
    for (auto _ : state) {
        std::memcpy(out.data(), in.data(), n * sizeof(T));
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(state.iterations() * state.range(0));
}

void with_sizes(benchmark::internal::Benchmark* b) {
    b->ArgName("bytes");
    for (auto bytes : array_bytes)
        b->Arg(bytes);
}

}  // namespace

int main(int argc, char** argv) {
    const float_format fp16 = gradlab::binary16();
    const float_format bf16 = gradlab::bfloat16();
    constexpr auto rn = rounding_mode::nearest_even;
    constexpr auto sr = rounding_mode::stochastic;

    constexpr auto typical = data_kind::typical;
    constexpr auto wide = data_kind::wide;

    benchmark::RegisterBenchmark("BM_copy_f32", bm_copy<float>)->Apply(with_sizes);
    benchmark::RegisterBenchmark("BM_round_fp16_f32/rn", bm_round<float>, fp16, rn, typical)->Apply(with_sizes);
    benchmark::RegisterBenchmark("BM_round_fp16_f32/rn/wide", bm_round<float>, fp16, rn, wide)->Apply(with_sizes);
    benchmark::RegisterBenchmark("BM_round_fp16_f32/sr", bm_round<float>, fp16, sr, typical)->Apply(with_sizes);
    benchmark::RegisterBenchmark("BM_round_bf16_f32/rn", bm_round<float>, bf16, rn, typical)->Apply(with_sizes);
    benchmark::RegisterBenchmark("BM_round_bf16_f32/rn/wide", bm_round<float>, bf16, rn, wide)->Apply(with_sizes);
    benchmark::RegisterBenchmark("BM_round_bf16_f32/sr", bm_round<float>, bf16, sr, typical)->Apply(with_sizes);
    benchmark::RegisterBenchmark("BM_copy_f64", bm_copy<double>)->Apply(with_sizes);
    benchmark::RegisterBenchmark("BM_round_fp16_f64/rn", bm_round<double>, fp16, rn, typical)->Apply(with_sizes);
    benchmark::RegisterBenchmark("BM_round_fp16_f64/rn/wide", bm_round<double>, fp16, rn, wide)->Apply(with_sizes);

    return gradlab::bench::run_registered_benchmarks(argc, argv);
}
