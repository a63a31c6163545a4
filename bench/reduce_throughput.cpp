// Throughput of the reductions (kernels/reduce.hpp) against the plain loop a
// user would write in their place, timed in the same run on the same data:
// std::accumulate for the sum, an unscaled sum of squares for the norm, a
// std::max loop, a classification loop for the census, a bare MPFR loop
// (preallocated mpfr_t, mpfr_add / mpfr_sqr) for mp, a loop rounding each
// addition with round_to_format for the emulated sum. The plain loops add in a
// different order, have no scaling and no threads: they are the cost floor
// the fixed blocking, the scaling and the NaN handling are measured against.
//
// Names: BM_<op>_<precision>/n:<elements>/threads:<t> and its twin
// BM_loop_<op>_<precision>/n:<elements>/threads:<t> (the loops ignore t), so a
// script can pair them. Counters: bytes_per_second (the input read once) and
// elements per second.

#include <benchmark/benchmark.h>

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <span>
#include <string>
#include <vector>

#include <mpfr.h>

#include "gradlab/kernels/reduce.hpp"
#include "support/run_registered_benchmarks.hpp"

namespace {

using gradlab::float128;
using gradlab::mp_float;

// Elements: 4096 (16 KiB of fp32, L1), 65536 (256 KiB, L2), 2^20 (4 MiB,
// L3-sized and past the 64-block threshold where threads start), 2^24 (64
// MiB, DRAM). Threads matter only from 2^20 on.
void native_sizes(benchmark::internal::Benchmark* b) {
    b->ArgNames({"n", "threads"});
    b->Args({4096, 1})->Args({65536, 1});
    for (std::int64_t n : {std::int64_t{1} << 20, std::int64_t{1} << 24}) b->Args({n, 1})->Args({n, 2});
}
// f128 and mp cost 10-100 ns an element: one block, then 16.
void slow_sizes(benchmark::internal::Benchmark* b) {
    b->ArgNames({"n", "threads"});
    b->Args({4096, 1})->Args({65536, 1})->Args({65536, 2});
}

// Normal values, standard deviation 1, like weights and gradients; fixed seed.
template <class T>
const std::vector<T>& sample(std::size_t n) {
    static std::vector<T> values;
    if (values.size() < n) {
        std::mt19937_64 gen(20240601);
        std::normal_distribution<double> normal(0.0, 1.0);
        values.resize(n);
        for (auto& v : values) v = static_cast<T>(normal(gen));
    }
    return values;
}

const std::vector<mp_float>& sample_mp(std::size_t n) {
    static std::vector<mp_float> values;
    if (values.size() < n) {
        const auto& d = sample<double>(n);
        values.resize(n);
        for (std::size_t i = 0; i < n; ++i) {
            mpfr_set_prec(values[i].backend().data(), 256);
            mpfr_set_d(values[i].backend().data(), d[i], MPFR_RNDN);
        }
    }
    return values;
}

// Runs op(span of the first n samples) in the timing loop with the
// benchmark's thread count; counts bytes and elements.
template <class T, class Op>
void run(benchmark::State& state, const std::vector<T>& all, Op op) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const std::span<const T> x(all.data(), n);
    const int default_threads = omp_get_max_threads();
    omp_set_num_threads(static_cast<int>(state.range(1)));
    for (auto _ : state) {
        auto r = op(x);
        benchmark::DoNotOptimize(r);
    }
    omp_set_num_threads(default_threads);
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(n * sizeof(T)));
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
}

template <class T>
void register_native(const std::string& precision) {
    const auto with = [&](const std::string& name, auto op) {
        benchmark::RegisterBenchmark(("BM_" + name + "_" + precision).c_str(),
                                     [op](benchmark::State& state) {
                                         run(state, sample<T>(static_cast<std::size_t>(state.range(0))), op);
                                     })
            ->Apply(native_sizes);
    };
    with("sum", [](std::span<const T> x) { return gradlab::sum(x); });
    with("loop_sum", [](std::span<const T> x) { return std::accumulate(x.begin(), x.end(), T(0)); });
    with("l2_norm", [](std::span<const T> x) { return gradlab::l2_norm(x); });
    with("loop_l2_norm", [](std::span<const T> x) {
        T s = 0;
        for (T v : x) s += v * v;
        return std::sqrt(s);
    });
    with("max_abs", [](std::span<const T> x) { return gradlab::max_abs(x); });
    with("loop_max_abs", [](std::span<const T> x) {
        T m = 0;
        for (T v : x)
            if (!std::isnan(v)) m = std::max(m, std::abs(v));
        return m;
    });
    with("census_fp16", [](std::span<const T> x) { return gradlab::census(x, gradlab::binary16()).subnormals; });
    with("loop_census_fp16", [](std::span<const T> x) {
        const T min_normal = static_cast<T>(gradlab::binary16().min_normal());
        gradlab::value_census c;
        c.count = x.size();
        for (T v : x) {
            if (v == 0) ++c.zeros;
            else if (std::isnan(v)) ++c.nans;
            else if (std::isinf(v)) ++c.infinities;
            else if (std::abs(v) < min_normal) ++c.subnormals;
        }
        return c.subnormals;
    });
}

