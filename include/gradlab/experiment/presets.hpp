#pragma once
// The built-in studies: the files of examples/studies, embedded in the library
// at build time (scripts/embed_presets.py writes their text into a generated
// source, which also defines presets()), so the files are the only source.
// `gradlab presets` lists them; `gradlab presets --show NAME` prints one.

#include <span>
#include <string_view>

namespace gradlab::experiment {

struct preset {
    std::string_view name;         // the file's stem: "vanishing"
    std::string_view description;  // its `description = "..."` line
    std::string_view toml;         // the whole file, byte for byte
};

// Every preset, in a fixed order, the default first.
std::span<const preset> presets();

// The preset named `name`. Throws std::invalid_argument naming the valid ones
// (and the likely one when `name` is a different spelling or a prefix of it).
const preset& find_preset(std::string_view name);

// What `gradlab run` runs when given no study.
inline constexpr std::string_view default_preset = "vanishing";

}  // namespace gradlab::experiment
