// BatchNorm (with and without affine), LayerNorm and residual blocks (same
// width, with a projection, with BatchNorm in the body), each between dense
// layers under the MSE loss: analytic gradients in mp512 against central
// finite differences, within 1e-60 of each tensor's largest entry
// (support/gradient_check.hpp derives the bound). BatchNorm runs in training
// mode, so its gradient includes the paths through the batch mean and variance.
// The Dense layer right before a BatchNorm has no bias: the batch mean takes
// it away, so its exact gradient is 0 and only rounding noise is left, which
// a bound relative to the tensor's largest entry cannot judge; a test of its
// own checks that noise.

#include <algorithm>

#include <catch2/catch.hpp>

#include "support/gradient_check.hpp"

using namespace gradlab;
using namespace gradlab::nn;

namespace {

// dense(4), then `middle`, then tanh and dense(2), on 3 input features.
model_spec between_dense_layers(layer_spec middle, bool first_bias = true) {
    model_spec spec{3, {}};
    spec.layers.emplace_back(dense_spec{4, first_bias});
    spec.layers.push_back(std::move(middle));
    spec.layers.emplace_back(activation_spec{{activation_kind::tanh}});
    spec.layers.emplace_back(dense_spec{2});
    return spec;
}

}  // namespace

TEST_CASE("batch norm between dense layers: gradients match finite differences", "[nn][norm][gradcheck]") {
    for (const bool affine : {true, false}) {
        INFO("affine " << affine);
        batch_norm_spec norm;
        norm.affine = affine;
        CHECK(test::check_gradients(between_dense_layers(norm, false), loss_kind::mse, 31) <=
              test::gradient_check_bound);
    }
}

TEST_CASE("batch norm on a batch of two: gradients match finite differences", "[nn][norm][gradcheck]") {
    // The smallest batch training accepts: each feature's x_hat is +-1 (or 0).
    CHECK(test::check_gradients(between_dense_layers(batch_norm_spec{}, false), loss_kind::mse, 37, 2) <=
          test::gradient_check_bound);
}

TEST_CASE("layer norm between dense layers: gradients match finite differences", "[nn][norm][gradcheck]") {
    for (const bool affine : {true, false}) {
        INFO("affine " << affine);
        layer_norm_spec norm;
        norm.affine = affine;
        CHECK(test::check_gradients(between_dense_layers(norm), loss_kind::mse, 41) <= test::gradient_check_bound);
    }
}

TEST_CASE("residual block of the same width: gradients match finite differences", "[nn][norm][gradcheck]") {
    residual_spec block;
    block.body.emplace_back(dense_spec{4});
    block.body.emplace_back(activation_spec{{activation_kind::tanh}});
    block.body.emplace_back(dense_spec{4});
    const auto spec = between_dense_layers(block);

    arithmetic<double> a(parse_precision("fp64"));
    network<double> net(spec, a);
    CHECK_NOTHROW(net.parameter_named("layers.1.body.2.bias"));
    CHECK_THROWS_AS(net.parameter_named("layers.1.projection.weight"), std::out_of_range);
    CHECK_THROWS_AS(network<double>(between_dense_layers(residual_spec{}), a), std::invalid_argument);

    CHECK(test::check_gradients(spec, loss_kind::mse, 43) <= test::gradient_check_bound);
}

TEST_CASE("residual block with a projection: gradients match finite differences", "[nn][norm][gradcheck]") {
    residual_spec block;
    block.body.emplace_back(dense_spec{3});
    block.body.emplace_back(activation_spec{{activation_kind::tanh}});
    const auto spec = between_dense_layers(block);

    arithmetic<double> a(parse_precision("fp64"));
    network<double> net(spec, a);
    REQUIRE(net.layer_at(1).output_width() == 3);
    const auto& projection = net.parameter_named("layers.1.projection.weight");
    CHECK(projection.value.rows() == 3);
    CHECK(projection.value.cols() == 4);

    CHECK(test::check_gradients(spec, loss_kind::mse, 47) <= test::gradient_check_bound);
}

TEST_CASE("residual block with batch norm in its body: gradients match finite differences",
          "[nn][norm][gradcheck]") {
    residual_spec block;
    block.body.emplace_back(dense_spec{4, false});
    block.body.emplace_back(batch_norm_spec{});
    block.body.emplace_back(activation_spec{{activation_kind::tanh}});
    block.body.emplace_back(dense_spec{4});
    CHECK(test::check_gradients(between_dense_layers(block), loss_kind::mse, 53) <= test::gradient_check_bound);
}

TEST_CASE("a bias right before batch norm gets a gradient of rounding noise only", "[nn][norm][gradcheck]") {
    // Exactly 0: dL/db is the batch sum of BatchNorm's dx, whose terms cancel
    // (sum of dy - mean(dy) and of x_hat are 0). In mp512 (u = 2^-512, about
    // 7e-155) the sum of a few terms leaves some 1e-153 of their size; 1e-140
    // of the weight gradient's largest entry leaves a margin of ten orders.
    arithmetic<mp_float> a(parse_precision("mp" + std::to_string(test::gradient_check_bits)));
    network<mp_float> net(between_dense_layers(batch_norm_spec{}), a);
    test::randomise_parameters(net, 59);
    auto loss = make_loss(loss_kind::mse, a);
    const auto batch = test::gradient_check_data(5, 3, 2, loss_kind::mse, 59, a.significand_bits());
    mp_float l = a.zero();
    test::loss_at(net, *loss, batch, l);
    net.backward(loss->backward(a.number("1")));

    const auto largest = [](const matrix<mp_float>& m) {
        double x = 0;
        for (const auto& e : m.elements()) x = std::max(x, std::abs(static_cast<double>(e)));
        return x;
    };
    const double weight = largest(net.parameter_named("layers.0.weight").gradient);
    const double bias = largest(net.parameter_named("layers.0.bias").gradient);
    INFO("largest |dL/dW| " << weight << ", largest |dL/db| " << bias);
    REQUIRE(weight > 0);
    CHECK(bias <= 1e-140 * weight);
}
