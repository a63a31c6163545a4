// Every activation, and e^x, against MPFR at 256 bits in every precision and
// on every instruction set: the largest error in ulps of the precision must
// stay within the bound the table below states for that function and
// precision, with its reason. The worst error seen is printed either way.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "gradlab/kernels/activation.hpp"
#include "support/elementwise_bounds.hpp"
#include "support/elementwise_precisions.hpp"
#include "support/elementwise_reference.hpp"

using namespace gradlab;
using namespace gradlab::test;

namespace {

// Reasons: "exact" and "analysis" hold for every input; "measured" is the
// worst error of a run with 100 000 random inputs per precision besides the
// edges (GRADLAB_TEST_RANDOM_INPUTS=100000, every instruction set of an
// AVX-512 machine), plus 25%, rounded up to a tenth. An emulated format takes
// fp32's bound through bound_for(): 0.5 + fp32's x 2^(p - 24).
constexpr double mp_composite = 0.5 + 0x1p-24;  // see below

constexpr ulp_bound bounds[] = {
    {"identity", "*", 0, "exact"},
    {"relu", "*", 0, "exact"},
    // prelu's slope here is 0.25: x / 4 is exact except in the subnormal range
    {"prelu", "fp32", 0.5, "analysis: one rounding, in the subnormals"},
    {"prelu", "fp64", 0.5, "analysis: one rounding, in the subnormals"},
    {"prelu", "f128", 0.5, "analysis: one rounding, in the subnormals"},
    {"prelu", "mp", 0, "exact: mp has no subnormals"},
    // the slope is the double 0.01: exact in fp64, f128, mp; fp32 rounds it
    {"leaky_relu", "fp32", 0.875, "analysis: float(0.01) is 0.375 u off, and the product rounds once"},
    {"leaky_relu", "fp64", 0.5, "analysis: one rounding"},
    {"leaky_relu", "f128", 0.5, "analysis: one rounding"},
    {"leaky_relu", "mp", 0.5, "analysis: one rounding (mpfr_mul_d)"},
    {"sigmoid", "fp32", 2.8, "measured 2.16: xsimd exp, an add, a divide"},
    {"sigmoid", "fp64", 2.7, "measured 2.16: xsimd exp, an add, a divide"},
    {"sigmoid", "f128", 2.8, "measured 2.21: libquadmath expq, an add, a divide"},
    {"tanh", "fp32", 2.5, "measured 1.98: xsimd tanh; glibc tanhf on isa::generic"},
    {"tanh", "fp64", 2.5, "measured 1.94: xsimd tanh; glibc tanh on isa::generic"},
    {"tanh", "f128", 2.9, "measured 2.30: libquadmath tanhq"},
    {"tanh", "mp", 0.5, "analysis: mpfr_tanh is correctly rounded"},
    // elu(0.5), also measured, takes elu's bounds
    {"elu", "fp32", 1.0, "measured 0.77: xsimd expm1 (e^x - 1 below -15), times alpha"},
    {"elu", "fp64", 1.0, "measured 0.74: xsimd expm1 (e^x - 1 below -30), times alpha"},
    {"elu", "f128", 1.1, "measured 0.84: libquadmath expm1q, times alpha"},
    {"gelu", "fp32", 0.501, "analysis: computed in double within 1e-3 float ulp, then rounded once"},
    {"gelu", "fp64", 4.4, "measured 3.49: glibc erfc with the x / sqrt 2 correction"},
    {"gelu", "f128", 4.0, "measured 3.15: libquadmath erfcq with the x / sqrt 2 correction"},
    {"softplus", "fp32", 2.1, "measured 1.61: xsimd exp and log1p, an add"},
    {"softplus", "fp64", 1.9, "measured 1.45: xsimd exp and log1p, an add"},
    {"softplus", "f128", 3.3, "measured 2.64: libquadmath expq and log1pq, an add"},
    {"exp", "fp32", 2.0, "measured 1.53: xsimd exp, squared from e^(x/2) at the range's ends"},
    {"exp", "fp64", 2.5, "measured 1.98: xsimd exp, squared from e^(x/2) at the range's ends"},
    {"exp", "f128", 0.7, "measured 0.53: libquadmath expq"},
    {"exp", "mp", 0.5, "analysis: mpfr_exp is correctly rounded"},
    // mp's composite functions round a handful of times at p + 32 bits, then
    // once to p: 0.5 ulp plus at most a few 2^-32; asserted with margin.
    {"sigmoid", "mp", mp_composite, "analysis: 32 guard bits"},
    {"elu", "mp", mp_composite, "analysis: 32 guard bits"},
    {"gelu", "mp", mp_composite, "analysis: 32 guard bits and 2 per bit of |x|"},
    {"softplus", "mp", mp_composite, "analysis: 32 guard bits"},
};

}  // namespace

TEST_CASE("activations: forward values within the stated ULP bounds of MPFR", "[kernels][activation]") {
    for (const auto& p : all_precisions()) {
        const auto x = inputs_for(p, random_input_count(1000));
        std::string summary = summary_title("forward", p, x.size());
        const auto measure = [&](const std::string& name, const ulp_bound& bound, const auto& reference,
                                 const auto& compute) {
            auto exact = reference_values(x.size());
            for (std::size_t i = 0; i < x.size(); ++i) reference(exact[i].backend().data(), x[i].backend().data());
            measured m;
            for (isa level : levels_of(p)) {
                const auto got = compute(level);
                for (std::size_t i = 0; i < x.size(); ++i) {
                    const auto* g = got[i].backend().data();
                    const auto* e = exact[i].backend().data();
                    m.record(ulp_error(g, e, p.target), x[i].backend().data(), g, e, level);
                }
            }
            summary += summary_line(name, m, bound);
            INFO(p.name << " " << name << ": worst at " << m.where);
            CHECK(m.worst <= bound.max_ulp);
        };
        for (const auto& f : tested_activations()) {
            measure(
                display_name(f), bound_for(bounds, f, p),
                [&](mpfr_ptr r, mpfr_srcptr v) { reference_forward(r, f, v); },
                [&](isa level) { return p.forward(f, x, level); });
        }
        measure("exp", bound_for(bounds, "exp", p), reference_exponential,
                [&](isa level) { return p.exponential(x, level); });
        WARN(summary);
    }
}
