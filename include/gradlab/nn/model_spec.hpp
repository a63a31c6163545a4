#pragma once
// A model described by data: the layers in order, each with its settings. The
// runner reads it from a study file; tests build it in code. Real-valued
// settings are decimal text, read at each precision of the run and rounded
// once (arithmetic::number).

#include <cstddef>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "gradlab/kernels/activation.hpp"

namespace gradlab::nn {

// z = x W^T + b, W of shape (out, in), as torch.nn.Linear.
struct dense_spec {
    std::size_t out = 0;
    bool bias = true;
    bool operator==(const dense_spec&) const = default;
};

// y = f(x) elementwise. PReLU's slope is a learnable parameter, starting at
// the activation's parameter (0.25 by default, as torch.nn.PReLU()).
struct activation_spec {
    activation function;
    bool operator==(const activation_spec&) const = default;
};

// torch.nn.BatchNorm1d: batch mean and biased variance in training (the
// running variance takes the unbiased one), running statistics in evaluation;
// running = (1 - momentum) running + momentum batch.
struct batch_norm_spec {
    std::string epsilon = "1e-5";
    std::string momentum = "0.1";
    bool affine = true;
    bool operator==(const batch_norm_spec&) const = default;
};

// torch.nn.LayerNorm over the features of each example.
struct layer_norm_spec {
    std::string epsilon = "1e-5";
    bool affine = true;
    bool operator==(const layer_norm_spec&) const = default;
};

struct layer_spec;

// y = x + f(x), f the body; when f changes the width, y = x P^T + f(x) with a
// learnable projection P (a Dense layer without bias).
struct residual_spec {
    std::vector<layer_spec> body;
    bool operator==(const residual_spec&) const = default;
};

struct layer_spec {
    using variant = std::variant<dense_spec, activation_spec, batch_norm_spec, layer_norm_spec, residual_spec>;

    template <class Settings>
        requires std::is_constructible_v<variant, Settings>
    layer_spec(Settings s) : settings(std::move(s)) {}

    variant settings;
    bool operator==(const layer_spec&) const = default;
};

struct model_spec {
    std::size_t input_dim = 0;
    std::vector<layer_spec> layers;
    bool operator==(const model_spec&) const = default;
};

// The width after every layer of `layers` applied to `input_width` features.
std::size_t output_width(const std::vector<layer_spec>& layers, std::size_t input_width);

// An MLP: Dense(width) + activation, `depth` times, then Dense(outputs).
model_spec multilayer_perceptron(std::size_t input_dim, std::size_t width, std::size_t depth, activation hidden,
                                 std::size_t outputs);

}  // namespace gradlab::nn
