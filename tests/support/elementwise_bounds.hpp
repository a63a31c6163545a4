#pragma once
// The ULP-bound bookkeeping the activation tests share: a table of stated
// bounds (each with its reason), the worst error measured per function and
// precision with where it happened, and the summary printed per precision.

#include <cmath>
#include <iomanip>
#include <limits>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <mpfr.h>

#include "gradlab/platform/isa.hpp"
#include "gradlab/scalar/scalar_traits.hpp"
#include "support/elementwise_precisions.hpp"

namespace gradlab::test {

// The functions the ULP tests measure: each kind with its default parameter,
// and elu with alpha 0.5 besides.
inline std::vector<activation> tested_activations() {
    return {{activation_kind::identity}, {activation_kind::sigmoid},    {activation_kind::tanh},
            {activation_kind::relu},     {activation_kind::leaky_relu}, {activation_kind::prelu},
            {activation_kind::elu},      {activation_kind::elu, 0.5},   {activation_kind::gelu},
            {activation_kind::softplus}};
}

// "elu", or "elu(0.5)" for a parameter other than the default: the name the
// bound tables use.
inline std::string display_name(const activation& f) {
    std::string name(activation_name(f.kind));
    if (f.parameter != default_parameter(f.kind))
        name.append("(").append(std::to_string(f.parameter), 0, 3).append(")");
    return name;
}

// The first line of a precision's summary.
inline std::string summary_title(std::string_view what, const precision_under_test& p, std::size_t inputs) {
    return std::string(what) + ", " + p.name + ", " + std::to_string(inputs) + " inputs; worst ulps <= bound:\n";
}

struct ulp_bound {
    std::string_view function;
    std::string_view precision;  // fp32, fp64, f128, "mp" for every mp precision, "*" for all
    double max_ulp;
    std::string_view reason;
};

// The stated bound for a function in a precision. An emulated format carries
// fp32's over: the float result's error, in ulps of a p-bit format, shrinks
// by 2^(p - 24), and rounding it to the format adds half an ulp (none when
// the float result is exact: it is then a value of the format already).
inline ulp_bound bound_for(std::span<const ulp_bound> table, std::string_view function, const precision_under_test& p);

// A function with a parameter other than the default ("elu(0.5)") takes the
// function's own bound unless the table names it.
inline ulp_bound bound_for(std::span<const ulp_bound> table, const activation& f, const precision_under_test& p) {
    const auto named = bound_for(table, display_name(f), p);
    return named.max_ulp < std::numeric_limits<double>::infinity() ? named
                                                                   : bound_for(table, activation_name(f.kind), p);
}

inline ulp_bound bound_for(std::span<const ulp_bound> table, std::string_view function, const precision_under_test& p) {
    const auto find = [&](std::string_view precision) -> const ulp_bound* {
        for (const auto& b : table)
            if (b.function == function && b.precision == precision) return &b;
        return nullptr;
    };
    const std::string_view family = p.target.bounded ? std::string_view(p.name) : std::string_view("mp");
    if (const auto* b = find(family)) return *b;
    if (const auto* b = find("*")) return *b;
    if (const auto* b = p.emulated ? find("fp32") : nullptr) {
        if (b->max_ulp == 0) return {function, p.name, 0, "exact in float, and a value of the format"};
        const int float_bits = scalar_traits<float>::significand_bits();
        return {function, p.name, 0.5 + b->max_ulp * std::ldexp(1.0, p.target.precision - float_bits),
                "derived: 0.5 + fp32's bound x 2^(p - 24)"};
    }
    return {function, p.name, std::numeric_limits<double>::infinity(), "no bound stated"};
}

struct measured {
    double worst = 0;
    std::string where;

    void record(double error, mpfr_srcptr x, mpfr_srcptr got, mpfr_srcptr exact, isa level) {
        if (!(error > worst)) return;
        worst = error;
        char* text = nullptr;
        mpfr_asprintf(&text, "x = %.21Rg gives %.21Rg, exact %.21Rg (%s)", x, got, exact,
                      std::string(isa_name(level)).c_str());
        where = text;
        mpfr_free_str(text);
    }
};

// One line of a precision's summary: the function, the worst error seen, the
// bound asserted and a note, within Catch's 80 columns where it can.
inline std::string summary_line(std::string_view function, const measured& m, const ulp_bound& b,
                                std::string_view note = {}) {
    std::ostringstream line;
    line << std::left << std::setw(11) << function << std::setprecision(6) << std::setw(11) << m.worst
         << "<= " << std::setw(9) << b.max_ulp << note << "\n";
    return line.str();
}

}  // namespace gradlab::test
