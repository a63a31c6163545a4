// Throughput of the mp GEMM (kernels/gemm.hpp) against the bare MPFR triple
// loop a user would write in its place, timed in the same run on the same
// data: every C(i, j) summed in place, mpfr_mul into one preallocated
// temporary then mpfr_add (faster than mpfr_fma), each product and sum
// rounded to 256 bits. gradlab's GEMM sums each dot product exactly at the
// limb level and rounds once (kernels/exact_dot.hpp), so it is both more
// exact and, the target, at least as fast; the stretch goal is twice as fast.
//
// Names: BM_gemm_<layout>_mp256/m:/n:/k:/threads: and its twin
// BM_mpfr_triple_loop_gemm_<layout>_mp256 with the same arguments, so a
// script can pair them; with two threads the loop's rows are shared out by
// OpenMP too, so the ratio compares like with like. Counter: GFLOP/s
// (2 m n k per product), in wall-clock time since the work runs in OpenMP's
// threads.

#include <benchmark/benchmark.h>

#include <omp.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <gmp.h>
#include <mpfr.h>

#include "gradlab/kernels/gemm.hpp"
#include "gradlab/tensor/matrix.hpp"
#include "support/run_registered_benchmarks.hpp"

namespace {

using gradlab::gemm_layout;
using gradlab::matrix;
using gradlab::mp_float;

constexpr int bits = 256;

// Square sizes 64 and 128: the hidden widths of the small networks trained
// in mp, and the target. An mp256 multiply-add costs about 100 ns,
// so 128 is already 0.2 s per product; larger sizes only take longer.
void sizes(benchmark::internal::Benchmark* b) {
    b->ArgNames({"m", "n", "k", "threads"});
    for (std::int64_t n : {64, 128})
        for (std::int64_t threads : {1, 2}) b->Args({n, n, n, threads});
    b->UseRealTime();
}

// rows x cols standard normal values with all 256 bits random; fixed seed.
matrix<mp_float> normal_matrix(std::size_t rows, std::size_t cols, unsigned long seed) {
    matrix<mp_float> x(rows, cols, gradlab::element_precision{bits});
    gmp_randstate_t state;
    gmp_randinit_default(state);
    gmp_randseed_ui(state, seed);
    for (auto& v : x.view().elements()) mpfr_nrandom(v.backend().data(), state, MPFR_RNDN);
    gmp_randclear(state);
    return x;
}

// The operands of C = op(A) op(B) for the benchmark's m, n, k and layout.
struct operands {
    operands(gemm_layout layout, std::size_t m, std::size_t n, std::size_t k)
        : a(normal_matrix(m, k, 1)),
          b(layout == gemm_layout::nt ? normal_matrix(n, k, 2) : normal_matrix(k, n, 2)),
          c(m, n, gradlab::element_precision{bits}) {}
    matrix<mp_float> a, b, c;
};

// The bare loop: C(i, j) = sum over l of A(i, l) op(B)(l, j), rows shared out
// over the threads, one temporary per thread made before the timing.
class mpfr_triple_loop {
public:
    explicit mpfr_triple_loop(int threads) : products_(static_cast<std::size_t>(threads)) {
        for (auto& p : products_) mpfr_init2(&p, bits);
    }
    ~mpfr_triple_loop() {
        for (auto& p : products_) mpfr_clear(&p);
    }
    mpfr_triple_loop(const mpfr_triple_loop&) = delete;
    mpfr_triple_loop& operator=(const mpfr_triple_loop&) = delete;

    void operator()(gemm_layout layout, operands& x) {
        const auto a = x.a.view();
        const auto b = x.b.view();
        const auto c = x.c.view();
        const auto rows = static_cast<std::ptrdiff_t>(c.rows());
#pragma omp parallel for schedule(static)
        for (std::ptrdiff_t i = 0; i < rows; ++i) {
            mpfr_ptr product = &products_[static_cast<std::size_t>(omp_get_thread_num())];
            for (std::size_t j = 0; j < c.cols(); ++j) {
                mpfr_ptr sum = c(i, j).backend().data();
                mpfr_set_zero(sum, 1);
                for (std::size_t l = 0; l < a.cols(); ++l) {
                    const mp_float& y = layout == gemm_layout::nt ? b(j, l) : b(l, j);
                    mpfr_mul(product, a(i, l).backend().data(), y.backend().data(), MPFR_RNDN);
                    mpfr_add(sum, sum, product, MPFR_RNDN);
                }
            }
        }
    }

private:
    std::vector<__mpfr_struct> products_;
};

// Runs C = op(A) op(B) through `product` in the timing loop with the
// benchmark's thread count; counts GFLOP/s.
template <class Product>
void run(benchmark::State& state, gemm_layout layout, Product product) {
    const auto m = static_cast<std::size_t>(state.range(0));
    const auto n = static_cast<std::size_t>(state.range(1));
    const auto k = static_cast<std::size_t>(state.range(2));
    const int threads = static_cast<int>(state.range(3));
    operands x(layout, m, n, k);
    const int default_threads = omp_get_max_threads();
    omp_set_num_threads(threads);
    product(layout, x, threads, state);
    omp_set_num_threads(default_threads);
    const double flops = 2.0 * static_cast<double>(m * n * k);
    state.counters["GFLOP/s"] =
        benchmark::Counter(flops * static_cast<double>(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
}

void gradlab_gemm(gemm_layout layout, operands& x, int, benchmark::State& state) {
    mp_float one = gradlab::to_mp(1.0, bits);
    mp_float zero = gradlab::to_mp(0.0, bits);
    for (auto _ : state) {
        gradlab::gemm(layout, one, x.a.view(), x.b.view(), zero, x.c.view());
        benchmark::ClobberMemory();
    }
}

void triple_loop_gemm(gemm_layout layout, operands& x, int threads, benchmark::State& state) {
    mpfr_triple_loop loop(threads);
    for (auto _ : state) {
        loop(layout, x);
        benchmark::ClobberMemory();
    }
}

void register_layout(gemm_layout layout) {
    const std::string suffix = std::string("gemm_") + gradlab::gemm_layout_name(layout) + "_mp256";
    benchmark::RegisterBenchmark(("BM_" + suffix).c_str(), [layout](benchmark::State& state) {
        run(state, layout, gradlab_gemm);
    })->Apply(sizes);
    benchmark::RegisterBenchmark(("BM_mpfr_triple_loop_" + suffix).c_str(), [layout](benchmark::State& state) {
        run(state, layout, triple_loop_gemm);
    })->Apply(sizes);
}

}  // namespace

int main(int argc, char** argv) {
    // nt is the forward product (X W^T), nn the input gradient (dZ W): B
    // read along its rows, then down its columns.
    register_layout(gemm_layout::nt);
    register_layout(gemm_layout::nn);

    return gradlab::bench::run_registered_benchmarks(argc, argv);
}