void register_slow() {
    const auto f128 = [](const std::string& name, auto op) {
        benchmark::RegisterBenchmark(("BM_" + name + "_f128").c_str(), [op](benchmark::State& state) {
            run(state, sample<float128>(static_cast<std::size_t>(state.range(0))), op);
        })->Apply(slow_sizes);
    };
    f128("sum", [](std::span<const float128> x) { return gradlab::sum(x); });
    f128("loop_sum", [](std::span<const float128> x) {
        float128 s = 0;
        for (const auto& v : x) s += v;
        return s;
    });
    f128("l2_norm", [](std::span<const float128> x) { return gradlab::l2_norm(x); });
    f128("loop_l2_norm", [](std::span<const float128> x) {
        float128 s = 0;
        for (const auto& v : x) s += v * v;
        return sqrt(s);
    });

    // mp256: the result's precision sets the working precision; the bare
    // loops get their accumulator and a scratch square preallocated.
    const auto mp = [](const std::string& name, auto op) {
        benchmark::RegisterBenchmark(("BM_" + name + "_mp256").c_str(), [op](benchmark::State& state) {
            mp_float result, scratch;
            mpfr_set_prec(result.backend().data(), 256);
            mpfr_set_prec(scratch.backend().data(), 256);
            run(state, sample_mp(static_cast<std::size_t>(state.range(0))), [&](std::span<const mp_float> x) {
                op(x, result, scratch.backend().data());
                return mpfr_get_exp(result.backend().data());
            });
        })->Apply(slow_sizes);
    };
    mp("sum", [](std::span<const mp_float> x, mp_float& result, mpfr_ptr) { gradlab::sum(x, result); });
    mp("loop_sum", [](std::span<const mp_float> x, mp_float& result, mpfr_ptr) {
        mpfr_ptr acc = result.backend().data();
        mpfr_set_zero(acc, 1);
        for (const auto& v : x) mpfr_add(acc, acc, v.backend().data(), MPFR_RNDN);
    });
    mp("l2_norm", [](std::span<const mp_float> x, mp_float& result, mpfr_ptr) { gradlab::l2_norm(x, result); });
    mp("loop_l2_norm", [](std::span<const mp_float> x, mp_float& result, mpfr_ptr square) {
        mpfr_ptr acc = result.backend().data();
        mpfr_set_zero(acc, 1);
        for (const auto& v : x) {
            mpfr_sqr(square, v.backend().data(), MPFR_RNDN);
            mpfr_add(acc, acc, square, MPFR_RNDN);
        }
        mpfr_sqrt(acc, acc, MPFR_RNDN);
    });

    // fp16 emulated on float storage, every addition rounded to fp16.
    const auto fp16 = [](const std::string& name, auto op) {
        benchmark::RegisterBenchmark(("BM_" + name + "_fp16").c_str(), [op](benchmark::State& state) {
            static std::vector<float> values;
            const auto n = static_cast<std::size_t>(state.range(0));
            if (values.size() < n) {
                const auto& f = sample<float>(n);
                values.resize(n);
                for (std::size_t i = 0; i < n; ++i)
                    values[i] = static_cast<float>(gradlab::round_to_format(f[i] / 64, gradlab::binary16(),
                                                                            gradlab::rounding_mode::nearest_even));
            }
            run(state, values, op);
        })->Apply(slow_sizes);
    };
    fp16("sum", [](std::span<const float> x) {
        return gradlab::sum(x, gradlab::binary16(), gradlab::rounding_mode::nearest_even);
    });
    fp16("loop_sum", [](std::span<const float> x) {
        const auto format = gradlab::binary16();
        float s = 0;
        for (float v : x)
            s = static_cast<float>(gradlab::round_to_format(static_cast<double>(s) + v, format,
                                                            gradlab::rounding_mode::nearest_even));
        return s;
    });
}

}  // namespace

int main(int argc, char** argv) {
    register_native<float>("f32");
    register_native<double>("f64");
    register_slow();

    return gradlab::bench::run_registered_benchmarks(argc, argv);
}
