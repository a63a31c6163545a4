// mp results are rounded to the precision each output element already has,
// whatever the inputs' precision and whatever Boost's global default is:
// every element keeps its precision and is within the mp bound of the exact
// value at that precision.

#include <catch2/catch.hpp>

#include <vector>

#include "gradlab/kernels/activation.hpp"
#include "gradlab/kernels/elementwise.hpp"
#include "support/elementwise_reference.hpp"
#include "support/mp_values.hpp"

using namespace gradlab;
using namespace gradlab::test;

namespace {

// Boost's global default precision set to something no element asks for.
struct hostile_default_precision {
    unsigned saved = mp_float::default_precision();
    hostile_default_precision() { mp_float::default_precision(7); }
    ~hostile_default_precision() { mp_float::default_precision(saved); }
};

// Outputs of alternating precisions, so no single working precision serves.
std::vector<mp_float> outputs(std::size_t n) {
    std::vector<mp_float> v = mp_values(n, 80);
    for (std::size_t i = 1; i < n; i += 2) mpfr_set_prec(v[i].backend().data(), 120);
    return v;
}

}  // namespace

TEST_CASE("elementwise: mp results take each output's precision", "[kernels][elementwise][mp]") {
    hostile_default_precision hostile;
    std::vector<mp_float> x = mp_values(64, 200), y = mp_values(64, 200);
    for (std::size_t i = 0; i < x.size(); ++i) {
        mpfr_set_si(x[i].backend().data(), static_cast<long>(i) - 32, MPFR_RNDN);
        mpfr_div_ui(x[i].backend().data(), x[i].backend().data(), 7, MPFR_RNDN);  // 200-bit values
        mpfr_ui_div(y[i].backend().data(), 1, x[i].backend().data(), MPFR_RNDN);
    }
    const auto check = [&](const std::vector<mp_float>& got, auto reference, const char* what) {
        mp exact(reference_bits);
        for (std::size_t i = 0; i < got.size(); ++i) {
            const long bits = i % 2 == 0 ? 80 : 120;
            reference(exact.v, i);
            const auto* g = got[i].backend().data();
            INFO(what << " element " << i);
            CHECK(mpfr_get_prec(g) == bits);
            CHECK(ulp_error(g, exact.v, mp_target(static_cast<int>(bits))) <= 0.5 + 0x1p-24);
        }
    };
    for (auto kind : {activation_kind::gelu, activation_kind::sigmoid, activation_kind::tanh}) {
        auto out = outputs(x.size());
        activation_forward({kind}, std::span<const mp_float>(x), std::span<mp_float>(out));
        check(
            out, [&](mpfr_ptr r, std::size_t i) { reference_forward(r, {kind}, x[i].backend().data()); }, "forward");
        auto d = outputs(x.size());
        activation_derivative({kind}, std::span<const mp_float>(x), std::span<const mp_float>(x),
                              std::span<mp_float>(d));
        if (kind == activation_kind::gelu)
            check(
                d, [&](mpfr_ptr r, std::size_t i) { reference_derivative(r, {kind}, x[i].backend().data()); },
                "derivative");
    }
    auto out = outputs(x.size());
    const mp_float a = mp_values(1, 200)[0] = 3;
    axpy(a, std::span<const mp_float>(x), std::span<const mp_float>(y), std::span<mp_float>(out));
    check(
        out,
        [&](mpfr_ptr r, std::size_t i) {
            // the product rounded to the output's precision, then the sum
            mp product(i % 2 == 0 ? 80 : 120);
            mpfr_mul(product.v, a.backend().data(), x[i].backend().data(), MPFR_RNDN);
            mpfr_add(r, product.v, y[i].backend().data(), MPFR_RNDN);
        },
        "axpy");
    exponential(std::span<const mp_float>(x), std::span<mp_float>(out));
    check(
        out, [&](mpfr_ptr r, std::size_t i) { reference_exponential(r, x[i].backend().data()); }, "exp");
}
