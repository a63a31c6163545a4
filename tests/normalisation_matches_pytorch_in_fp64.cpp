// BatchNorm1d and LayerNorm in fp64 against PyTorch's float64 CPU results
// (analysis/fixtures/torch_normalisation.py) on a seeded 6 x 5 batch: the
// output, dL/dx, dL/dgamma and dL/dbeta; for BatchNorm two training steps
// (with the running mean and variance after each) and an evaluation step.
//
// Tolerance: 4 ulps of the largest entry of each compared tensor. Both sides
// compute the same statistics in the same order (sums over the batch from
// the first row, divided by N), but every output is a difference of terms
// (x - mean in y; dy - mean(dy) - x_hat mean(dy x_hat) in dx) that PyTorch
// arranges otherwise (y = x alpha + beta with beta = bias - mean alpha, and
// fused multiply-adds where GCC contracts its vector code). An element that
// cancels to near zero therefore keeps an absolute error of a few ulps of
// its terms on either side, which can be thousands of its own ulps: PyTorch's
// own elementwise error against the exact result reaches that. Ulps of the
// tensor's largest entry measure what both sides control; the largest
// elementwise distance is reported as well.

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "gradlab/nn/batch_norm.hpp"
#include "gradlab/nn/layer_norm.hpp"
#include "gradlab/nn/network.hpp"
#include "support/torch_fixture.hpp"

using namespace gradlab;
using namespace gradlab::nn;

namespace {

constexpr double max_ulps = 4.0;

matrix<double> matrix_from(const nlohmann::json& rows) {
    const auto values = test::hex_doubles(rows);
    matrix<double> m(rows.size(), values.size() / rows.size());
    std::copy(values.begin(), values.end(), m.elements().begin());
    return m;
}

// The largest distances seen, over every tensor compared.
struct distances {
    double scaled = 0;       // in ulps of each tensor's largest entry (asserted)
    double elementwise = 0;  // in ulps of each element (reported)
};

void compare(std::span<const double> got, const nlohmann::json& expected_json, const std::string& what,
             distances& worst) {
    const auto expected = test::hex_doubles(expected_json);
    REQUIRE(got.size() == expected.size());
    double largest = 0;
    for (const double e : expected) largest = std::max(largest, std::abs(e));
    const double unit = ulp_of(largest, binary64());
    for (std::size_t i = 0; i < got.size(); ++i) {
        const double scaled = std::abs(got[i] - expected[i]) / unit;
        INFO(what << " element " << i << ": " << got[i] << ", PyTorch " << expected[i] << ", " << scaled
                  << " ulps of the largest entry " << largest);
        CHECK(scaled <= max_ulps);
        worst.scaled = std::max(worst.scaled, scaled);
        worst.elementwise = std::max(worst.elementwise, ulp_distance(got[i], expected[i], binary64()));
    }
}

// Sets a normalisation layer's gamma and beta from the fixture.
void set_parameters(layer<double>& norm, const nlohmann::json& fixture) {
    std::vector<parameter<double>*> parameters;
    norm.collect_parameters(parameters);
    REQUIRE(parameters.size() == 2);
    for (auto [p, key] : {std::pair{parameters[0], "weight"}, std::pair{parameters[1], "bias"}}) {
        const auto values = test::hex_doubles(fixture[key]);
        REQUIRE(values.size() == p->value.size());
        std::copy(values.begin(), values.end(), p->value.elements().begin());
    }
}

// One forward and backward of `norm` on a fixture step; compares all it records.
void compare_step(layer<double>& norm, const nlohmann::json& step, pass_mode mode, const std::string& what,
                  distances& worst) {
    const auto x = matrix_from(step["x"]);
    const auto dy = matrix_from(step["dy"]);
    compare(norm.forward(x, mode).elements(), step["y"], what + " y", worst);
    compare(norm.backward(dy, true).elements(), step["dx"], what + " dx", worst);
    std::vector<parameter<double>*> parameters;
    norm.collect_parameters(parameters);
    compare(parameters[0]->gradient.elements(), step["dweight"], what + " dgamma", worst);
    compare(parameters[1]->gradient.elements(), step["dbias"], what + " dbeta", worst);
}

}  // namespace

