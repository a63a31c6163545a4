// A small dense network (two Dense layers around a tanh) under each loss:
// analytic gradients in mp512 against central finite differences, within
// 1e-60 of each tensor's largest entry (support/gradient_check.hpp derives
// the bound). check_gradients draws the targets each loss needs: normal
// values for mse, uniform ones in [0, 1) for bce_with_logits, labels for
// softmax_cross_entropy.

#include <catch2/catch.hpp>

#include "support/gradient_check.hpp"

using namespace gradlab;
using namespace gradlab::nn;

TEST_CASE("each loss after a small dense network: gradients match finite differences", "[nn][loss][gradcheck]") {
    for (const loss_kind kind : {loss_kind::mse, loss_kind::softmax_cross_entropy, loss_kind::bce_with_logits}) {
        INFO("loss " << loss_name(kind));
        model_spec spec{3, {}};
        spec.layers.emplace_back(dense_spec{4});
        spec.layers.emplace_back(activation_spec{{activation_kind::tanh}});
        spec.layers.emplace_back(dense_spec{3});
        // Weights of scale 2 give logits of a few units: softmax and sigmoid
        // away from both 1/2 and saturation, where their curvature is tested.
        const double worst = test::check_gradients(spec, kind, 41, 6, 2.0);
        WARN(loss_name(kind) << ": largest error " << worst << " of the tensor's largest entry");
        CHECK(worst <= test::gradient_check_bound);
    }
}
