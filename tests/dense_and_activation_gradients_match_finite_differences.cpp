// Dense layers (with and without bias), every activation (PReLU with its
// learnable slope) and the MSE loss: analytic gradients in mp512 against
// central finite differences, within 1e-60 of each tensor's largest entry
// (support/gradient_check.hpp derives the bound).

#include <catch2/catch.hpp>

#include "support/gradient_check.hpp"

using namespace gradlab;
using namespace gradlab::nn;

TEST_CASE("dense layers with and without bias: gradients match finite differences", "[nn][gradcheck]") {
    model_spec spec{3, {}};
    spec.layers.emplace_back(dense_spec{4, true});
    spec.layers.emplace_back(dense_spec{2, false});
    spec.layers.emplace_back(dense_spec{3, true});
    CHECK(test::check_gradients(spec, loss_kind::mse, 11) <= test::gradient_check_bound);
}

TEST_CASE("every activation between dense layers: gradients match finite differences", "[nn][gradcheck]") {
    for (const activation_kind kind :
         {activation_kind::identity, activation_kind::sigmoid, activation_kind::tanh, activation_kind::relu,
          activation_kind::leaky_relu, activation_kind::prelu, activation_kind::elu, activation_kind::gelu,
          activation_kind::softplus}) {
        INFO("activation " << activation_name(kind));
        model_spec spec{3, {}};
        spec.layers.emplace_back(dense_spec{5});
        spec.layers.emplace_back(activation_spec{{kind, default_parameter(kind)}});
        spec.layers.emplace_back(dense_spec{2});
        // Weights of scale 3 put pre-activations on both sides of every kink
        // and into the curved parts of sigmoid, tanh and gelu.
        CHECK(test::check_gradients(spec, loss_kind::mse, 23, 6, 3.0) <= test::gradient_check_bound);
    }
}

TEST_CASE("a deeper stack of tanh layers: gradients match finite differences", "[nn][gradcheck]") {
    const auto spec = multilayer_perceptron(2, 4, 4, {activation_kind::tanh}, 1);
    CHECK(test::check_gradients(spec, loss_kind::mse, 5) <= test::gradient_check_bound);
}
