#pragma once
// landscape.csv: for a model with a single weight (the single-neuron preset),
// the loss as a function of that weight, L(w), on the first step's batch, at
// the reference precision; over the range every lane's weight visited, with
// a quarter of it as margin on each side. With parameters.csv (each lane's
// w and dL/dw per step) it draws where a precision stalls: once
// |learning rate x gradient| < half an ulp of w, the update rounds away.

#include <cstddef>
#include <limits>
#include <ostream>
#include <string>

#include "gradlab/experiment/lane.hpp"

namespace gradlab::experiment {

struct weight_range {
    long double low = std::numeric_limits<long double>::infinity();
    long double high = -std::numeric_limits<long double>::infinity();
    // Non-finite weights (a diverged lane) stay out of the picture.
    void include(long double w);
};

constexpr std::size_t landscape_points = 401;

void write_landscape_header(std::ostream& out);
// `batch` holds the weight to vary as its only parameter (1 x 1).
void write_landscape_rows(std::ostream& out, const std::string& variant, gradient_oracle& oracle, step_inputs batch,
                          const weight_range& range);

}  // namespace gradlab::experiment
