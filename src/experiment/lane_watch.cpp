#include "lane_watch.hpp"

#include <cmath>

namespace gradlab::experiment {

namespace {

using probe::tensor_kind;

nlohmann::json number(long double x) {
    if (std::isfinite(x)) return static_cast<double>(x);
    return table_number(x);  // JSON has no NaN or Inf: "nan", "inf", "-inf"
}

nlohmann::json maybe(const std::optional<long double>& x) { return x ? number(*x) : nlohmann::json(nullptr); }

void keep_max(std::optional<long double>& into, long double x) {
    if (!into || x > *into || std::isnan(x)) into = x;
}

// Normwise relative error of several tensors together, from each one's.
struct combined_error {
    long double error_squares = 0, reference_squares = 0;
    std::optional<long double> max_ulp;
    void add(const probe::error_metrics& e) {
        error_squares += e.error_norm * e.error_norm;
        reference_squares += e.reference_norm * e.reference_norm;
        keep_max(max_ulp, e.max_ulp);
    }
    std::optional<long double> relative() const {
        if (!max_ulp) return std::nullopt;
        if (error_squares == 0) return 0.0L;
        return std::sqrt(error_squares) / std::sqrt(reference_squares);
    }
};

}  // namespace

nlohmann::json lane_watch::event(const char* kind, std::size_t step, const lane& l) const {
    return {{"event", kind}, {"step", step}, {"variant", l.variant()}, {"precision", l.spec().name()}};
}

step_figures lane_watch::observe(std::size_t step, std::size_t epoch, lane& l,
                                 const std::optional<long double>& reference_loss, std::vector<nlohmann::json>& events) {
    step_figures f;
    f.step = step;
    f.epoch = epoch;

    if (const auto& o = l.origin(); o && !origin_) {
        origin_ = true;
        first_nonfinite_step_ = o->step;
        auto e = event("nonfinite_origin", o->step, l);
        e["layer"] = o->layer ? nlohmann::json(*o->layer) : nlohmann::json(nullptr);
        e["layer_kind"] = o->layer_kind;
        e["op"] = o->op;
        e["pass"] = o->pass;
        e["tensor"] = o->tensor;
        e["element"] = {o->row, o->col};
        e["value"] = o->value;
        auto& operands = e["operands"] = nlohmann::json::array();
        for (const auto& x : o->operands) operands.push_back({{"name", x.name}, {"value", x.value}});
        e["explanation"] = o->explanation;
        events.push_back(std::move(e));
    }

    const auto& records = l.records();
    long double gradient_squares = 0;
    bool any_gradient = false;
    std::size_t nonfinite = 0;
    combined_error weight_drift, local_error;
    for (const auto& r : records) {
        const auto& c = r.statistics.census;
        nonfinite += c.nans + c.infinities;
        if (origin_ && c.nans + c.infinities > 0 &&
            spread_.emplace(r.layer, static_cast<int>(r.tensor), r.parameter).second) {
            auto e = event("nonfinite_spread", step, l);
            e["layer"] = r.layer;
            e["tensor"] = probe::tensor_kind_name(r.tensor);
            e["parameter"] = r.parameter;
            e["nan_count"] = c.nans;
            e["inf_count"] = c.infinities;
            events.push_back(std::move(e));
        }
        if (r.tensor == tensor_kind::weight && r.drift) weight_drift.add(*r.drift);
        if (r.tensor != tensor_kind::weight_gradient) continue;
        any_gradient = true;
        gradient_squares += r.statistics.l2_norm * r.statistics.l2_norm;
        if (r.local_error) local_error.add(*r.local_error);
        if (r.role != nn::parameter_role::weight) continue;
        if (!f.first_layer_gradient_norm) f.first_layer_gradient_norm = r.statistics.l2_norm;
        f.last_layer_gradient_norm = r.statistics.l2_norm;
        if (std::isfinite(r.statistics.l2_norm)) {
            if (!smallest_gradient_norm_ || r.statistics.l2_norm < *smallest_gradient_norm_)
                smallest_gradient_norm_ = r.statistics.l2_norm;
            keep_max(largest_gradient_norm_, r.statistics.l2_norm);
        }
        // Underflow: entries the reference has nonzero and this lane zero,
        // when measured; else every exact zero.
        // mp has no underflow: its zeros are structural (dead units).
        const long double zeros = static_cast<long double>(r.drift ? r.drift->flushed : c.zeros);
        const long double share = c.count ? zeros / static_cast<long double>(c.count) : 0;
        if (!underflow_ && l.spec().family != precision_family::mp && !l.update_skipped() &&
            share > thresholds_.underflow_fraction) {
            underflow_ = true;
            auto e = event("underflow", step, l);
            e["layer"] = r.layer;
            e["parameter"] = r.parameter;
            e["zero_fraction"] = number(share);
            e["threshold"] = thresholds_.underflow_fraction;
            e["against_reference"] = r.drift.has_value();
            events.push_back(std::move(e));
        }
    }
    if (!records.empty()) f.nonfinite_values = nonfinite;
    if (any_gradient) f.gradient_norm = std::sqrt(gradient_squares);
    f.weight_drift_max_ulp = weight_drift.max_ulp;
    f.weight_drift_relative_error = weight_drift.relative();
    f.gradient_local_max_ulp = local_error.max_ulp;
    f.gradient_local_relative_error = local_error.relative();
    if (weight_drift.max_ulp) keep_max(largest_drift_ulp_, *weight_drift.max_ulp);
    // A skipped step's gradient overflowed by design (loss scaling) and was never used.
    if (local_error.max_ulp && !l.update_skipped()) keep_max(largest_local_ulp_, *local_error.max_ulp);

    // A step loss scaling skipped had a non-finite gradient by design: no ratio events.
    if (f.first_layer_gradient_norm && f.last_layer_gradient_norm && *f.last_layer_gradient_norm > 0 &&
        !l.update_skipped()) {
        const long double ratio = *f.first_layer_gradient_norm / *f.last_layer_gradient_norm;
        const auto raise = [&](bool& raised, const char* kind, bool crossed, double threshold) {
            if (raised || !crossed) return;
            raised = true;
            auto e = event(kind, step, l);
            e["ratio"] = number(ratio);
            e["threshold"] = threshold;
            e["first_layer_gradient_norm"] = number(*f.first_layer_gradient_norm);
            e["last_layer_gradient_norm"] = number(*f.last_layer_gradient_norm);
            events.push_back(std::move(e));
        };
        raise(vanishing_, "vanishing", ratio < thresholds_.vanishing_ratio, thresholds_.vanishing_ratio);
        raise(exploding_, "exploding", ratio > thresholds_.exploding_ratio, thresholds_.exploding_ratio);
    }

    const long double loss = l.loss();
    if (!first_loss_) first_loss_ = loss;
    if (!diverged_ && (!std::isfinite(loss) || (*first_loss_ > 0 && loss > thresholds_.divergence_factor * *first_loss_))) {
        diverged_ = true;
        auto e = event("divergence", step, l);
        e["loss"] = l.loss_text();
        e["first_loss"] = number(*first_loss_);
        e["factor"] = thresholds_.divergence_factor;
        events.push_back(std::move(e));
    }
    if (reference_loss && *reference_loss != 0) f.loss_relative_drift = std::fabs(loss - *reference_loss) / std::fabs(*reference_loss);

    if (const auto scale = l.loss_scale()) {
        if (last_scale_ && *scale != *last_scale_) {
            auto e = event(*scale < *last_scale_ ? "loss_scale_backoff" : "loss_scale_growth", step, l);
            e["scale"] = number(*scale);
            e["previous_scale"] = number(*last_scale_);
            events.push_back(std::move(e));
        }
        last_scale_ = scale;
    }
    return f;
}

nlohmann::json lane_watch::summary(const lane& l) const {
    nlohmann::json s = {{"variant", l.variant()},
                        {"precision", l.spec().name()},
                        {"final_loss", l.loss_text()},
                        {"stopped", l.stopped},
                        {"skipped_steps", l.skipped_steps()},
                        {"first_nonfinite_step", first_nonfinite_step_ ? nlohmann::json(*first_nonfinite_step_)
                                                                        : nlohmann::json(nullptr)},
                        {"smallest_layer_gradient_norm", maybe(smallest_gradient_norm_)},
                        {"largest_layer_gradient_norm", maybe(largest_gradient_norm_)},
                        {"max_weight_drift_ulp", maybe(largest_drift_ulp_)},
                        {"max_gradient_local_ulp", maybe(largest_local_ulp_)},
                        {"vanishing", vanishing_},
                        {"exploding", exploding_},
                        {"underflow", underflow_},
                        {"diverged", diverged_}};
    if (const auto& o = l.origin())
        s["nonfinite_origin"] = {{"step", o->step},     {"layer", o->layer ? nlohmann::json(*o->layer) : nlohmann::json(nullptr)},
                                 {"op", o->op},         {"pass", o->pass},
                                 {"tensor", o->tensor}, {"element", {o->row, o->col}}};
    return s;
}

std::vector<std::string> lane_watch::summary_cells(const lane& l) const {
    // The terminal table is for reading: 6 significant digits (the files keep 17).
    constexpr int digits = 6;
    const auto text = [](const std::optional<long double>& x) { return x ? table_number(*x, digits) : std::string("-"); };
    std::string origin = "-";
    if (const auto& o = l.origin())
        origin = "step " + std::to_string(o->step) + ": " + o->op + " (" + o->pass +
                 (o->layer ? ", layer " + std::to_string(*o->layer) : std::string()) + ")";
    return {l.variant(),
            l.spec().name(),
            table_number(l.loss(), digits),
            origin,
            text(smallest_gradient_norm_),
            text(largest_gradient_norm_),
            text(largest_drift_ulp_),
            text(largest_local_ulp_)};
}

}  // namespace gradlab::experiment
