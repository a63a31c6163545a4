#pragma once
// Residual block: y = x + f(x), f the body (layers built by make_layer, in
// order); when the body changes the width, y = x P^T + f(x) with a learnable
// projection P of shape (out, in), a Dense layer without bias. Backward sums
// the input gradients of both paths. Parameters are named "body.{j}.<name>"
// and "projection.weight", as a PyTorch module with a Sequential `body` and a
// Linear `projection` names them.

#include <memory>
#include <vector>

#include "gradlab/nn/dense.hpp"
#include "gradlab/nn/layer.hpp"
#include "gradlab/nn/model_spec.hpp"

namespace gradlab::nn {

template <scalar_type T>
class residual final : public layer<T> {
public:
    using value = storage_t<T>;

    // Throws std::invalid_argument for an empty body. `next_activation` is
    // the activation after the block: the initialisers' gain for the body's
    // last layer and the projection.
    residual(std::size_t width, const residual_spec& spec, arithmetic<T>& a, activation next_activation = {});

    std::string_view kind() const override { return "residual"; }
    std::size_t input_width() const override { return in_; }
    std::size_t output_width() const override { return out_; }
    matrix_view<const value> forward(matrix_view<const value> x, pass_mode mode) override;
    matrix_view<const value> backward(matrix_view<const value> dy, bool need_input_gradient) override;
    void collect_parameters(std::vector<parameter<T>*>& out) override;

    std::size_t body_size() const { return body_.size(); }
    layer<T>& body_at(std::size_t j) { return *body_.at(j); }
    // nullptr when the body keeps the width
    dense<T>* projection() { return projection_.get(); }

private:
    arithmetic<T>& a_;
    std::size_t in_, out_;
    std::vector<std::unique_ptr<layer<T>>> body_;
    std::unique_ptr<dense<T>> projection_;
    matrix<value> y_, dx_;
};

}  // namespace gradlab::nn
