#include "gradlab/nn/model_spec.hpp"

namespace gradlab::nn {

std::size_t output_width(const std::vector<layer_spec>& layers, std::size_t input_width) {
    std::size_t width = input_width;
    for (const auto& l : layers)
        if (const auto* d = std::get_if<dense_spec>(&l.settings)) width = d->out;
        else if (const auto* r = std::get_if<residual_spec>(&l.settings)) width = output_width(r->body, width);
    return width;
}

model_spec multilayer_perceptron(std::size_t input_dim, std::size_t width, std::size_t depth, activation hidden,
                                 std::size_t outputs) {
    model_spec spec{input_dim, {}};
    for (std::size_t i = 0; i < depth; ++i) {
        spec.layers.emplace_back(dense_spec{width});
        spec.layers.emplace_back(activation_spec{hidden});
    }
    spec.layers.emplace_back(dense_spec{outputs});
    return spec;
}

}  // namespace gradlab::nn
