// Results are bitwise reproducible for a given seed, whatever the thread
// count (DESIGN.md): a few training steps of the same model on the same
// batch give the same bits on 1, 2 and 3 OpenMP threads, in every precision
// family, stochastic rounding included. Shapes are large enough that the
// kernels do split their work (GEMM, reductions, mp elementwise loops).

#include <omp.h>

#include <cstring>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <mpfr.h>

#include "gradlab/nn/trainer.hpp"
#include "gradlab/scalar/counter_rng.hpp"

using namespace gradlab;
using namespace gradlab::nn;

namespace {

// The bits of every parameter after `steps` steps on `threads` threads.
template <class T>
std::vector<std::string> parameters_after_training(const char* precision_name, int threads, int steps) {
    const int saved = omp_get_max_threads();
    omp_set_num_threads(threads);
    arithmetic<T> a(parse_precision(precision_name), 7);
    const auto spec = multilayer_perceptron(24, 40, 2, {activation_kind::tanh}, 6);
    training_spec training;
    training.optimizer.learning_rate = "0.05";
    trainer<T> t(spec, training, a);
    std::uint64_t stream = 1;
    const auto random = [&](std::size_t rows, std::size_t cols, double scale) {
        matrix<mp_float> m(rows, cols, element_precision{256});
        counter_rng(99, stream++).fill_uniform(m.elements(), 0, to_mp(2 * scale, 256), to_mp(-scale, 256));
        auto out = a.matrix_of(rows, cols);
        for (std::size_t i = 0; i < m.size(); ++i) a.assign(out.elements()[i], m.elements()[i].backend().data());
        return out;
    };
    for (auto* p : t.model().parameters()) p->value = random(p->value.rows(), p->value.cols(), 0.3);
    const auto x = random(96, 24, 1.0);
    const auto y = random(96, 6, 1.0);
    for (int s = 0; s < steps; ++s) t.step(x, {y, {}});
    omp_set_num_threads(saved);

    std::vector<std::string> bits;
    for (auto* p : t.model().parameters())
        for (const auto& v : p->value.elements()) {
            mpfr_t m;
            mpfr_init2(m, a.significand_bits());
            arithmetic<T>::to_mpfr(v, m);
            char* text = nullptr;
            mpfr_asprintf(&text, "%Ra", m);
            bits.emplace_back(text);
            mpfr_free_str(text);
            mpfr_clear(m);
        }
    return bits;
}

template <class T>
void require_thread_count_independent(const char* precision_name) {
    INFO("precision " << precision_name);
    const auto one = parameters_after_training<T>(precision_name, 1, 3);
    for (int threads : {2, 3}) {
        INFO(threads << " threads");
        const auto many = parameters_after_training<T>(precision_name, threads, 3);
        REQUIRE(one.size() == many.size());
        std::size_t differing = 0;
        for (std::size_t i = 0; i < one.size(); ++i) differing += one[i] != many[i];
        CHECK(differing == 0);
    }
}

}  // namespace

TEST_CASE("training steps give the same bits on 1, 2 and 3 threads", "[nn][threads]") {
    require_thread_count_independent<float>("fp32");
    require_thread_count_independent<double>("fp64");
    require_thread_count_independent<float128>("f128");
    require_thread_count_independent<mp_float>("mp128");
    require_thread_count_independent<emulated_float>("bf16");
    require_thread_count_independent<emulated_float>("fp16/sr");
    require_thread_count_independent<emulated_float>("fp16+acc32");
}
