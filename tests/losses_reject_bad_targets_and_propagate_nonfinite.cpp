// The cross-entropy losses in every precision (fp32, fp64, f128, mp256,
// bf16): labels outside [0, classes) and targets of the wrong shape are
// rejected with a message naming them; NaN and infinite logits give NaN or
// infinite losses as PyTorch's do, never an exception; logits of 1000 do not
// overflow; an empty batch has a NaN mean, as torch.mean of nothing; and a
// power-of-two seed scales the gradient exactly.

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "gradlab/nn/loss.hpp"
#include "gradlab/scalar/precision_types.hpp"

using namespace gradlab;
using namespace gradlab::nn;

namespace {

template <class T>
const char* precision_name() {
    if constexpr (std::is_same_v<T, float>) return "fp32";
    else if constexpr (std::is_same_v<T, double>) return "fp64";
    else if constexpr (std::is_same_v<T, float128>) return "f128";
    else if constexpr (std::is_same_v<T, mp_float>) return "mp256";
    else return "bf16";
}

template <class T>
matrix<storage_t<T>> matrix_of(arithmetic<T>& a, std::size_t rows, std::size_t cols,
                               const std::vector<std::string>& decimals) {
    auto m = a.matrix_of(rows, cols);
    for (std::size_t i = 0; i < decimals.size(); ++i) m.elements()[i] = a.number(decimals[i]);
    return m;
}

template <class T>
double as_double(const storage_t<T>& x) {
    return arithmetic<T>::to_double(x);
}

// Calls f<T>(a) for every precision family.
template <class F>
void in_every_precision(F f) {
    for_each_type(precision_types{}, [&]<class T>() {
        arithmetic<T> a(parse_precision(precision_name<T>()));
        INFO("precision " << a.name());
        f.template operator()<T>(a);
    });
}

}  // namespace

TEST_CASE("softmax cross-entropy rejects labels outside the classes, naming row, label and class count",
          "[nn][loss]") {
    in_every_precision([]<class T>(arithmetic<T>& a) {
        auto loss = make_loss(loss_kind::softmax_cross_entropy, a);
        const auto z = matrix_of(a, 2, 3, {"1", "2", "3", "4", "5", "6"});
        auto l = a.zero();
        const std::vector<std::int64_t> too_large{0, 3}, negative{-1, 0}, too_few{0};
        CHECK_THROWS_WITH(loss->forward(z, {{}, too_large}, l),
                          Catch::Contains("label 3 in row 1") && Catch::Contains("3 classes"));
        CHECK_THROWS_WITH(loss->forward(z, {{}, negative}, l),
                          Catch::Contains("label -1 in row 0") && Catch::Contains("3 classes"));
        CHECK_THROWS_WITH(loss->forward(z, {{}, too_few}, l), Catch::Contains("1 labels for 2 rows"));
        const auto no_classes = a.matrix_of(1, 0);
        const std::vector<std::int64_t> zero{0};
        CHECK_THROWS_WITH(loss->forward(no_classes, {{}, zero}, l), Catch::Contains("0 classes"));
    });
}

TEST_CASE("bce with logits rejects targets of another shape", "[nn][loss]") {
    in_every_precision([]<class T>(arithmetic<T>& a) {
        auto loss = make_loss(loss_kind::bce_with_logits, a);
        const auto z = a.matrix_of(2, 3);
        const auto t = a.matrix_of(3, 2);
        auto l = a.zero();
        CHECK_THROWS_WITH(loss->forward(z, {t, {}}, l),
                          Catch::Contains("targets of shape 3x2 for outputs of shape 2x3"));
    });
}

TEST_CASE("softmax cross-entropy: NaN and +Inf logits give NaN, -Inf at the label +Inf", "[nn][loss]") {
    in_every_precision([]<class T>(arithmetic<T>& a) {
        auto loss = make_loss(loss_kind::softmax_cross_entropy, a);
        const std::vector<std::int64_t> labels{0, 1};
        auto l = a.zero();

        const auto with_nan = matrix_of(a, 2, 3, {"nan", "1", "2", "0.5", "1", "2"});
        loss->forward(with_nan, {{}, labels}, l);
        CHECK(std::isnan(as_double<T>(l)));
        auto g = loss->backward(a.number("1"));
        for (std::size_t j = 0; j < 3; ++j) {
            CHECK(std::isnan(as_double<T>(g(0, j))));  // the NaN row
            CHECK(std::isfinite(as_double<T>(g(1, j))));  // the other row is untouched
        }

        const auto with_inf = matrix_of(a, 2, 3, {"inf", "1", "2", "0.5", "1", "2"});
        loss->forward(with_inf, {{}, labels}, l);
        CHECK(std::isnan(as_double<T>(l)));  // inf - inf, as PyTorch's log_softmax

        const auto minus_inf_at_label = matrix_of(a, 2, 3, {"-inf", "1", "2", "0.5", "1", "2"});
        loss->forward(minus_inf_at_label, {{}, labels}, l);
        CHECK(as_double<T>(l) == INFINITY);

        const auto minus_inf_elsewhere = matrix_of(a, 2, 3, {"1", "-inf", "2", "0.5", "1", "2"});
        loss->forward(minus_inf_elsewhere, {{}, labels}, l);
        CHECK(std::isfinite(as_double<T>(l)));
        g = loss->backward(a.number("1"));
        CHECK(as_double<T>(g(0, 1)) == 0);  // probability exactly 0
        CHECK(arithmetic<T>::all_finite(g.elements()));
    });
}

