// The two worked examples of the project's material, in mp256, fp64 and fp32.
// The decimals are read at each precision and rounded once. Every listed
// number must come out within 2 ulps of the exact decimal in fp64 and fp32
// (each is at most a few roundings from exact inputs: a product and a sum of
// two, so 2 ulps is the bound of two roundings of half an ulp each plus the
// inputs' own half-ulp errors carried once), and to at least 70 significant
// digits in mp256 (u = 2^-256, about 8.6e-78, times a few roundings, against
// 1e-70).

#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <mpfr.h>

#include "gradlab/nn/loss.hpp"
#include "gradlab/nn/network.hpp"
#include "gradlab/nn/optimizer.hpp"

using namespace gradlab;
using namespace gradlab::nn;

namespace {

// |got - exact| against the precision's tolerance, with the exact decimal
// read at 1024 bits.
template <class T>
void require_close(const arithmetic<T>& a, const storage_t<T>& got, const char* exact_text, const std::string& what) {
    mpfr_t g, e, d;
    mpfr_inits2(1024, g, e, d, static_cast<mpfr_ptr>(nullptr));
    arithmetic<T>::to_mpfr(got, g);
    REQUIRE(parse_number(exact_text, e));
    mpfr_sub(d, g, e, MPFR_RNDN);
    mpfr_abs(d, d, MPFR_RNDN);
    INFO(what << " in " << a.name() << ": got " << arithmetic<T>::to_double(got) << ", exact " << exact_text);
    if (a.significand_bits() > 64) {
        mpfr_div(d, d, e, MPFR_RNDN);
        mpfr_abs(d, d, MPFR_RNDN);
        INFO("relative error " << mpfr_get_d(d, MPFR_RNDN));
        CHECK(mpfr_cmp_d(d, 1e-70) <= 0);
    } else {
        const double ulps = mpfr_get_d(d, MPFR_RNDN) /
                            ulp_of(mpfr_get_d(e, MPFR_RNDN), a.significand_bits() == 24 ? binary32() : binary64());
        INFO("error " << ulps << " ulps");
        CHECK(ulps <= 2.0);
    }
    mpfr_clears(g, e, d, static_cast<mpfr_ptr>(nullptr));
}

template <class T>
matrix<storage_t<T>> matrix_from(arithmetic<T>& a, std::size_t rows, std::size_t cols,
                                 const std::vector<const char*>& decimals) {
    auto m = a.matrix_of(rows, cols);
    for (std::size_t i = 0; i < decimals.size(); ++i) m.elements()[i] = a.number(decimals[i]);
    return m;
}

template <class T>
void single_neuron(const char* precision_name) {
    arithmetic<T> a(parse_precision(precision_name));
    model_spec spec{1, {}};
    spec.layers.emplace_back(dense_spec{1, false});
    network<T> net(spec, a);
    auto loss = make_loss(loss_kind::mse, a);
    net.parameter_named("layers.0.weight").value(0, 0) = a.number("3");
    const auto x = matrix_from(a, 1, 1, {"2"});
    const auto t = matrix_from(a, 1, 1, {"10"});

    auto l = a.zero();
    const auto y = net.forward(x);
    require_close(a, y(0, 0), "6", "y = x w");
    loss->forward(y, {t, {}}, l);
    require_close(a, l, "16", "L = (y - t)^2");
    net.backward(loss->backward(a.number("1")));
    require_close(a, net.parameter_named("layers.0.weight").gradient(0, 0), "-16", "dL/dw");

    optimizer_spec sgd;
    sgd.learning_rate = "0.1";
    make_optimizer(sgd, a)->step(net.parameters(), a.number(sgd.learning_rate));
    require_close(a, net.parameter_named("layers.0.weight").value(0, 0), "4.6", "w after one SGD step, lr 0.1");
}

template <class T>
void two_two_one(const char* precision_name) {
    arithmetic<T> a(parse_precision(precision_name));
    // H = I W_h and O = H W_o; torch.nn.Linear's weights are the transposes.
    model_spec spec{2, {}};
    spec.layers.emplace_back(dense_spec{2, false});
    spec.layers.emplace_back(dense_spec{1, false});
    network<T> net(spec, a);
    auto loss = make_loss(loss_kind::mse, a);
    net.parameter_named("layers.0.weight").value = matrix_from(a, 2, 2, {"0.1", "0.2", "0.3", "0.4"});
    net.parameter_named("layers.1.weight").value = matrix_from(a, 1, 2, {"0.5", "0.6"});
    const auto input = matrix_from(a, 1, 2, {"1.0", "0.5"});
    const auto target = matrix_from(a, 1, 1, {"1"});

    auto l = a.zero();
    const auto h = net.layer_at(0).forward(input, pass_mode::training);
    require_close(a, h(0, 0), "0.2", "H[0]");
    require_close(a, h(0, 1), "0.5", "H[1]");
    const auto o = net.layer_at(1).forward(h, pass_mode::training);
    require_close(a, o(0, 0), "0.4", "O");
    loss->forward(o, {target, {}}, l);
    require_close(a, l, "0.36", "L");

    const auto d_o = loss->backward(a.number("1"));
    require_close(a, d_o(0, 0), "-1.2", "dL/dO");
    const auto d_h = net.layer_at(1).backward(d_o, true);
    const auto& d_wo = net.parameter_named("layers.1.weight").gradient;  // (1, 2) = dL/dW_o^T
    require_close(a, d_wo(0, 0), "-0.24", "dL/dW_o[0]");
    require_close(a, d_wo(0, 1), "-0.6", "dL/dW_o[1]");
    require_close(a, d_h(0, 0), "-0.6", "dL/dH[0]");
    require_close(a, d_h(0, 1), "-0.72", "dL/dH[1]");
    net.layer_at(0).backward(d_h, false);
    const auto& d_wh = net.parameter_named("layers.0.weight").gradient;  // dL/dW_h^T
    require_close(a, d_wh(0, 0), "-0.6", "dL/dW_h[0][0]");
    require_close(a, d_wh(1, 0), "-0.72", "dL/dW_h[0][1]");
    require_close(a, d_wh(0, 1), "-0.3", "dL/dW_h[1][0]");
    require_close(a, d_wh(1, 1), "-0.36", "dL/dW_h[1][1]");
}

}  // namespace

TEST_CASE("single neuron: L = 16, dL/dw = -16, w = 4.6 after one SGD step", "[nn][worked_example]") {
    single_neuron<mp_float>("mp256");
    single_neuron<double>("fp64");
    single_neuron<float>("fp32");
}

TEST_CASE("2-2-1 linear network: every forward and backward quantity of the worked example",
          "[nn][worked_example]") {
    two_two_one<mp_float>("mp256");
    two_two_one<double>("fp64");
    two_two_one<float>("fp32");
}
