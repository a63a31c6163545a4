#pragma once
// `gradlab run`: trains every lane of a study in lockstep and writes the run
// directory (DESIGN.md, "Outputs"; the README documents every column):
//   config.toml    the resolved study, defaults included
//   steps.csv      one row per step and lane
//   layers.csv     one row per recorded step, lane, layer and tensor
//   events.jsonl   NaN/Inf origins and their spread, vanishing, exploding,
//                  underflow, divergence, loss-scale changes
//   summary.json   per lane: final loss, first non-finite step and origin,
//                  gradient norm range, largest ULP errors
// Everything that can fail on bad input (data files, hyperparameters that
// are not numbers in some precision) fails before the directory is made.

#include <filesystem>
#include <optional>
#include <ostream>
#include <string>

#include "gradlab/experiment/study.hpp"

namespace gradlab::experiment {

struct run_options {
    std::filesystem::path out;     // empty: io::default_run_path(study name)
    std::optional<int> threads;    // OpenMP threads; unset: OpenMP's default
    bool quiet = false;            // no terminal summary, no progress
    bool progress = false;         // a progress bar on `diagnostics`
    std::ostream* terminal = nullptr;     // the summary table (unless quiet)
    std::ostream* diagnostics = nullptr;  // progress and chain-rule factors
};

// Runs the study; returns the run directory. `resolved_config` is the
// study as TOML (io::study_to_toml), written as config.toml.
std::filesystem::path run_study(const study& s, const std::string& resolved_config, const run_options& options);

}  // namespace gradlab::experiment
