#include "run_tables.hpp"

#include <cmath>
#include <cstdio>

namespace gradlab::experiment {

namespace {

std::string cell(const std::optional<long double>& x) { return x ? table_number(*x) : ""; }
std::string cell(const std::optional<std::size_t>& x) { return x ? std::to_string(*x) : ""; }

long double fraction(std::size_t part, std::size_t whole) {
    return whole ? static_cast<long double>(part) / static_cast<long double>(whole) : 0.0L;
}

// Variant and precision names hold no commas or quotes (the study parser's
// names and precision grammar), so no cell needs quoting.
void lane_cells(std::ostream& out, const lane& l) { out << l.variant() << ',' << l.spec().name(); }

}  // namespace

std::string table_number(long double x, int digits) {
    if (std::isnan(x)) return "nan";
    if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
    char text[48];
    std::snprintf(text, sizeof text, "%.*Lg", digits, x);
    return text;
}

void write_steps_header(std::ostream& out) {
    out << "step,epoch,variant,precision,loss,loss_scale,update_skipped,learning_rate,gradient_norm,"
           "first_layer_gradient_norm,last_layer_gradient_norm,gradient_norm_ratio,nonfinite_values,"
           "loss_relative_drift,weight_drift_max_ulp,weight_drift_relative_error,gradient_local_max_ulp,"
           "gradient_local_relative_error\n";
}

void write_steps_row(std::ostream& out, const lane& l, const step_figures& f) {
    std::optional<long double> ratio;
    if (f.first_layer_gradient_norm && f.last_layer_gradient_norm)
        ratio = *f.first_layer_gradient_norm / *f.last_layer_gradient_norm;
    out << f.step << ',' << f.epoch << ',';
    lane_cells(out, l);
    out << ',' << l.loss_text() << ',' << cell(l.loss_scale()) << ',' << (l.update_skipped() ? 1 : 0) << ','
        << table_number(l.learning_rate()) << ',' << cell(f.gradient_norm) << ','
        << cell(f.first_layer_gradient_norm) << ',' << cell(f.last_layer_gradient_norm) << ',' << cell(ratio) << ','
        << cell(f.nonfinite_values) << ',' << cell(f.loss_relative_drift) << ',' << cell(f.weight_drift_max_ulp)
        << ',' << cell(f.weight_drift_relative_error) << ',' << cell(f.gradient_local_max_ulp) << ','
        << cell(f.gradient_local_relative_error) << '\n';
}

void write_layers_header(std::ostream& out) {
    out << "step,variant,precision,layer,layer_kind,tensor,parameter,count,l2_norm,max_abs,min_nonzero_abs,"
           "zero_fraction,subnormal_fraction,nan_count,inf_count,saturation_fraction,spectral_norm,"
           "condition_number,drift_relative_error,drift_max_ulp,drift_median_ulp,drift_cosine,"
           "local_relative_error,local_max_ulp,local_median_ulp,local_cosine\n";
}

void write_layers_row(std::ostream& out, std::size_t step, const lane& l, const probe::layer_record& r) {
    const auto& s = r.statistics;
    const auto& c = s.census;
    const bool has_nonzero = c.count > c.zeros + c.nans;
    out << step << ',';
    lane_cells(out, l);
    out << ',' << r.layer << ',' << r.layer_kind << ',' << probe::tensor_kind_name(r.tensor) << ',' << r.parameter
        << ',' << c.count << ',' << table_number(s.l2_norm) << ',' << table_number(s.max_abs) << ','
        << (has_nonzero ? table_number(s.min_nonzero_abs) : "") << ',' << table_number(fraction(c.zeros, c.count))
        << ',' << table_number(fraction(c.subnormals, c.count)) << ',' << c.nans << ',' << c.infinities << ','
        << (s.saturated ? table_number(fraction(*s.saturated, c.count)) : "") << ',';
    if (r.spectrum)
        out << table_number(r.spectrum->spectral_norm) << ','
            << (r.spectrum->condition_number ? table_number(*r.spectrum->condition_number) : "");
    else
        out << ',';
    for (const auto* e : {&r.drift, &r.local_error}) {
        if (*e)
            out << ',' << table_number((*e)->relative_error) << ',' << table_number((*e)->max_ulp) << ','
                << table_number((*e)->median_ulp) << ',' << table_number((*e)->cosine);
        else
            out << ",,,,";
    }
    out << '\n';
}

void write_histogram_header(std::ostream& out) {
    out << "step,variant,precision,loss_scale,value_class,binade,count\n";
}

void write_histogram_rows(std::ostream& out, std::size_t step, const lane& l) {
    const auto& h = l.gradient_histogram();
    const auto row = [&](std::string_view value_class, const std::string& binade, std::size_t count) {
        if (count == 0) return;
        out << step << ',';
        lane_cells(out, l);
        out << ',' << cell(l.loss_scale()) << ',' << value_class << ',' << binade << ',' << count << '\n';
    };
    for (const auto& [e, count] : h.binades) row("finite", std::to_string(e), count);
    row("zero", "", h.zeros);
    row("inf", "", h.infinities);
    row("nan", "", h.nans);
}

void write_parameters_header(std::ostream& out) { out << "step,variant,precision,parameter,index,value,gradient\n"; }

void write_parameters_rows(std::ostream& out, std::size_t step, const lane& l,
                           const std::vector<parameter_entry>& entries) {
    for (const auto& e : entries) {
        out << step << ',';
        lane_cells(out, l);
        out << ',' << e.parameter << ',' << e.index << ',' << e.value << ',' << e.gradient << '\n';
    }
}

}  // namespace gradlab::experiment
