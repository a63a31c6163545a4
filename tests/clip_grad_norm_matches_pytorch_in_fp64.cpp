// Gradient clipping in fp64 against torch.nn.utils (analysis/fixtures/
// torch_clip_grad.py: PyTorch 1.13, float64, CPU): clip_grad_norm_ with a
// max_norm that clips, one that does not, a tiny one, and gradients holding
// Inf or NaN (error_if_nonfinite=False); clip_grad_value_ with ±Inf and NaN.
//
// Tolerance 4 ulps for finite results: the total norm is a 2-norm of 2-norms
// of at most 15 elements, summed in another order than torch's (and scaled
// against overflow here), so each side is within a few ulps of the exact
// norm (gamma_15 < 16 u before the square root halves it); the clipped
// gradients inherit that through the coefficient, plus one rounding each.
// Non-finite results must match in kind: NaN where torch has NaN, equal
// values (signed zeros included) elsewhere. clip_by_value is exact.

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <mpfr.h>

#include "gradlab/nn/clip.hpp"
#include "gradlab/scalar/conversions.hpp"
#include "support/torch_fixture.hpp"

using namespace gradlab;
using namespace gradlab::nn;

namespace {

constexpr double max_ulps = 4.0;

struct parameters_from {
    explicit parameters_from(const nlohmann::json& gradients) {
        for (const auto& g : gradients) {
            const auto values = test::hex_doubles(g);
            storage.emplace_back(parameter<double>{"p", parameter_role::weight, matrix<double>(g.size(), g[0].size()),
                                                   matrix<double>(g.size(), g[0].size())});
            std::copy(values.begin(), values.end(), storage.back().gradient.elements().begin());
        }
        for (auto& p : storage) pointers.push_back(&p);
    }
    std::vector<parameter<double>> storage;
    std::vector<parameter<double>*> pointers;
};

// Distance in ulps, 0 for two NaNs, Inf for a NaN against a number.
double distance(double got, double expected) {
    if (std::isnan(expected) || std::isnan(got))
        return std::isnan(expected) && std::isnan(got) ? 0 : INFINITY;
    if (got == 0 && expected == 0) return std::signbit(got) == std::signbit(expected) ? 0 : INFINITY;
    return ulp_distance(got, expected, binary64());
}

double worst_over_gradients(const parameters_from& params, const nlohmann::json& expected_gradients,
                            const std::string& name) {
    double worst = 0;
    for (std::size_t k = 0; k < params.storage.size(); ++k) {
        const auto expected = test::hex_doubles(expected_gradients[k]);
        const auto got = params.storage[k].gradient.elements();
        for (std::size_t i = 0; i < expected.size(); ++i) {
            const double d = distance(got[i], expected[i]);
            INFO(name << ": gradient " << k << "[" << i << "] " << got[i] << ", PyTorch " << expected[i]);
            CHECK(d <= max_ulps);
            worst = std::max(worst, d);
        }
    }
    return worst;
}

}  // namespace

TEST_CASE("clip_by_global_norm: norm and clipped gradients within 4 ulps of clip_grad_norm_ in fp64",
          "[optim][nn][clip]") {
    const auto fixture = test::read_torch_fixture("clip_grad.json");
    arithmetic<double> a(parse_precision("fp64"));
    gradient_clipper<double> clipper(a);
    double worst = 0;
    for (const auto& c : fixture["norm"]) {
        const auto name = c["name"].get<std::string>();
        parameters_from params(c["gradients"]);
        const double total = clipper.clip_by_global_norm(params.pointers, a.number(c["max_norm"].get<std::string>()));
        const double expected_total = test::hex_double(c["total_norm"]);
        INFO(name << ": total norm " << total << ", PyTorch " << expected_total);
        const double d = distance(total, expected_total);
        CHECK(d <= max_ulps);
        worst = std::max({worst, d, worst_over_gradients(params, c["clipped"], name)});
    }
    WARN("clip_by_global_norm: largest distance from PyTorch " << fixture["torch_version"].get<std::string>() << ": "
                                                               << worst << " ulps");
}

