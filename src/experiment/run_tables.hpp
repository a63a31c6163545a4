#pragma once
// The rows of steps.csv and layers.csv (columns documented in the README).

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "gradlab/experiment/lane.hpp"

namespace gradlab::experiment {

// What steps.csv says of a lane's step beyond what the lane holds.
struct step_figures {
    std::size_t step = 0, epoch = 0;
    std::optional<long double> gradient_norm, first_layer_gradient_norm, last_layer_gradient_norm;
    std::optional<std::size_t> nonfinite_values;
    std::optional<long double> loss_relative_drift;
    std::optional<long double> weight_drift_max_ulp, weight_drift_relative_error;
    std::optional<long double> gradient_local_max_ulp, gradient_local_relative_error;
};

void write_steps_header(std::ostream& out);
void write_steps_row(std::ostream& out, const lane& l, const step_figures& f);

void write_layers_header(std::ostream& out);
void write_layers_row(std::ostream& out, std::size_t step, const lane& l, const probe::layer_record& r);

// gradient_histograms.csv: every parameter's gradient by binade, per recorded step and lane.
void write_histogram_header(std::ostream& out);
void write_histogram_rows(std::ostream& out, std::size_t step, const lane& l);

// parameters.csv (tiny models): each parameter entry and its gradient, per recorded step and lane.
void write_parameters_header(std::ostream& out);
void write_parameters_rows(std::ostream& out, std::size_t step, const lane& l,
                           const std::vector<parameter_entry>& entries);

// A number as the tables write it: 17 significant digits (or `digits`), "nan", "inf", "-inf".
std::string table_number(long double x, int digits = 17);

}  // namespace gradlab::experiment
