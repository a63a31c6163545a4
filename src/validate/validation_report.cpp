#include "gradlab/validate/validation_report.hpp"

#include <cmath>
#include <cstdlib>
#include <stdexcept>

#include "gradlab/probe/error_metrics.hpp"

namespace gradlab::validate {

namespace {

long double by_metric(const tensor_comparison& t, metric m, const probe::ulp_scale& dtype) {
    switch (m) {
        case metric::scaled: return t.scaled_ulp;
        case metric::elementwise: return t.max_ulp;
        case metric::normwise: return t.normwise_relative / std::ldexp(1.0L, 1 - dtype.precision);
    }
    return t.scaled_ulp;
}

}  // namespace

std::string_view metric_name(metric m) {
    switch (m) {
        case metric::scaled: return "scaled";
        case metric::elementwise: return "elementwise";
        case metric::normwise: return "normwise";
    }
    return "scaled";
}

metric parse_metric(std::string_view name) {
    for (const metric m : {metric::scaled, metric::elementwise, metric::normwise})
        if (name == metric_name(m)) return m;
    throw std::invalid_argument("--metric: unknown metric '" + std::string(name) +
                                "' (valid: scaled, elementwise, normwise)");
}

bool validation_report::passed() const {
    if (!loss.within) return false;
    for (const auto& t : tensors)
        if (!t.within) return false;
    return true;
}

validation_report validate_case(const validation_case& c, const precision& reference, const reference_gradients& ref,
                                metric chosen, long double tolerance_ulp) {
    if (!(tolerance_ulp >= 0)) throw std::invalid_argument("--tolerance-ulp must be a number >= 0");
    const precision dtype = parse_precision(c.dtype == io::npy_dtype::f4 ? "fp32" : "fp64");
    const auto grid = probe::ulp_scale_of(dtype);
    const auto own = compute_in_dtype(c);

    validation_report report{dtype.name(), reference, chosen, tolerance_ulp, {}, {}};
    for (std::size_t p = 0; p < c.gradients.size(); ++p) {
        const auto& given = c.gradients[p];
        const auto r = ref.gradients[p].elements();
        auto& v = report.tensors.emplace_back();
        v.name = given.name;
        v.shape = given.shape;
        v.given = compare_tensor(given.values, r, grid);
        v.gradlab = compare_tensor(own.gradients[p], r, grid);
        v.given_error = by_metric(v.given, chosen, grid);
        v.gradlab_error = by_metric(v.gradlab, chosen, grid);
        v.beyond = chosen == metric::elementwise ? v.given.beyond_elementwise(tolerance_ulp)
                                                 : v.given.beyond_scaled(tolerance_ulp);
        v.worst = chosen == metric::elementwise ? v.given.worst_elementwise : v.given.worst_absolute;
        if (!given.values.empty()) {
            v.worst_value = given.values[v.worst];
            v.worst_reference = r[v.worst];
        }
        v.within = v.given_error <= tolerance_ulp;  // NaN: not within
    }
    auto& loss = report.loss;
    loss.reference = ref.loss;
    loss.gradlab_ulp = loss_ulp_error(own.loss, ref.loss, grid);
    if (c.loss_text) {
        loss.given_text = c.loss_text;
        loss.given_ulp = loss_ulp_error(std::strtod(c.loss_text->c_str(), nullptr), ref.loss, grid);
        loss.within = *loss.given_ulp <= tolerance_ulp;
    }
    return report;
}

}  // namespace gradlab::validate
