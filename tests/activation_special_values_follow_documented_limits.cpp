// NaN in gives NaN out; ±Inf give the limits activation.hpp documents; at the
// kinks the derivative is PyTorch's (the x > 0 branch is strict). In every
// precision that has these values and on every instruction set.

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "gradlab/kernels/activation.hpp"
#include "support/elementwise_precisions.hpp"

using namespace gradlab;
using namespace gradlab::test;

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();

struct expectation {
    activation f;
    double x;
    double forward;     // f(x)
    double derivative;  // f'(x), given y = f(x)
};

const expectation expectations[] = {
    // limits at -Inf and +Inf
    {{activation_kind::identity}, -inf, -inf, 1},
    {{activation_kind::identity}, inf, inf, 1},
    {{activation_kind::sigmoid}, -inf, 0, 0},
    {{activation_kind::sigmoid}, inf, 1, 0},
    {{activation_kind::tanh}, -inf, -1, 0},
    {{activation_kind::tanh}, inf, 1, 0},
    {{activation_kind::relu}, -inf, 0, 0},
    {{activation_kind::relu}, inf, inf, 1},
    {{activation_kind::leaky_relu}, -inf, -inf, 0.01},
    {{activation_kind::leaky_relu}, inf, inf, 1},
    {{activation_kind::prelu, 0.25}, -inf, -inf, 0.25},
    {{activation_kind::prelu, 0.25}, inf, inf, 1},
    {{activation_kind::elu}, -inf, -1, 0},
    {{activation_kind::elu, 0.5}, -inf, -0.5, 0},
    {{activation_kind::elu}, inf, inf, 1},
    {{activation_kind::gelu}, -inf, -0.0, -0.0},
    {{activation_kind::gelu}, inf, inf, 1},
    {{activation_kind::softplus}, -inf, 0, 0},
    {{activation_kind::softplus}, inf, inf, 1},
    // kinks: at 0 the x > 0 branch is not taken
    {{activation_kind::relu}, 0, 0, 0},
    {{activation_kind::relu}, -0.0, 0, 0},
    {{activation_kind::leaky_relu}, 0, 0, 0.01},
    {{activation_kind::prelu, 0.25}, -0.0, -0.0, 0.25},
    {{activation_kind::elu}, 0, 0, 1},
    {{activation_kind::elu, 0.5}, 0, 0, 0.5},
    {{activation_kind::identity}, 0, 0, 1},
    // smooth at 0: exact values
    {{activation_kind::sigmoid}, 0, 0.5, 0.25},
    {{activation_kind::tanh}, 0, 0, 1},
    {{activation_kind::gelu}, 0, 0, 0.5},
};

// v as a value of the precision (the double rounded to it, as the inputs are).
mp_vector values_of(const precision_under_test& p, std::initializer_list<double> values) {
    auto v = reference_values(values.size());
    std::size_t i = 0;
    for (double d : values) {
        mpfr_set_d(v[i].backend().data(), d, MPFR_RNDN);
        p.round(v[i++].backend().data());
    }
    return v;
}

// Equal values, zeros of the same sign included; NaN equals NaN.
bool same(mpfr_srcptr got, mpfr_srcptr expected) {
    if (mpfr_nan_p(expected)) return mpfr_nan_p(got);
    return mpfr_equal_p(got, expected) && mpfr_signbit(got) == mpfr_signbit(expected);
}

std::vector<precision_under_test> precisions_with_infinity() {
    return {fp32_case(),
            fp64_case(),
            f128_case(),
            mp_case(64),
            emulated_case(bfloat16()),
            emulated_case(binary16()),
            emulated_case(fp8_e5m2())};
}

}  // namespace

TEST_CASE("activations: NaN in gives NaN out, forward and derivative", "[kernels][activation]") {
    for (const auto& p : precisions_with_infinity()) {
        const auto x = values_of(p, {not_a_number, 1.0, not_a_number});
        for (auto kind : {activation_kind::identity, activation_kind::sigmoid, activation_kind::tanh,
                          activation_kind::relu, activation_kind::leaky_relu, activation_kind::prelu,
                          activation_kind::elu, activation_kind::gelu, activation_kind::softplus}) {
            for (isa level : levels_of(p)) {
                INFO(p.name << " " << activation_name(kind) << " " << isa_name(level));
                const auto y = p.forward({kind}, x, level);
                const auto d = p.derivative({kind}, x, y, level);
                CHECK(mpfr_nan_p(y[0].backend().data()));
                CHECK(mpfr_nan_p(y[2].backend().data()));
                CHECK(mpfr_nan_p(d[0].backend().data()));
                CHECK(mpfr_nan_p(d[2].backend().data()));
                CHECK(mpfr_number_p(d[1].backend().data()));
            }
        }
        for (isa level : levels_of(p)) CHECK(mpfr_nan_p(p.exponential(x, level)[0].backend().data()));
    }
}

TEST_CASE("activations: infinities give the limits and kinks PyTorch's derivative", "[kernels][activation]") {
    for (const auto& p : precisions_with_infinity()) {
        for (const auto& e : expectations) {
            const auto x = values_of(p, {e.x});
            const auto expected = values_of(p, {e.forward, e.derivative});
            for (isa level : levels_of(p)) {
                const auto y = p.forward(e.f, x, level);
                const auto d = p.derivative(e.f, x, y, level);
                INFO(p.name << " " << activation_name(e.f.kind) << "(" << e.f.parameter << ") at " << e.x << " on "
                            << isa_name(level) << ": f = " << mpfr_get_d(y[0].backend().data(), MPFR_RNDN)
                            << ", f' = " << mpfr_get_d(d[0].backend().data(), MPFR_RNDN));
                CHECK(same(y[0].backend().data(), expected[0].backend().data()));
                CHECK(same(d[0].backend().data(), expected[1].backend().data()));
            }
        }
    }
}

TEST_CASE("exponential: overflows to +Inf and underflows to +0", "[kernels][elementwise]") {
    for (const auto& p : precisions_with_infinity()) {
        const auto x = values_of(p, {-inf, inf, 0.0, -0.0});
        const auto expected = values_of(p, {0.0, inf, 1.0, 1.0});
        for (isa level : levels_of(p)) {
            const auto y = p.exponential(x, level);
            for (std::size_t i = 0; i < x.size(); ++i) {
                INFO(p.name << " " << isa_name(level) << " element " << i);
                CHECK(same(y[i].backend().data(), expected[i].backend().data()));
            }
        }
    }
}
