#pragma once
// Enumerations named in study files: one table of (value, name) pairs each,
// read both ways.

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace gradlab::nn::detail {

template <class E, std::size_t N>
std::string_view name_in(const std::pair<E, std::string_view> (&table)[N], E value) {
    for (const auto& [v, name] : table)
        if (v == value) return name;
    return "unknown";
}

// Throws std::invalid_argument naming `what` and listing the valid names.
template <class E, std::size_t N>
E parse_name_in(const std::pair<E, std::string_view> (&table)[N], std::string_view name, std::string_view what) {
    std::string valid;
    for (const auto& [v, n] : table) {
        if (n == name) return v;
        valid += (valid.empty() ? "" : ", ") + std::string(n);
    }
    throw std::invalid_argument("unknown " + std::string(what) + " '" + std::string(name) + "'; valid: " + valid);
}

}  // namespace gradlab::nn::detail
