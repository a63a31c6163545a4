// validate/gradcheck.hpp: on small studies (a vanishing-like sigmoid and tanh
// MLP; BatchNorm, LayerNorm, a residual block and softmax cross-entropy) every
// tensor is "ok" in mp256, each entry within the bound the header derives; an
// analytic gradient with one entry off is a MISMATCH naming that tensor; the
// entries checked are the documented ones.

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <catch2/catch.hpp>

#include "gradlab/io/study_file.hpp"
#include "gradlab/validate/gradcheck.hpp"

using namespace gradlab;

namespace {

// The vanishing preset's recipe, shrunk: 4 x (Dense(6) + activation), then Dense(1).
constexpr const char* vanishing_like = R"(
seed = 3
precisions = ["fp32", "mp256"]
[model]
input_dim = 5
mlp = { width = 6, depth = 4, outputs = 1 }
[data]
samples = 16
teacher_width = 4
[init]
scheme = "xavier_uniform"
[training]
batch_size = 8
[[variants]]
name = "sigmoid"
model.mlp.activation = "sigmoid"
[[variants]]
name = "tanh"
model.mlp.activation = "tanh"
)";

// A Dense with a bias before BatchNorm on purpose: the batch mean takes the
// bias away, so its exact gradient is 0 and only the floor can judge it.
constexpr const char* normalised_classifier = R"(
seed = 5
precisions = ["mp256"]
[model]
input_dim = 4
layers = [
  { type = "dense", out = 5 }, { type = "batch_norm" }, { type = "activation", function = "tanh" },
  { type = "residual", body = [{ type = "dense", out = 5 }, { type = "activation", function = "sigmoid" }] },
  { type = "layer_norm" },
  { type = "dense", out = 3 },
]
[data]
kind = "gaussian_blobs"
samples = 12
[training]
loss = "softmax_cross_entropy"
batch_size = 6
)";

const precision mp256 = parse_precision("mp256");

experiment::study study_of(const char* text) { return io::parse_study(text, "test", std::filesystem::current_path()); }

long double max_abs_loss_scale(const validate::derivative_samples& d) {
    return std::max<long double>(1, std::fabs(static_cast<long double>(d.loss)));
}

// Every tensor ok, each entry's error within the header's bounds: |a - fd|
// about 2^(-2p/3) max(1, |L|) (here within 2^4 of it), hence a relative error
// below 2^4 2^(-2p/3) / 2^-ceil(p/3) ~ 2^(4 - p/3) even under the floor.
void check_all_ok(const validate::derivative_samples& d) {
    const auto verdicts = validate::compare(d);
    REQUIRE(verdicts.size() == d.tensors.size());
    const long double absolute_bound = 16 * validate::expected_error(d.bits) * max_abs_loss_scale(d);
    const long double relative_bound = std::exp2(4 - static_cast<long double>(d.bits) / 3);
    for (const auto& v : verdicts) {
        INFO(d.variant << " " << v.name << ": max relative error " << static_cast<double>(v.max_relative_error)
                       << ", max absolute error " << static_cast<double>(v.max_absolute_error));
        CHECK(v.ok);
        CHECK(v.max_absolute_error <= absolute_bound);
        CHECK(v.max_relative_error <= relative_bound);
        CHECK(v.max_relative_error < validate::mismatch_threshold(d.bits));
    }
}

}  // namespace

TEST_CASE("gradcheck: a deep sigmoid and a deep tanh MLP agree with finite differences in mp256", "[validate][gradcheck]") {
    const auto s = study_of(vanishing_like);
    for (const auto& v : s.variants) {
        const auto d = validate::sample_derivatives(s, v, mp256, 16);
        CHECK(d.bits == 256);
        REQUIRE(d.tensors.size() == 10);  // 5 Dense layers, weight and bias each
        CHECK(d.tensors[2].name == "layers.2.weight");
        CHECK(d.tensors[2].entries.size() == 16);  // 6 x 6 = 36 entries: 16 of them
        CHECK(d.tensors[3].entries.size() == 6);   // a bias of 6: all
        check_all_ok(d);
    }
}

TEST_CASE("gradcheck: BatchNorm, LayerNorm, a residual block and softmax cross-entropy agree in mp256",
          "[validate][gradcheck]") {
    const auto s = study_of(normalised_classifier);
    const auto d = validate::sample_derivatives(s, s.variants.front(), mp256, 16);
    check_all_ok(d);
    const auto verdicts = validate::compare(d);
    const auto bias = std::find_if(verdicts.begin(), verdicts.end(), [](const auto& v) { return v.name == "layers.0.bias"; });
    REQUIRE(bias != verdicts.end());
    CHECK(bias->entries_under_floor == bias->entries_checked);  // an exact 0, judged on the floor's scale
    const auto body = std::find_if(verdicts.begin(), verdicts.end(), [](const auto& v) { return v.name == "layers.3.body.0.weight"; });
    REQUIRE(body != verdicts.end());
    CHECK(body->entries_under_floor == 0);
}

TEST_CASE("gradcheck: an analytic gradient with one entry off is a MISMATCH of its tensor alone", "[validate][gradcheck]") {
    const auto s = study_of(vanishing_like);
    auto d = validate::sample_derivatives(s, s.variants.front(), mp256, 16);
    // A wrong backward formula as the comparison sees it: layers.2.weight's
    // fifth checked entry 1 + 2^-40 times what it should be (a relative error
    // far above 2^-64 = 2^(-p/4), far below anything a float format would show).
    auto& wrong = d.tensors[2];
    mp_float& entry = wrong.analytic[4];
    entry *= 1 + std::ldexp(1.0, -40);
    const auto verdicts = validate::compare(d);
    for (std::size_t t = 0; t < verdicts.size(); ++t) {
        INFO(verdicts[t].name);
        CHECK(verdicts[t].ok == (t != 2));
    }
    CHECK(verdicts[2].name == "layers.2.weight");
    CHECK(verdicts[2].worst_entry == wrong.entries[4]);
    CHECK(verdicts[2].max_relative_error == Approx(std::ldexp(1.0, -40)).epsilon(1e-6));
}

TEST_CASE("gradcheck: the entries checked, a non-mp precision refused", "[validate][gradcheck]") {
    CHECK(validate::checked_entries(3, 16) == std::vector<std::size_t>{0, 1, 2});
    CHECK(validate::checked_entries(16, 16).size() == 16);
    CHECK(validate::checked_entries(10, 4) == std::vector<std::size_t>{0, 3, 6, 9});
    CHECK(validate::checked_entries(17, 16) == std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16});
    CHECK(validate::checked_entries(100, 1) == std::vector<std::size_t>{0});
    CHECK_THROWS_AS(validate::checked_entries(5, 0), std::invalid_argument);

    const auto s = study_of(vanishing_like);
    CHECK_THROWS_WITH(validate::sample_derivatives(s, s.variants.front(), parse_precision("fp64"), 16),
                      Catch::Contains("gradcheck needs an mp precision, e.g. mp512"));
}
