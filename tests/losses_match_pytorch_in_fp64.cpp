// Softmax cross-entropy and binary cross-entropy with logits in fp64 against
// PyTorch's float64 CPU results (analysis/fixtures/torch_losses.py), loss
// and gradient, some with a loss-scaling seed of 1024.
//
// Tolerance 4 ulps: both sides evaluate the same formulas in the same order
// (loss_impl.hpp), but exp, log, softplus and sigmoid are not correctly
// rounded on either side (within about 1 ulp each in PyTorch's Sleef and in
// our kernels), sums may be associated differently for short rows, and the
// binary cross-entropy's per-element term is formed differently (PyTorch:
// (1 - t) z - log_sigmoid(z); here softplus(z) - z t). The logits are
// moderate and the soft targets far from sigmoid(z), so that little
// cancellation amplifies an ulp (the fixture script says where it would).
// Both sides' distance from the exact values (mp256, rounded to fp64) is
// reported beside.

#include <algorithm>
#include <cstdint>
#include <vector>

#include <catch2/catch.hpp>

#include "gradlab/nn/loss.hpp"
#include "gradlab/scalar/conversions.hpp"
#include "support/torch_fixture.hpp"

using namespace gradlab;
using namespace gradlab::nn;

namespace {

constexpr double max_ulps = 4.0;

// A fixture number in T, exactly (T has at least 53 bits).
template <class T>
storage_t<T> number_from(const arithmetic<T>& a, double x) {
    return a.number(to_mp(x, 53).backend().data());
}

// A fixture array as a matrix of T.
template <class T>
matrix<storage_t<T>> matrix_from(const nlohmann::json& rows, const arithmetic<T>& a) {
    const auto values = test::hex_doubles(rows);
    auto m = a.matrix_of(rows.size(), values.size() / rows.size());
    for (std::size_t i = 0; i < values.size(); ++i) m.elements()[i] = number_from(a, values[i]);
    return m;
}

// The loss and the gradient for one fixture case in T, as doubles (rounded once).
template <class T>
std::vector<double> loss_and_gradient(loss_kind kind, const nlohmann::json& c, const char* precision) {
    arithmetic<T> a(parse_precision(precision));
    auto loss = make_loss(kind, a);
    const auto z = matrix_from(c["logits"], a);
    matrix<storage_t<T>> targets;
    std::vector<std::int64_t> labels;
    if (c.contains("targets")) targets = matrix_from(c["targets"], a);
    else labels = c["labels"].get<std::vector<std::int64_t>>();
    auto l = a.zero();
    loss->forward(z, {targets, labels}, l);
    const auto g = loss->backward(number_from(a, test::hex_double(c["seed"])));
    const auto to_double = [](const storage_t<T>& x) {
        if constexpr (std::is_same_v<T, double>) return x;
        else return to_fp64(x.backend().data());
    };
    std::vector<double> out{to_double(l)};
    for (const auto& e : g.elements()) out.push_back(to_double(e));
    return out;
}

struct distances {
    double from_torch = 0, from_exact = 0, torch_from_exact = 0;
};

// Checks one fixture case against PyTorch: the loss first, then the gradient.
distances compare_case(loss_kind kind, const nlohmann::json& c) {
    const auto ours = loss_and_gradient<double>(kind, c, "fp64");
    const auto exact = loss_and_gradient<mp_float>(kind, c, "mp256");
    std::vector<double> torch{test::hex_double(c["loss"])};
    for (const double g : test::hex_doubles(c["gradient"])) torch.push_back(g);
    REQUIRE(ours.size() == torch.size());

    distances d;
    for (std::size_t i = 0; i < ours.size(); ++i) {
        const double from_torch = ulp_distance(ours[i], torch[i], binary64());
        INFO(loss_name(kind) << (i == 0 ? " loss" : " gradient element " + std::to_string(i - 1)) << ": "
                             << ours[i] << ", PyTorch " << torch[i] << ", exact " << exact[i]);
        CHECK(from_torch <= max_ulps);
        d.from_torch = std::max(d.from_torch, from_torch);
        d.from_exact = std::max(d.from_exact, ulp_distance(ours[i], exact[i], binary64()));
        d.torch_from_exact = std::max(d.torch_from_exact, ulp_distance(torch[i], exact[i], binary64()));
    }
    return d;
}

void compare_cases(loss_kind kind) {
    const auto fixture = test::read_torch_fixture("losses.json");
    distances worst;
    for (const auto& c : fixture[std::string(loss_name(kind))]) {
        const auto d = compare_case(kind, c);
        worst = {std::max(worst.from_torch, d.from_torch), std::max(worst.from_exact, d.from_exact),
                 std::max(worst.torch_from_exact, d.torch_from_exact)};
    }
    WARN(loss_name(kind) << ", loss and gradient: at most " << worst.from_torch << " ulps from PyTorch "
                         << fixture["torch_version"].get<std::string>() << "; from the exact values, ours "
                         << worst.from_exact << " ulps, PyTorch's " << worst.torch_from_exact);
}

}  // namespace

TEST_CASE("softmax cross-entropy: loss and gradient within 4 ulps of PyTorch in fp64", "[nn][loss]") {
    compare_cases(loss_kind::softmax_cross_entropy);
}

TEST_CASE("bce with logits: loss and gradient within 4 ulps of PyTorch in fp64", "[nn][loss]") {
    compare_cases(loss_kind::bce_with_logits);
}
