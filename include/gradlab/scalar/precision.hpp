#pragma once
// A precision as a run names it (DESIGN.md, "Precisions"):
//
//   name      := base [ "/" mode ] { "+" option }
//   base      := fp32 | fp64 | f128 | mp<bits> | fp16 | bf16 | fp8e4m3 | fp8e5m2
//              | custom:p=<p>,emax=<emax>
//   mode      := rn | rz | ru | rd | sr          (emulated formats)
//   option    := acc32 | master32 | ftz          (emulated formats)
//              | ls                              (emulated formats and fp32)

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "gradlab/scalar/float_format.hpp"
#include "gradlab/scalar/rounding_mode.hpp"

namespace gradlab {

enum class precision_family { fp32, fp64, f128, mp, emulated };

struct precision {
    precision_family family = precision_family::fp64;
    int mp_bits = 0;                     // mp: MPFR significand bits
    std::optional<float_format> format;  // fp32, fp64 and emulated: the format
    rounding_mode rounding = rounding_mode::nearest_even;
    bool accumulate_fp32 = false;  // +acc32: GEMM products and sums in fp32, rounded once
    bool master_fp32 = false;      // +master32: fp32 master weights
    bool loss_scaling = false;     // +ls: dynamic loss scaling

    // Significand bits, the implicit bit included (24, 53, 113, mp_bits, p).
    int significand_bits() const;
    // The canonical spelling, which parse_precision() reads back.
    std::string name() const;
    bool operator==(const precision&) const = default;
};

// Thrown for a malformed or unknown name; what() names the culprit and lists
// what is valid.
struct precision_error : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

precision parse_precision(std::string_view name);

// One line per base name and suffix, for --help, `gradlab info` and errors.
std::string precision_grammar();

}  // namespace gradlab
