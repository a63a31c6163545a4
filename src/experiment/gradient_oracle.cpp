#include <stdexcept>

#include "gradlab/experiment/lane.hpp"
#include "gradlab/nn/trainer.hpp"
#include "../probe/element_reading.hpp"

namespace gradlab::experiment {

namespace {

// The variant's model at the reference precision, without an optimiser
// step: loads another lane's weights (exactly: they have fewer bits) and
// computes the gradients of its batch.
class mp_gradient_oracle final : public gradient_oracle {
public:
    mp_gradient_oracle(const study_variant& variant, const precision& reference)
        : a_(reference), trainer_(variant.model, variant.training, a_) {}

    std::vector<std::span<const mp_float>> gradients(const step_inputs& in) override {
        trainer_.load(in.weights);
        trainer_.compute_gradients(in.x.view(), {in.y.view(), in.labels});
        std::vector<std::span<const mp_float>> out;
        for (const auto* p : trainer_.model().parameters()) out.push_back(p->gradient.elements());
        return out;
    }

    long double loss(const step_inputs& in) override {
        trainer_.load(in.weights);
        return probe::detail::to_long_double(trainer_.evaluate(in.x.view(), {in.y.view(), in.labels}));
    }

private:
    nn::arithmetic<mp_float> a_;
    nn::trainer<mp_float> trainer_;
};

}  // namespace

std::unique_ptr<gradient_oracle> make_gradient_oracle(const study_variant& variant, const precision& reference) {
    if (reference.family != precision_family::mp)
        throw std::invalid_argument("reference: " + reference.name() + " is not an mp precision (mp<bits>)");
    return std::make_unique<mp_gradient_oracle>(variant, reference);
}

}  // namespace gradlab::experiment
