#include "gradlab/io/study_file.hpp"

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <variant>

#include "study_names.hpp"

namespace gradlab::io {

namespace {

// A TOML basic string.
std::string toml_string(std::string_view text) {
    std::string out = "\"";
    for (const char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            char escape[8];
            std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned>(c));
            out += escape;
        } else
            out += c;
    }
    return out + '"';
}

std::string boolean(bool b) { return b ? "true" : "false"; }

// The shortest decimal that reads back to x, as a TOML float ("2.0", not the integer "2").
std::string number(double x) {
    char text[32];
    std::string decimal(text, std::to_chars(text, text + sizeof text, x).ptr);
    if (decimal.find_first_of(".en") == std::string::npos) decimal += ".0";
    return decimal;
}

std::string layer_text(const nn::layer_spec& layer);

std::string layer_list(const std::vector<nn::layer_spec>& layers, std::string_view separator) {
    std::string list;
    for (const auto& l : layers) list += (list.empty() ? std::string() : std::string(separator)) + layer_text(l);
    return list;
}

struct layer_writer {
    std::string operator()(const nn::dense_spec& d) const {
        return "{ type = \"dense\", out = " + std::to_string(d.out) + ", bias = " + boolean(d.bias) + " }";
    }
    std::string operator()(const nn::activation_spec& a) const {
        const auto& f = a.function;
        return "{ type = \"activation\", function = " + toml_string(activation_name(f.kind)) +
               (detail::takes_parameter(f.kind) ? ", parameter = " + number(f.parameter) : "") + " }";
    }
    std::string operator()(const nn::batch_norm_spec& b) const {
        return "{ type = \"batch_norm\", epsilon = " + toml_string(b.epsilon) + ", momentum = " + toml_string(b.momentum) +
               ", affine = " + boolean(b.affine) + " }";
    }
    std::string operator()(const nn::layer_norm_spec& l) const {
        return "{ type = \"layer_norm\", epsilon = " + toml_string(l.epsilon) + ", affine = " + boolean(l.affine) + " }";
    }
    std::string operator()(const nn::residual_spec& r) const {
        return "{ type = \"residual\", body = [" + layer_list(r.body, ", ") + "] }";
    }
};

std::string layer_text(const nn::layer_spec& layer) { return std::visit(layer_writer{}, layer.settings); }

class toml_writer {
public:
    void table(const std::string& header) { text_ += "\n[" + header + "]\n"; }
    void array_table(const std::string& header) { text_ += "\n[[" + header + "]]\n"; }
    void put(std::string_view key, const std::string& value) { text_ += std::string(key) + " = " + value + "\n"; }
    void put(std::string_view key, std::size_t value) { put(key, std::to_string(value)); }
    std::string text() && { return std::move(text_); }

private:
    std::string text_;
};