TEST_CASE("clip_by_value: clamps exactly as clip_grad_value_, NaN kept, Inf clamped", "[optim][nn][clip]") {
    const auto fixture = test::read_torch_fixture("clip_grad.json");
    arithmetic<double> a(parse_precision("fp64"));
    gradient_clipper<double> clipper(a);
    for (const auto& c : fixture["value"]) {
        parameters_from params(c["gradients"]);
        clipper.clip_by_value(params.pointers, a.number(c["clip_value"].get<std::string>()));
        // exact: distance 0 everywhere
        for (std::size_t k = 0; k < params.storage.size(); ++k) {
            const auto expected = test::hex_doubles(c["clipped"][k]);
            for (std::size_t i = 0; i < expected.size(); ++i)
                CHECK(distance(params.storage[k].gradient.elements()[i], expected[i]) == 0);
        }
    }
}

TEST_CASE("clip_by_global_norm: no parameters or empty ones give a norm of 0 and change nothing",
          "[optim][nn][clip]") {
    arithmetic<double> a(parse_precision("fp64"));
    gradient_clipper<double> clipper(a);
    CHECK(clipper.clip_by_global_norm({}, 1.0) == 0.0);
    parameter<double> empty{"e", parameter_role::bias, matrix<double>(0, 3), matrix<double>(0, 3)};
    parameter<double> one{"o", parameter_role::bias, matrix<double>(1, 1), matrix<double>(1, 1)};
    one.gradient(0, 0) = 3.0;
    CHECK(clipper.clip_by_global_norm({&empty}, 1.0) == 0.0);
    // A single element: the norm is |g| exactly, the coefficient (1 / (3 + 1e-6)) 1.5.
    CHECK(clipper.clip_by_global_norm({&empty, &one}, 1.5) == 3.0);
    CHECK(one.gradient(0, 0) == 3.0 * ((1.0 / (3.0 + 1e-6)) * 1.5));
}

TEST_CASE("gradient clipping works in mp256 and bf16", "[optim][nn][clip]") {
    // mp256: gradients (3, 4) have norm 5 exactly; clipped to 1 they are
    // (3, 4) / (5 + 1e-6) to within a few roundings of 2^-256.
    arithmetic<mp_float> m(parse_precision("mp256"));
    gradient_clipper<mp_float> mp_clipper(m);
    parameter<mp_float> p{"p", parameter_role::weight, m.matrix_of(1, 2), m.matrix_of(1, 2)};
    p.gradient(0, 0) = m.number("3");
    p.gradient(0, 1) = m.number("-4");
    CHECK(mp_clipper.clip_by_global_norm({&p}, m.number("1")) == 5);
    mpfr_t exact, got;
    mpfr_inits2(1024, exact, got, static_cast<mpfr_ptr>(nullptr));
    REQUIRE(parse_number("1e-6", exact));
    mpfr_add_ui(exact, exact, 5, MPFR_RNDN);
    mpfr_si_div(exact, -4, exact, MPFR_RNDN);
    arithmetic<mp_float>::to_mpfr(p.gradient(0, 1), got);
    mpfr_sub(got, got, exact, MPFR_RNDN);
    mpfr_abs(got, got, MPFR_RNDN);
    CHECK(mpfr_cmp_ui_2exp(got, 1, -250) < 0);  // five roundings of at most 2^-257 relative
    mpfr_clears(exact, got, static_cast<mpfr_ptr>(nullptr));

    // bf16: the norm is taken in fp32 and rounded once; 3, 4 clip to about
    // 0.6, 0.8 within bf16's few roundings (u = 2^-8).
    arithmetic<emulated_float> b(parse_precision("bf16"));
    gradient_clipper<emulated_float> bf16_clipper(b);
    parameter<emulated_float> q{"q", parameter_role::weight, b.matrix_of(1, 2), b.matrix_of(1, 2)};
    q.gradient(0, 0) = 3.0f;
    q.gradient(0, 1) = 4.0f;
    CHECK(bf16_clipper.clip_by_global_norm({&q}, b.number("1")) == 5.0f);
    CHECK(q.gradient(0, 0) == Approx(0.6).epsilon(3 * 0.00390625));
    CHECK(q.gradient(0, 1) == Approx(0.8).epsilon(3 * 0.00390625));
}
