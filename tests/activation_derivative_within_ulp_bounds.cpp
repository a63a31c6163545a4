// Every activation's derivative against MPFR at 256 bits, in every precision
// and on every instruction set, given x and the y the forward kernel produced
// from it. The error asserted, per function and precision, is in ulps of the
// precision:
//   - for the derivatives computed from x, against f'(x) itself;
//   - for sigmoid and tanh, computed from y as backpropagation does, against
//     the formula evaluated exactly at that y (y (1 - y), (1 - y)(1 + y)):
//     the kernel's own error. Against f'(x) they also carry y's error, which
//     1 - y magnifies without bound as y saturates; that end-to-end error is
//     printed, not asserted;
//   - for gelu in fp64 and f128, in ulps of Phi(x) + |x| phi(x), the size of
//     the two terms whose sum gelu'(x) is: near the root of gelu' (x0 =
//     -0.7518...) the sum cancels and no fixed-precision evaluation keeps a
//     relative error bound there. The plain ULP error is printed. (fp32
//     computes in double and mp adds bits where it cancels: both are held
//     to the plain ULP error.)

#include <catch2/catch.hpp>

#include <iomanip>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "gradlab/kernels/activation.hpp"
#include "support/elementwise_bounds.hpp"
#include "support/elementwise_precisions.hpp"
#include "support/elementwise_reference.hpp"

using namespace gradlab;
using namespace gradlab::test;

namespace {

// Reasons as in activation_forward_within_ulp_bounds.cpp: "measured" is the
// worst of 100 000 random inputs per precision plus the edges, plus 25%,
// rounded up to a tenth; emulated formats derive theirs from fp32's.
constexpr double mp_composite = 0.5 + 0x1p-24;  // 32 guard bits, as in the forward test

constexpr ulp_bound bounds[] = {
    {"identity", "*", 0, "exact"},
    {"relu", "*", 0, "exact"},
    {"prelu", "*", 0, "exact: the slope 0.25"},
    {"leaky_relu", "fp32", 0.5, "analysis: the double 0.01 rounded once to float"},
    {"leaky_relu", "fp64", 0, "exact: the slope is that double"},
    {"leaky_relu", "f128", 0, "exact: the slope is that double"},
    {"leaky_relu", "mp", 0, "exact: the slope is that double (mp of 53 bits or more)"},
    // at the given y: y (1 - y) rounds at most twice (1 - y is exact for
    // y >= 1/2), (1 - y)(1 + y) at most three times (one factor is exact for
    // |y| >= 1/2); each rounding is within u relative, and a relative error
    // of k u is less than k ulps.
    {"sigmoid", "fp32", 2, "analysis: two roundings"},
    {"sigmoid", "fp64", 2, "analysis: two roundings"},
    {"sigmoid", "f128", 2, "analysis: two roundings"},
    {"sigmoid", "mp", mp_composite, "analysis: 32 guard bits"},
    {"tanh", "fp32", 3, "analysis: three roundings"},
    {"tanh", "fp64", 3, "analysis: three roundings"},
    {"tanh", "f128", 3, "analysis: three roundings"},
    {"tanh", "mp", mp_composite, "analysis: 32 guard bits"},
    // elu(0.5), also measured, takes elu's bounds
    {"elu", "fp32", 1.8, "measured 1.40: xsimd exp squared at the end of the range, times alpha"},
    {"elu", "fp64", 1.2, "measured 0.89: xsimd exp, times alpha"},
    {"elu", "f128", 1.0, "measured 0.74: libquadmath expq, times alpha"},
    {"elu", "mp", mp_composite, "analysis: 32 guard bits"},
    {"gelu", "fp32", 1.8, "measured 1.42 (at the float nearest the root; else 0.5): computed in double"},
    {"gelu", "fp64", 3.8, "measured 3.04 in ulps of the terms: glibc erfc, exp, corrections"},
    {"gelu", "f128", 3.1, "measured 2.43 in ulps of the terms: libquadmath erfcq, expq, corrections"},
    {"gelu", "mp", mp_composite, "analysis: guard bits, more where Phi + x phi cancels"},
    // softplus' is sigmoid(x): the forward sigmoid's bounds
    {"softplus", "fp32", 2.8, "measured 2.16, as the forward sigmoid"},
    {"softplus", "fp64", 2.7, "measured 2.16, as the forward sigmoid"},
    {"softplus", "f128", 2.8, "measured 2.21, as the forward sigmoid"},
    {"softplus", "mp", mp_composite, "analysis: 32 guard bits"},
};

bool measured_in_terms(const activation& f, const precision_under_test& p) {
    return f.kind == activation_kind::gelu && (p.name == "fp64" || p.name == "f128");
}

}  // namespace

TEST_CASE("activations: derivatives within the stated ULP bounds of MPFR", "[kernels][activation]") {
    for (const auto& p : all_precisions()) {
        const auto x = inputs_for(p, random_input_count(1000));
        std::string summary = summary_title("derivative", p, x.size());
        for (const auto& f : tested_activations()) {
            const std::string name = display_name(f);
            const bool from_output = uses_output(f.kind);
            const bool in_terms = measured_in_terms(f, p);
            auto exact = reference_values(x.size());
            auto terms = reference_values(x.size());
            for (std::size_t i = 0; i < x.size(); ++i) {
                reference_derivative(exact[i].backend().data(), f, x[i].backend().data());
                if (in_terms) gelu_derivative_terms(terms[i].backend().data(), x[i].backend().data());
            }
            measured asserted, end_to_end;
            for (isa level : levels_of(p)) {
                const auto y = p.forward(f, x, level);
                const auto got = p.derivative(f, x, y, level);
                auto formula = reference_values(1);
                for (std::size_t i = 0; i < x.size(); ++i) {
                    const auto* xi = x[i].backend().data();
                    const auto* g = got[i].backend().data();
                    const auto* e = exact[i].backend().data();
                    end_to_end.record(ulp_error(g, e, p.target), xi, g, e, level);
                    if (from_output) {
                        reference_derivative_from_output(formula[0].backend().data(), f.kind, y[i].backend().data());
                        const auto* at_y = formula[0].backend().data();
                        asserted.record(ulp_error(g, at_y, p.target), xi, g, at_y, level);
                    } else if (in_terms) {
                        asserted.record(ulp_error(g, e, p.target, terms[i].backend().data()), xi, g, e, level);
                    }
                }
            }
            if (!from_output && !in_terms) asserted = end_to_end;
            const auto bound = bound_for(bounds, f, p);
            std::ostringstream note;
            note << std::setprecision(3);
            if (from_output) note << "at its y; vs f'(x): " << end_to_end.worst;
            if (in_terms) note << "of terms; plain: " << end_to_end.worst;
            summary += summary_line(name, asserted, bound, note.str());
            INFO(p.name << " " << name << ": worst at " << asserted.where);
            CHECK(asserted.worst <= bound.max_ulp);
        }
        WARN(summary);
    }
}
