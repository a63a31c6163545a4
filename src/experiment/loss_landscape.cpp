#include "loss_landscape.hpp"

#include <algorithm>
#include <cmath>

#include "run_tables.hpp"

namespace gradlab::experiment {

void weight_range::include(long double w) {
    if (!std::isfinite(w)) return;
    low = std::min(low, w);
    high = std::max(high, w);
}

void write_landscape_header(std::ostream& out) { out << "variant,weight,loss\n"; }

void write_landscape_rows(std::ostream& out, const std::string& variant, gradient_oracle& oracle, step_inputs batch,
                          const weight_range& range) {
    if (range.low > range.high) return;  // no finite weight was seen
    long double span = range.high - range.low;
    if (span == 0) span = std::max(std::fabs(range.low), 1.0L) / 2;
    const long double from = range.low - span / 4, to = range.high + span / 4;
    auto& w = batch.weights.at(0).elements()[0];
    for (std::size_t k = 0; k < landscape_points; ++k) {
        const long double at = from + (to - from) * static_cast<long double>(k) / (landscape_points - 1);
        w = at;  // exact: the reference has at least long double's 64 bits
        out << variant << ',' << table_number(at, 21) << ',' << table_number(oracle.loss(batch)) << '\n';
    }
}

}  // namespace gradlab::experiment
