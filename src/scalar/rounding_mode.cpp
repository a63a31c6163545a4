#include "gradlab/scalar/rounding_mode.hpp"

#include <array>
#include <utility>

namespace gradlab {

namespace {
constexpr std::array<std::pair<rounding_mode, std::string_view>, 5> names{{
    {rounding_mode::nearest_even, "rn"},
    {rounding_mode::toward_zero, "rz"},
    {rounding_mode::upward, "ru"},
    {rounding_mode::downward, "rd"},
    {rounding_mode::stochastic, "sr"},
}};
}  // namespace

std::string_view short_name(rounding_mode mode) {
    for (const auto& [m, name] : names)
        if (m == mode) return name;
    return "?";
}

std::optional<rounding_mode> parse_rounding_mode(std::string_view name) {
    for (const auto& [m, n] : names)
        if (n == name) return m;
    return std::nullopt;
}

}  // namespace gradlab
