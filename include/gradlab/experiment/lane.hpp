#pragma once
// A lane: one variant of a study trained in one precision, with its probe.
// The runner (runner.hpp) keeps the lanes of a variant in lockstep: the same
// initial weights (computed once in MPFR and rounded once into each
// precision), the same data (likewise) and the same batches.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "gradlab/experiment/study.hpp"
#include "gradlab/probe/binade_histogram.hpp"
#include "gradlab/probe/lane_probe.hpp"
#include "gradlab/probe/layer_record.hpp"
#include "gradlab/probe/nonfinite_origin.hpp"

namespace gradlab::experiment {

// The reference side of an error measurement: the reference lane's
// parameters and their gradients (network order), as MPFR values.
struct reference_tensors {
    std::vector<std::span<const mp_float>> weights, gradients;
};

// One entry of a parameter on a recorded step (parameters.csv, for tiny
// models): its value before the step's update and its gradient (unscaled,
// before clipping), as decimals that read back exactly.
struct parameter_entry {
    std::string parameter;
    std::size_t index = 0;
    std::string value, gradient;
    long double value_number = 0;
};

// What the gradient oracle needs to recompute a lane's step at high
// precision: the weights the lane's gradients were computed from, and the
// batch, each value exactly as the lane held it.
struct step_inputs {
    std::vector<matrix<mp_float>> weights;
    matrix<mp_float> x, y;
    std::vector<std::int64_t> labels;
};

class lane {
public:
    lane(std::string variant, const precision& spec) : variant_(std::move(variant)), spec_(spec) {}
    virtual ~lane() = default;
    lane(const lane&) = delete;
    lane& operator=(const lane&) = delete;

    const std::string& variant() const { return variant_; }
    const precision& spec() const { return spec_; }

    // Step `step` (from 0) on its batch, measuring what `measures` asks.
    virtual void step(std::size_t step, const probe::step_measures& measures) = 0;

    virtual long double loss() const = 0;
    virtual std::string loss_text() const = 0;  // exact, shortest decimal
    virtual bool update_skipped() const = 0;
    virtual std::optional<long double> loss_scale() const = 0;
    virtual long double learning_rate() const = 0;
    // Steps whose update loss scaling skipped, so far.
    virtual std::size_t skipped_steps() const = 0;

    virtual std::vector<probe::layer_record>& records() = 0;
    // The last step's chain-rule factors, one per line (probes.chain_rule).
    virtual const std::vector<std::string>& chain_rule() const = 0;
    virtual const std::optional<probe::nonfinite_origin>& origin() const = 0;
    // Every parameter's gradient on the last step, by binade, as held (under
    // loss scaling: scaled); empty unless the step measured it.
    virtual const probe::binade_histogram& gradient_histogram() const = 0;
    // Every entry of every parameter on the last recorded step, in network order.
    virtual std::vector<parameter_entry> parameter_entries() const = 0;

    // An mp lane's current weights and gradients; std::logic_error for others.
    virtual reference_tensors tensors() const = 0;
    // Adds the drift (this trajectory against the reference's, same step) to
    // the records of the weights and weight gradients.
    virtual void measure_drift(const reference_tensors& reference) = 0;
    // This step's inputs, as MPFR values of `bits` (>= the lane's, so exact).
    virtual step_inputs inputs(int bits) const = 0;
    // Adds the local error (the oracle's gradients at this lane's own weights
    // and batch) to the records of the weight gradients.
    virtual void measure_local_error(const std::vector<std::span<const mp_float>>& oracle_gradients) = 0;

    bool stopped = false;  // on_nonfinite = stop_lane, after its origin

private:
    std::string variant_;
    precision spec_;
};

// The training data of a variant, made once at the study's highest
// precision; each lane rounds them once into its own.
struct variant_data {
    nn::dataset data;
    std::vector<matrix<mp_float>> initial_parameters;
};

// A variant's data and initial parameters exactly as run_study makes them:
// at the highest precision of the study's lanes (runner.cpp).
variant_data make_variant_data(const study& s, const study_variant& variant);

std::unique_ptr<lane> make_lane(const study& s, const study_variant& variant, const precision& spec,
                                const variant_data& data);

// The gradients of a variant's model at another lane's weights and batch,
// computed at the reference precision.
class gradient_oracle {
public:
    virtual ~gradient_oracle() = default;
    // Each parameter's gradient (seed 1, network order); valid until the next call.
    virtual std::vector<std::span<const mp_float>> gradients(const step_inputs& inputs) = 0;
    // The loss alone (evaluation mode).
    virtual long double loss(const step_inputs& inputs) = 0;
};

std::unique_ptr<gradient_oracle> make_gradient_oracle(const study_variant& variant, const precision& reference);

}  // namespace gradlab::experiment
