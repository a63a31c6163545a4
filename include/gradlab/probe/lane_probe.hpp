#pragma once
// The probe of one lane: the step observer that measures every tensor of a
// step (layer_record.hpp) when the step is recorded, and on every step
// watches for the first NaN or Inf (nonfinite_origin.hpp).
//
// Origin detection: a step computes, in order, each layer's output, the
// loss, the loss gradient, each layer's gradients (backward), then the
// update. While everything so far was finite (the weights, the batch and each
// result), the first non-finite result is the origin: its inputs were
// finite. The check is one finiteness pass per tensor; the explanation
// (element, operands, exact dot products) runs once, when it is found.
// After the origin, non-finite values show in the records' NaN and Inf counts.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "gradlab/nn/step_observer.hpp"
#include "gradlab/nn/trainer.hpp"
#include "gradlab/probe/binade_histogram.hpp"
#include "gradlab/probe/layer_record.hpp"
#include "gradlab/probe/nonfinite_origin.hpp"

namespace gradlab::probe {

// What a step measures besides watching for NaN/Inf.
struct step_measures {
    bool statistics = false;    // every tensor's statistics (records())
    bool conditioning = false;  // with statistics: each weight's spectral norm and condition
    bool histogram = false;     // every parameter gradient's binade histogram
};

template <scalar_type T>
class lane_probe final : public nn::step_observer<T> {
public:
    using value = nn::storage_t<T>;
    using view = matrix_view<const value>;

    // `optimizer` names the update op ("sgd" for "sgd_update"). The trainer
    // must outlive the probe; the probe does not register itself.
    lane_probe(nn::trainer<T>& trainer, std::string optimizer);

    // Before each step: its number and what it measures.
    void begin_step(std::size_t step, const step_measures& measures);

    // Also writes each chain-rule factor of the backward pass, as text
    // (chain_rule()): for the worked examples' tiny networks.
    void explain_chain_rule(bool on) { chain_rule_on_ = on; }
    // The last step's factors, one line each (empty unless explained).
    const std::vector<std::string>& chain_rule() const { return chain_rule_; }

    // The records of the last step (empty when it recorded nothing); the
    // runner adds the errors against the reference.
    std::vector<layer_record>& records() { return records_; }
    const std::optional<nonfinite_origin>& origin() const { return origin_; }
    // The parameters' values before the last step's update, in network order
    // (kept on recorded steps, and on every step until an origin is found).
    const std::vector<matrix<value>>& weights_before_update() const { return before_; }
    // Parameter p's gradient as the backward pass computed it, unscaled
    // (divided by the loss scale) and before clipping (network order); set
    // by recorded steps.
    std::span<const value> computed_gradient(std::size_t p) const { return computed_[p].elements(); }
    // Every parameter's gradient of the last step, together, as the backward
    // pass left it (under loss scaling: scaled); empty unless measured.
    const binade_histogram& gradient_histogram() const { return gradient_histogram_; }

    void forward_done(std::size_t i, const nn::layer<T>& l, view input, view output) override;
    void loss_done(view output, const nn::batch_targets<T>& targets, const value& loss) override;
    void loss_gradient_done(view output, const nn::batch_targets<T>& targets, view gradient) override;
    void backward_done(std::size_t i, const nn::layer<T>& l, view dy, view dx) override;
    void update_begins() override;
    void update_done(bool skipped) override;

private:
    bool finite(view x) const;
    // Starts an origin at the current step; the caller fills op and operands.
    nonfinite_origin& found(std::optional<std::size_t> layer, std::string_view layer_kind, std::string pass,
                            std::string tensor, view result);
    void explain_forward(std::size_t i, const nn::layer<T>& l, view input, view output);
    void explain_backward(std::size_t i, const nn::layer<T>& l, view dy, view dx);
    void check_parameter_gradients(std::size_t i, const nn::layer<T>& l, view dy);
    void measure_into(layer_record& record, std::span<const value> x, long double divisor = 1) const;
    void record_parameters();
    std::string text(view x) const;  // at most 8 elements, as short_text
    std::string short_text(const value& x) const;
    void explain_factors(std::size_t i, const nn::layer<T>& l, view dy, view dx);
    long double scale() const;

    nn::trainer<T>& trainer_;
    nn::arithmetic<T>& a_;
    nn::arithmetic<T> explainer_;  // a_ rounding to nearest, for the chain rule
    std::string optimizer_;
    std::size_t step_ = 0;
    bool record_ = false, conditioning_ = false, histogram_ = false;
    bool clean_ = true;          // everything this step computed so far was finite
    bool weights_finite_ = true;  // after the last update
    std::vector<view> inputs_, outputs_;  // of each layer's last forward
    bool chain_rule_on_ = false;
    std::vector<std::string> chain_rule_;
    matrix<value> derivative_;  // scratch: f'(z) for the chain rule
    std::vector<layer_record> records_;
    // Each parameter before the update, the update, and its computed gradient.
    std::vector<matrix<value>> before_, change_, computed_;
    binade_histogram gradient_histogram_;
    std::optional<nonfinite_origin> origin_;
};

}  // namespace gradlab::probe
