#include "gradlab/experiment/presets.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <stdexcept>
#include <string>

// presets() is defined in the source generated from examples/studies.

namespace gradlab::experiment {

namespace {

// Lower case, '_' read as '-': "Mixed_Precision" is "mixed-precision".
std::string normalised(std::string_view name) {
    std::string s(name);
    for (char& c : s) c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// The preset `name` most likely means: the same name spelled otherwise, or
// the only preset it abbreviates (at least 3 characters).
std::optional<std::string_view> likely_preset(std::string_view name) {
    const std::string wanted = normalised(name);
    std::optional<std::string_view> abbreviated;
    int abbreviations = 0;
    for (const preset& p : presets()) {
        if (wanted == p.name) return p.name;
        if (wanted.size() >= 3 && p.name.starts_with(wanted)) {
            abbreviated = p.name;
            ++abbreviations;
        }
    }
    return abbreviations == 1 ? abbreviated : std::nullopt;
}

}  // namespace

const preset& find_preset(std::string_view name) {
    const auto all = presets();
    const auto found = std::find_if(all.begin(), all.end(), [&](const preset& p) { return p.name == name; });
    if (found != all.end()) return *found;
    std::string message = "unknown preset '" + std::string(name) + "'";
    if (const auto likely = likely_preset(name)) message += " (did you mean '" + std::string(*likely) + "'?)";
    message += "; valid: ";
    for (const preset& p : all) message += std::string(p.name) + (&p == &all.back() ? "" : ", ");
    throw std::invalid_argument(message);
}

}  // namespace gradlab::experiment
