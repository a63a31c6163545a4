#include "study_source.hpp"

#include <filesystem>
#include <stdexcept>

#include "gradlab/experiment/presets.hpp"
#include "gradlab/io/study_file.hpp"

namespace gradlab::cli {

experiment::study load_study(const std::string& file, const std::string& preset, std::string_view fallback) {
    if (!file.empty() && !preset.empty()) throw std::invalid_argument("give a study file or --preset NAME, not both");
    if (!file.empty()) return io::read_study_file(file);
    if (preset.empty() && fallback.empty()) throw std::invalid_argument("give a study file or --preset NAME");
    const auto& p = experiment::find_preset(preset.empty() ? fallback : preset);
    return io::parse_study(p.toml, "preset '" + std::string(p.name) + "'", std::filesystem::current_path());
}

}  // namespace gradlab::cli
