#pragma once
// Fixtures recorded from PyTorch by the scripts in analysis/fixtures/ and
// committed under tests/fixtures/torch/: JSON whose numbers are float64
// values written exactly, as float.hex() strings ("0x1.999999999999ap-4"),
// in nested arrays.

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gradlab::test {

inline nlohmann::json read_torch_fixture(const std::string& name) {
    const std::string path = std::string(GRADLAB_FIXTURE_DIR) + "/torch/" + name;
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open fixture " + path);
    return nlohmann::json::parse(in);
}

// One float64 from its float.hex() string.
inline double hex_double(const nlohmann::json& v) {
    const std::string text = v.get<std::string>();
    char* end = nullptr;
    const double d = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || *end != '\0') throw std::runtime_error("fixture: '" + text + "' is not a hex float");
    return d;
}

// A flat array of hex strings, or nested arrays of them flattened in row-major order.
inline std::vector<double> hex_doubles(const nlohmann::json& v) {
    std::vector<double> out;
    if (v.is_array())
        for (const auto& e : v) {
            const auto inner = hex_doubles(e);
            out.insert(out.end(), inner.begin(), inner.end());
        }
    else out.push_back(hex_double(v));
    return out;
}

}  // namespace gradlab::test