TEST_CASE("bce with logits: a NaN logit gives NaN, an infinite one a non-finite loss and a finite gradient",
          "[nn][loss]") {
    in_every_precision([]<class T>(arithmetic<T>& a) {
        auto loss = make_loss(loss_kind::bce_with_logits, a);
        const auto t = matrix_of(a, 1, 3, {"0.5", "0.5", "0.5"});
        auto l = a.zero();

        loss->forward(matrix_of(a, 1, 3, {"nan", "1", "-1"}), {t, {}}, l);
        CHECK(std::isnan(as_double<T>(l)));
        auto g = loss->backward(a.number("1"));
        CHECK(std::isnan(as_double<T>(g(0, 0))));
        CHECK(std::isfinite(as_double<T>(g(0, 1))));
        CHECK(std::isfinite(as_double<T>(g(0, 2))));

        for (const char* infinity : {"inf", "-inf"}) {
            INFO("logit " << infinity);
            loss->forward(matrix_of(a, 1, 3, {infinity, "1", "-1"}), {t, {}}, l);
            CHECK_FALSE(std::isfinite(as_double<T>(l)));  // NaN (inf - inf) or +Inf (0 + inf)
            g = loss->backward(a.number("1"));
            // sigmoid(+-Inf) - 0.5 = +-0.5, over 3 elements
            CHECK(as_double<T>(g(0, 0)) * 3 == Approx(infinity[0] == '-' ? -0.5 : 0.5).epsilon(0.01));
        }
    });
}

TEST_CASE("cross-entropy losses do not overflow for logits of 1000", "[nn][loss]") {
    in_every_precision([]<class T>(arithmetic<T>& a) {
        auto ce = make_loss(loss_kind::softmax_cross_entropy, a);
        auto l = a.zero();
        const auto z = matrix_of(a, 1, 2, {"1000", "0"});
        const std::vector<std::int64_t> wrong{1}, right{0};
        ce->forward(z, {{}, wrong}, l);
        // 1 + e^-1000 rounds to 1 in every precision: the losses are log 1 + 1000 and log 1.
        CHECK(as_double<T>(l) == 1000);
        ce->forward(z, {{}, right}, l);
        CHECK(as_double<T>(l) == 0);

        auto bce = make_loss(loss_kind::bce_with_logits, a);
        const auto one = matrix_of(a, 1, 2, {"1", "0"});
        bce->forward(matrix_of(a, 1, 2, {"1000", "-1000"}), {one, {}}, l);
        // softplus(1000) - 1000 = 0 and softplus(-1000) = e^-1000 (0 or, in f128 and mp, 0 as a double)
        CHECK(as_double<T>(l) == 0);
        const auto g = bce->backward(a.number("1"));
        CHECK(arithmetic<T>::all_finite(g.elements()));
    });
}

TEST_CASE("an empty batch has a NaN mean loss and an empty gradient", "[nn][loss]") {
    in_every_precision([]<class T>(arithmetic<T>& a) {
        auto l = a.zero();
        const auto z = a.matrix_of(0, 3);
        auto ce = make_loss(loss_kind::softmax_cross_entropy, a);
        ce->forward(z, {{}, {}}, l);
        CHECK(std::isnan(as_double<T>(l)));
        CHECK(ce->backward(a.number("1")).size() == 0);
        auto bce = make_loss(loss_kind::bce_with_logits, a);
        bce->forward(z, {z, {}}, l);
        CHECK(std::isnan(as_double<T>(l)));
        CHECK(bce->backward(a.number("1")).size() == 0);
    });
}

TEST_CASE("a power-of-two seed scales the cross-entropy gradients exactly", "[nn][loss]") {
    in_every_precision([]<class T>(arithmetic<T>& a) {
        const auto z = matrix_of(a, 3, 2, {"0.3", "-1.2", "2.5", "0.1", "-0.7", "0.9"});
        const auto t = matrix_of(a, 3, 2, {"0.2", "1", "0", "0.7", "0.5", "0.25"});
        const std::vector<std::int64_t> labels{1, 0, 1};
        for (const loss_kind kind : {loss_kind::softmax_cross_entropy, loss_kind::bce_with_logits}) {
            INFO("loss " << loss_name(kind));
            auto loss = make_loss(kind, a);
            auto l = a.zero();
            loss->forward(z, {t, labels}, l);
            auto unscaled = a.matrix_of(z.rows(), z.cols());
            a.copy(loss->backward(a.number("1")).elements(), unscaled.elements());
            const auto scaled = loss->backward(a.number("1024"));
            for (std::size_t i = 0; i < z.size(); ++i)
                CHECK(as_double<T>(scaled.elements()[i]) == 1024 * as_double<T>(unscaled.elements()[i]));
        }
    });
}
