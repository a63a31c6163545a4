#pragma once
// Study files: the TOML form of experiment::study that `gradlab run` reads,
// one key per field of the structs in experiment/study.hpp, each optional
// but [model], with the structs' defaults. Everything is checked when the file is
// read, so a run never starts on a study it cannot finish: unknown keys (the
// closest valid one suggested), types, ranges, unknown names, missing .npy
// files, variants.
//
// Real-valued engine hyperparameters are decimal text in the structs; the
// file may give them as strings ("0.1") or numbers (0.1), and a number keeps
// the text it was written with, so 0.1 is rounded once, in each precision,
// from "0.1" and never from the binary64 nearest to it.
//
// Variants override the base's [model], [data], [init] and [training] key by
// key: tables merge, any other value (arrays included) replaces. In [model],
// `layers` and `mlp` are two spellings of one thing: a variant giving either
// replaces the base's other.

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

#include "gradlab/experiment/study.hpp"

namespace gradlab::io {

// what() names the file (or preset), the key path, what is wrong and what is valid:
//   vanishing.toml: [training.optimizer] unknown key 'learning_rat' (did you mean 'learning_rate'?)
struct study_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// The study in `toml_text`. `origin` names it in messages ("vanishing.toml",
// "preset 'vanishing'"); its stem ("vanishing", also of "preset 'vanishing'")
// is the name when the text gives none. Relative .npy paths are taken from
// `base_dir` and stored absolute and normalised. Throws study_error.
experiment::study parse_study(std::string_view toml_text, std::string_view origin,
                              const std::filesystem::path& base_dir);

// The study in `file`, named in messages as given; study_error when it cannot be read.
experiment::study read_study_file(const std::filesystem::path& file);

// The resolved study as a study file: every field written, defaults included;
// explicit layers (never the mlp shorthand); each variant as a [[variants]]
// table with its whole model, data, init and training. parse_study reads it
// back to an equal study.
std::string study_to_toml(const experiment::study& s);

}  // namespace gradlab::io
