#pragma once

#include <optional>
#include <string_view>

namespace gradlab {

enum class rounding_mode {
    nearest_even,  // IEEE default; ties go to the even neighbour
    toward_zero,
    upward,        // toward +Inf
    downward,      // toward -Inf
    stochastic,    // up with probability (x - down) / (up - down): unbiased, seeded
};

// Short names as in the precision grammar: "rn", "rz", "ru", "rd", "sr".
std::string_view short_name(rounding_mode mode);
std::optional<rounding_mode> parse_rounding_mode(std::string_view name);

}  // namespace gradlab