TEST_CASE("batch norm: two training steps and an evaluation step within 4 ulps of PyTorch in fp64",
          "[nn][norm]") {
    const auto fixture = test::read_torch_fixture("normalisation.json");
    arithmetic<double> a(parse_precision("fp64"));
    batch_norm<double> norm(5, {fixture["epsilon"].get<std::string>(), fixture["momentum"].get<std::string>(), true},
                            a);
    set_parameters(norm, fixture);

    distances worst;
    int step = 0;
    for (const auto& s : fixture["batch_norm"]["training"]) {
        const std::string what = "training step " + std::to_string(++step);
        compare_step(norm, s, pass_mode::training, what, worst);
        compare(norm.running_mean().elements(), s["running_mean"], what + " running_mean", worst);
        compare(norm.running_var().elements(), s["running_var"], what + " running_var", worst);
    }
    compare_step(norm, fixture["batch_norm"]["evaluation"], pass_mode::evaluation, "evaluation step", worst);
    WARN("batch norm: largest distance from PyTorch " << fixture["torch_version"].get<std::string>() << ": "
                                                      << worst.scaled << " ulps of a tensor's largest entry, "
                                                      << worst.elementwise << " ulps elementwise");
}

TEST_CASE("layer norm: output and gradients within 4 ulps of PyTorch in fp64", "[nn][norm]") {
    const auto fixture = test::read_torch_fixture("normalisation.json");
    arithmetic<double> a(parse_precision("fp64"));
    layer_norm<double> norm(5, {fixture["epsilon"].get<std::string>(), true}, a);
    set_parameters(norm, fixture);

    distances worst;
    compare_step(norm, fixture["layer_norm"], pass_mode::training, "layer norm", worst);
    WARN("layer norm: largest distance from PyTorch " << fixture["torch_version"].get<std::string>() << ": "
                                                      << worst.scaled << " ulps of a tensor's largest entry, "
                                                      << worst.elementwise << " ulps elementwise");
}

TEST_CASE("batch norm: training on a batch of one throws as PyTorch does, naming the layer", "[nn][norm]") {
    arithmetic<double> a(parse_precision("fp64"));
    model_spec spec{3, {}};
    spec.layers.emplace_back(dense_spec{4});
    spec.layers.emplace_back(batch_norm_spec{});
    network<double> net(spec, a);
    const matrix<double> one_example(1, 3, 0.5), none(0, 3);

    CHECK_THROWS_AS(net.forward(one_example, pass_mode::training), std::invalid_argument);
    CHECK_THROWS_WITH(net.forward(one_example, pass_mode::training),
                      Catch::Matchers::Contains("batch_norm layer") && Catch::Matchers::Contains("batch of 1"));
    CHECK_THROWS_AS(net.forward(none, pass_mode::training), std::invalid_argument);

    // Evaluation takes the running statistics (0 and 1 at first): y = x / sqrt(1 + eps).
    batch_norm<double> norm(3, {}, a);
    const auto y = norm.forward(one_example, pass_mode::evaluation);
    REQUIRE(y.rows() == 1);
    for (const double v : y.elements()) CHECK(v == 0.5 * (1.0 / std::sqrt(1.0 + 1e-5)));
}

TEST_CASE("batch norm and layer norm: a NaN input poisons only its feature or its example, as in PyTorch",
          "[nn][norm]") {
    arithmetic<double> a(parse_precision("fp64"));
    matrix<double> x(4, 3);
    for (std::size_t i = 0; i < x.size(); ++i) x.elements()[i] = 0.25 * static_cast<double>(i % 5) - 0.5;
    x(2, 1) = std::nan("");

    batch_norm<double> batch(3, {}, a);
    const auto yb = batch.forward(x, pass_mode::training);
    for (std::size_t r = 0; r < 4; ++r)
        for (std::size_t c = 0; c < 3; ++c) CHECK(std::isnan(yb(r, c)) == (c == 1));
    CHECK(std::isnan(batch.running_mean()(0, 1)));
    CHECK(std::isfinite(batch.running_mean()(0, 0)));

    layer_norm<double> layer(3, {}, a);
    const auto yl = layer.forward(x, pass_mode::training);
    for (std::size_t r = 0; r < 4; ++r)
        for (std::size_t c = 0; c < 3; ++c) CHECK(std::isnan(yl(r, c)) == (r == 2));
}
