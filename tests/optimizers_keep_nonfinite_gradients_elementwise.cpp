// Optimiser updates are elementwise: a NaN or Inf in one gradient element
// makes that parameter element non-finite (as in torch.optim) and leaves
// every other element exactly as it would have been; an empty parameter is
// carried along; the gradients themselves are never written.

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include <catch2/catch.hpp>

#include "gradlab/nn/optimizer.hpp"

using namespace gradlab;
using namespace gradlab::nn;

namespace {

std::vector<optimizer_spec> specs() {
    std::vector<optimizer_spec> out(4);
    out[0].momentum = "0.9", out[0].weight_decay = "0.01", out[0].l1 = "0.001";
    out[1].kind = optimizer_kind::adam, out[1].weight_decay = "0.01", out[1].l1 = "0.001";
    out[2].kind = optimizer_kind::adamw, out[2].weight_decay = "0.01";
    out[3].kind = optimizer_kind::rmsprop, out[3].momentum = "0.9", out[3].centered = true;
    return out;
}

// Three steps; the second step's gradient holds `poison` at elements 1 and 2
// when `poisoned`. Returns the parameter values after the last step.
std::vector<double> run(const optimizer_spec& spec, bool poisoned) {
    arithmetic<double> a(parse_precision("fp64"));
    const auto opt = make_optimizer(spec, a);
    parameter<double> p{"p", parameter_role::weight, matrix<double>(1, 4), matrix<double>(1, 4)};
    parameter<double> empty{"e", parameter_role::bias, matrix<double>(0, 3), matrix<double>(0, 3)};
    const std::vector<double> start = {0.5, -1.0, 2.0, 0.25};
    for (std::size_t i = 0; i < 4; ++i) p.value(0, i) = start[i];
    for (int step = 0; step < 3; ++step) {
        std::vector<double> g = {0.1 * (step + 1), -0.2, 0.3, -0.05 * step};
        if (poisoned && step == 1) {
            g[1] = std::numeric_limits<double>::quiet_NaN();
            g[2] = std::numeric_limits<double>::infinity();
        }
        for (std::size_t i = 0; i < 4; ++i) p.gradient(0, i) = g[i];
        opt->step({&p, &empty}, 0.1);
        for (std::size_t i = 0; i < 4; ++i)  // bitwise: NaN is not equal to itself
            CHECK(std::memcmp(&p.gradient(0, i), &g[i], sizeof(double)) == 0);
    }
    return {p.value.elements().begin(), p.value.elements().end()};
}

}  // namespace

TEST_CASE("optimizers: a NaN or Inf gradient element poisons only its own parameter element", "[optim][nn]") {
    for (const auto& spec : specs()) {
        INFO(optimizer_name(spec.kind));
        const auto clean = run(spec, false), poisoned = run(spec, true);
        CHECK(poisoned[0] == clean[0]);
        CHECK(poisoned[3] == clean[3]);
        CHECK(!std::isfinite(poisoned[1]));
        CHECK(!std::isfinite(poisoned[2]));
        CHECK(std::isfinite(clean[1]));
        CHECK(std::isfinite(clean[2]));
    }
}
