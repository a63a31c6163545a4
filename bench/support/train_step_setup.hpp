#pragma once
// A trainer ready to time one training step (forward, MSE loss, backward, SGD
// update), on the configurations of issue 4:
//   wide:            8 Dense layers 256 -> 256, tanh after all but the last, batch 128
//   deep and narrow: 32 Dense layers 64 -> 64, sigmoid after all but the last, batch 64
//
// Weights uniform in +-1/sqrt(width) (PyTorch's default Linear scale), data
// standard normal, lr 1e-3: a step that neither explodes nor saturates, so
// every precision times ordinary arithmetic.

#include <cmath>
#include <cstdint>
#include <random>

#include <mpfr.h>

#include "gradlab/nn/trainer.hpp"

namespace gradlab::bench {

struct train_configuration {
    std::int64_t layers, width, batch;
    activation_kind hidden;
};

inline constexpr train_configuration wide{8, 256, 128, activation_kind::tanh};
inline constexpr train_configuration deep_narrow{32, 64, 64, activation_kind::sigmoid};

template <class T>
matrix<nn::storage_t<T>> random_matrix(nn::arithmetic<T>& a, std::size_t rows, std::size_t cols, double bound,
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

// The arithmetic, the trainer and one batch (x, y) of configuration c.
template <class T>
struct train_step_setup {
    train_step_setup(const char* precision_name, train_configuration c)
        : a(parse_precision(precision_name), 1),
          t(nn::multilayer_perceptron(static_cast<std::size_t>(c.width), static_cast<std::size_t>(c.width),
                                      static_cast<std::size_t>(c.layers - 1), {c.hidden},
                                      static_cast<std::size_t>(c.width)),
            sgd(), a) {
        std::mt19937_64 gen(20261123);
        for (auto* p : t.model().parameters())
            p->value = random_matrix(a, p->value.rows(), p->value.cols(), 1 / std::sqrt(c.width), gen, false);
        x = random_matrix(a, static_cast<std::size_t>(c.batch), static_cast<std::size_t>(c.width), 0, gen, true);
        y = random_matrix(a, static_cast<std::size_t>(c.batch), static_cast<std::size_t>(c.width), 0, gen, true);
    }
    // The trainer holds a reference to `a`.
    train_step_setup(const train_step_setup&) = delete;
    train_step_setup& operator=(const train_step_setup&) = delete;

    const auto& step() { return t.step(x, {y, {}}); }

    nn::arithmetic<T> a;
    nn::trainer<T> t;
    matrix<nn::storage_t<T>> x, y;

private:
    static nn::training_spec sgd() {
        nn::training_spec training;
        training.optimizer.learning_rate = "1e-3";
        return training;
    }
};

}  // namespace gradlab::bench
