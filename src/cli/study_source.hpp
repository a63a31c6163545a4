#pragma once
// The study a command works on: a study file or a built-in preset.

#include <string>
#include <string_view>

#include "gradlab/experiment/study.hpp"

namespace gradlab::cli {

// From `file` or the preset named `preset` (not both). When neither is
// given: the preset `fallback`, or, when it is empty, an error asking for one.
experiment::study load_study(const std::string& file, const std::string& preset, std::string_view fallback);

}  // namespace gradlab::cli
