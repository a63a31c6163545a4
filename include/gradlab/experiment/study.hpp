#pragma once
// A study: what `gradlab run` trains, side by side. Read from a study file
// (io/study_file.hpp) or a built-in preset (experiment/presets.hpp); every
// field has the default written here, and the run writes the resolved study
// back (config.toml), defaults included.
//
// Lanes: every variant is trained in every precision, each (variant,
// precision) pair a lane; all lanes of a variant start from the same initial
// weights and see the same batches, in lockstep. A variant overrides the
// base study's model, data, init and training sections (presets "vanishing":
// sigmoid and tanh; "remedies": He init, BatchNorm, residual, clipping).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gradlab/nn/batches.hpp"
#include "gradlab/nn/dataset.hpp"
#include "gradlab/nn/init.hpp"
#include "gradlab/nn/model_spec.hpp"
#include "gradlab/nn/trainer.hpp"
#include "gradlab/scalar/precision.hpp"

namespace gradlab::experiment {

enum class data_kind { teacher_student, gaussian_blobs, two_spirals, npy };

struct data_spec {
    data_kind kind = data_kind::teacher_student;
    std::size_t samples = 256;
    // teacher_student (input and output widths are the model's)
    std::size_t teacher_width = 16;
    std::size_t teacher_depth = 1;
    activation teacher_activation{activation_kind::tanh};
    // gaussian_blobs (classes = the model's output width)
    std::string spread = "0.5";
    // two_spirals
    std::string noise = "0.05";
    // npy: float32 or float64 .npy files, x of shape (samples, input_dim), y
    // (samples, outputs), or for softmax_cross_entropy int64 labels (samples,)
    // as y. Absolute, or relative to the study file's directory once resolved.
    std::string x_file, y_file;
    bool shuffle = true;  // false: every epoch visits the samples in file order
    bool operator==(const data_spec&) const = default;
};

struct study_variant {
    std::string name = "main";
    nn::model_spec model;
    data_spec data;
    nn::init_spec init;
    nn::training_spec training;
    nn::batch_options batches;
    bool operator==(const study_variant&) const = default;
};

// What the probes record and how often. Intervals count steps; 0 is never.
struct probe_spec {
    std::size_t interval = 1;                // per-layer statistics (layers.csv)
    std::size_t conditioning_interval = 10;  // spectral norm and condition of each weight
    std::size_t local_error_interval = 10;   // reference gradient at each lane's own weights
    std::size_t histogram_interval = 10;     // every gradient by binade (gradient_histograms.csv)
    bool chain_rule = false;                 // print each chain-rule factor (tiny networks)
    bool operator==(const probe_spec&) const = default;
};

// Thresholds of events.jsonl's events, each reported once per lane (the first time).
struct event_thresholds {
    double vanishing_ratio = 1e-4;   // first-layer / last-layer weight gradient norm below
    double exploding_ratio = 1e4;    // ... above
    double underflow_fraction = 0.5; // share of a weight gradient's entries exactly zero above
    double divergence_factor = 1e3;  // loss above this times the first step's loss
    bool operator==(const event_thresholds&) const = default;
};

// What a lane does once a value has become NaN or Inf.
enum class nonfinite_policy { continue_training, stop_lane, stop_run };

struct study {
    std::string name = "study";
    std::string description;
    std::uint64_t seed = 0;
    std::size_t steps = 100;            // when epochs is set: epochs x batches per epoch
    std::optional<std::size_t> epochs;  // set: steps is derived from it
    std::vector<precision> precisions;  // in the order given; default fp32, fp64
    // The precision errors are measured against; by default mp256 when any
    // listed precision has fewer bits, else none.
    std::optional<precision> reference;
    nonfinite_policy on_nonfinite = nonfinite_policy::continue_training;
    probe_spec probes;
    event_thresholds events;
    std::vector<study_variant> variants;  // at least one
    bool operator==(const study&) const = default;
};

std::string_view data_kind_name(data_kind kind);
std::string_view nonfinite_policy_name(nonfinite_policy policy);

}  // namespace gradlab::experiment