void write_variant(toml_writer& w, const experiment::study_variant& v) {
    w.array_table("variants");
    w.put("name", toml_string(v.name));

    w.table("variants.model");
    w.put("input_dim", v.model.input_dim);
    w.put("layers", v.model.layers.empty() ? "[]" : "[\n  " + layer_list(v.model.layers, ",\n  ") + ",\n]");

    const auto& d = v.data;
    w.table("variants.data");
    w.put("kind", toml_string(experiment::data_kind_name(d.kind)));
    w.put("samples", d.samples);
    w.put("teacher_width", d.teacher_width);
    w.put("teacher_depth", d.teacher_depth);
    w.put("teacher_activation", toml_string(activation_name(d.teacher_activation.kind)));
    w.put("spread", toml_string(d.spread));
    w.put("noise", toml_string(d.noise));
    w.put("x", toml_string(d.x_file));
    w.put("y", toml_string(d.y_file));
    w.put("shuffle", boolean(d.shuffle));

    const auto& i = v.init;
    w.table("variants.init");
    w.put("scheme", toml_string(nn::init_scheme_name(i.scheme)));
    w.put("mode", toml_string(nn::fan_mode_name(i.mode)));
    w.put("multiplier", toml_string(i.multiplier));
    w.put("low", toml_string(i.low));
    w.put("high", toml_string(i.high));
    w.put("mean", toml_string(i.mean));
    w.put("std", toml_string(i.standard_deviation));
    w.put("bias", toml_string(i.bias));

    const auto& t = v.training;
    w.table("variants.training");
    w.put("loss", toml_string(nn::loss_name(t.loss)));
    w.put("batch_size", v.batches.batch_size);
    w.put("drop_last", boolean(v.batches.drop_last));

    const auto& o = t.optimizer;
    w.table("variants.training.optimizer");
    w.put("kind", toml_string(nn::optimizer_name(o.kind)));
    w.put("learning_rate", toml_string(o.learning_rate));
    w.put("weight_decay", toml_string(o.weight_decay));
    w.put("l1", toml_string(o.l1));
    w.put("momentum", toml_string(o.momentum));
    w.put("dampening", toml_string(o.dampening));
    w.put("nesterov", boolean(o.nesterov));
    w.put("beta1", toml_string(o.beta1));
    w.put("beta2", toml_string(o.beta2));
    w.put("eps", toml_string(o.eps));
    w.put("alpha", toml_string(o.alpha));
    w.put("centered", boolean(o.centered));

    const auto& s = t.schedule;
    w.table("variants.training.schedule");
    w.put("kind", toml_string(nn::schedule_name(s.kind)));
    w.put("step_size", s.step_size);
    w.put("gamma", toml_string(s.gamma));
    w.put("t_max", s.t_max);
    w.put("eta_min", toml_string(s.eta_min));
    w.put("warmup_steps", s.warmup_steps);
    w.put("warmup_start_factor", toml_string(s.warmup_start_factor));

    w.table("variants.training.clipping");
    w.put("kind", toml_string(detail::clipping_name(t.clipping.kind)));
    w.put("threshold", toml_string(t.clipping.threshold));

    const auto& l = t.loss_scaling;
    w.table("variants.training.loss_scaling");
    w.put("initial_scale", number(l.initial_scale));
    w.put("growth_factor", number(l.growth_factor));
    w.put("backoff_factor", number(l.backoff_factor));
    w.put("growth_interval", l.growth_interval);
}

}  // namespace

std::string study_to_toml(const experiment::study& s) {
    toml_writer w;
    w.put("name", toml_string(s.name));
    w.put("description", toml_string(s.description));
    // TOML's integers are signed 64-bit: larger seeds go as strings.
    const bool seed_fits = s.seed <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    w.put("seed", seed_fits ? std::to_string(s.seed) : toml_string(std::to_string(s.seed)));
    if (s.epochs) w.put("epochs", *s.epochs);
    else w.put("steps", s.steps);
    std::string precisions;
    for (const auto& p : s.precisions) precisions += (precisions.empty() ? "" : ", ") + toml_string(p.name());
    w.put("precisions", "[" + precisions + "]");
    w.put("reference", toml_string(s.reference ? s.reference->name() : "none"));
    w.put("on_nonfinite", toml_string(experiment::nonfinite_policy_name(s.on_nonfinite)));

    w.table("probes");
    w.put("interval", s.probes.interval);
    w.put("conditioning_interval", s.probes.conditioning_interval);
    w.put("local_error_interval", s.probes.local_error_interval);
    w.put("histogram_interval", s.probes.histogram_interval);
    w.put("chain_rule", boolean(s.probes.chain_rule));

    w.table("events");
    w.put("vanishing_ratio", number(s.events.vanishing_ratio));
    w.put("exploding_ratio", number(s.events.exploding_ratio));
    w.put("underflow_fraction", number(s.events.underflow_fraction));
    w.put("divergence_factor", number(s.events.divergence_factor));

    for (const auto& v : s.variants) write_variant(w, v);
    return std::move(w).text();
}

}  // namespace gradlab::io
