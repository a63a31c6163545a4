#include "gradlab/io/study_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cctype>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

#include "study_names.hpp"
#include "toml_table_reader.hpp"

namespace gradlab::io {

namespace {

using detail::field_error;
using detail::source_text;
using detail::table_reader;
using experiment::data_kind;

constexpr std::string_view layer_types = "dense, activation, batch_norm, layer_norm, residual";
constexpr std::string_view variant_sections[] = {"model", "data", "init", "training"};

// Names of studies and variants become parts of file names and table cells
// (runs/<name>-<time>/, steps.csv): no separators, quotes or spaces.
bool name_character(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == '+';
}

void check_name(const std::string& name, const std::string& path) {
    if (name.empty()) throw field_error(path + ": must not be empty");
    if (!std::all_of(name.begin(), name.end(), name_character))
        throw field_error(path + ": '" + name + "' may hold only letters, digits, '_', '-', '.' and '+'");
}

std::string element_path(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

const toml::table& table_at(const toml::array& array, std::size_t i, const std::string& path) {
    const toml::node& node = *array.get(i);
    if (const auto* t = node.as_table()) return *t;
    throw field_error(element_path(path, i) + ": expected a table, got " + std::string(detail::type_phrase(node)));
}

std::size_t required_count(const table_reader& r, std::string_view key) {
    std::size_t n = 0;
    r.require(key);
    r.read(key, n, 1);
    return n;
}

activation read_activation(const toml::node& node, const std::string& path) {
    return activation{table_reader::parse_name(node, path, parse_activation_kind)};
}

std::vector<nn::layer_spec> read_layers(const toml::array& layers, const std::string& path, const source_text& source);

nn::layer_spec read_layer(const toml::table& t, const std::string& path, const source_text& source) {
    const toml::node* type_node = t.get("type");
    if (!type_node) throw field_error(path + ".type: missing; valid: " + std::string(layer_types));
    const std::string& type = table_reader::string_of(*type_node, path + ".type");
    if (type == "dense") {
        const table_reader r(t, path, {"type", "out", "bias"}, source);
        nn::dense_spec d{required_count(r, "out")};
        r.read("bias", d.bias);
        return d;
    }
    if (type == "activation") {
        const table_reader r(t, path, {"type", "function", "parameter"}, source);
        activation f = read_activation(r.require("function"), r.path_of("function"));
        if (r.find("parameter") && !detail::takes_parameter(f.kind))
            throw field_error(r.path_of("parameter") + ": " + std::string(activation_name(f.kind)) +
                              " takes no parameter (leaky_relu, prelu and elu do)");
        r.read("parameter", f.parameter);
        return nn::activation_spec{f};
    }
    if (type == "batch_norm") {
        const table_reader r(t, path, {"type", "epsilon", "momentum", "affine"}, source);
        nn::batch_norm_spec b;
        r.read_decimal("epsilon", b.epsilon);
        r.read_decimal("momentum", b.momentum);
        r.read("affine", b.affine);
        return b;
    }
    if (type == "layer_norm") {
        const table_reader r(t, path, {"type", "epsilon", "affine"}, source);
        nn::layer_norm_spec l;
        r.read_decimal("epsilon", l.epsilon);
        r.read("affine", l.affine);
        return l;
    }
    if (type == "residual") {
        const table_reader r(t, path, {"type", "body"}, source);
        r.require("body");
        return nn::residual_spec{read_layers(*r.array("body"), r.path_of("body"), source)};
    }
    throw field_error(path + ".type: unknown layer type '" + type + "'; valid: " + std::string(layer_types));
}

std::vector<nn::layer_spec> read_layers(const toml::array& layers, const std::string& path, const source_text& source) {
    if (layers.empty()) throw field_error(path + ": must hold at least one layer");
    std::vector<nn::layer_spec> specs;
    for (std::size_t i = 0; i < layers.size(); ++i)
        specs.push_back(read_layer(table_at(layers, i, path), element_path(path, i), source));
    return specs;
}

nn::model_spec read_model(const toml::table* t, const source_text& source) {
    if (!t) throw field_error("model: missing; a study needs a [model] table with input_dim and layers or mlp");
    const table_reader r(*t, "model", {"input_dim", "layers", "mlp"}, source);
    const std::size_t input_dim = required_count(r, "input_dim");
    const toml::array* layers = r.array("layers");
    const toml::table* mlp = r.table("mlp");
    if (layers && mlp) throw field_error("model: both layers and mlp given; give one of them");
    if (layers) return {input_dim, read_layers(*layers, "model.layers", source)};
    if (!mlp) throw field_error("model: needs layers (a list of layer tables) or mlp (width, depth, activation, outputs)");
    const table_reader m(*mlp, "model.mlp", {"width", "depth", "activation", "outputs"}, source);
    const std::size_t width = required_count(m, "width"), depth = required_count(m, "depth");
    const activation hidden = read_activation(m.require("activation"), m.path_of("activation"));
    return nn::multilayer_perceptron(input_dim, width, depth, hidden, required_count(m, "outputs"));
}

// `file` (data.x or data.y) taken from base_dir when relative, normalised.
std::string resolve(const std::string& file, const std::filesystem::path& base_dir) {
    return file.empty() ? file : (base_dir / file).lexically_normal().string();
}

experiment::data_spec read_data(const toml::table* t, const std::filesystem::path& base_dir,
                                const source_text& source) {
    experiment::data_spec d;
    if (!t) return d;
    const table_reader r(*t, "data",
                         {"kind", "samples", "teacher_width", "teacher_depth", "teacher_activation", "spread", "noise",
                          "x", "y", "shuffle"},
                         source);
    r.read_name("kind", d.kind, [](std::string_view name) {
        return detail::parse_enum(name, detail::data_kinds, experiment::data_kind_name, "data kind");
    });
    r.read("samples", d.samples, 1);
    r.read("teacher_width", d.teacher_width, 1);
    r.read("teacher_depth", d.teacher_depth, 1);
    if (const auto* node = r.find("teacher_activation"))
        d.teacher_activation = read_activation(*node, r.path_of("teacher_activation"));
    r.read_decimal("spread", d.spread);
    r.read_decimal("noise", d.noise);
    r.read("x", d.x_file);
    r.read("y", d.y_file);
    r.read("shuffle", d.shuffle);
    d.x_file = resolve(d.x_file, base_dir);
    d.y_file = resolve(d.y_file, base_dir);
    if (d.kind == data_kind::npy)
        for (const auto& [key, file] : {std::pair{"x", &d.x_file}, std::pair{"y", &d.y_file}}) {
            if (file->empty())
                throw field_error(r.path_of(key) + ": missing; data.kind 'npy' reads x and y from .npy files");
            if (!std::filesystem::exists(*file))
                throw field_error(r.path_of(key) + ": file '" + *file + "' does not exist");
        }
    return d;
}

nn::init_spec read_init(const toml::table* t, const source_text& source) {
    nn::init_spec init;
    if (!t) return init;
    const table_reader r(*t, "init", {"scheme", "mode", "multiplier", "low", "high", "mean", "std", "bias"}, source);
    r.read_name("scheme", init.scheme, nn::parse_init_scheme);
    r.read_name("mode", init.mode, nn::parse_fan_mode);
    r.read_decimal("multiplier", init.multiplier);
    r.read_decimal("low", init.low);
    r.read_decimal("high", init.high);
    r.read_decimal("mean", init.mean);
    r.read_decimal("std", init.standard_deviation);
    r.read_decimal("bias", init.bias);
    return init;
}

void read_optimizer(const table_reader& training, nn::optimizer_spec& o, const source_text& source) {
    const toml::table* t = training.table("optimizer");
    if (!t) return;
    const table_reader r(*t, "training.optimizer",
                         {"kind", "learning_rate", "weight_decay", "l1", "momentum", "dampening", "nesterov", "beta1",
                          "beta2", "eps", "alpha", "centered"},
                         source);
    r.read_name("kind", o.kind, nn::parse_optimizer_kind);
    r.read_decimal("learning_rate", o.learning_rate);
    r.read_decimal("weight_decay", o.weight_decay);
    r.read_decimal("l1", o.l1);
    r.read_decimal("momentum", o.momentum);
    r.read_decimal("dampening", o.dampening);
    r.read("nesterov", o.nesterov);
    r.read_decimal("beta1", o.beta1);
    r.read_decimal("beta2", o.beta2);
    r.read_decimal("eps", o.eps);
    r.read_decimal("alpha", o.alpha);
    r.read("centered", o.centered);
}

void read_schedule(const table_reader& training, nn::schedule_spec& s, const source_text& source) {
    const toml::table* t = training.table("schedule");
    if (!t) return;
    const table_reader r(*t, "training.schedule",
                         {"kind", "step_size", "gamma", "t_max", "eta_min", "warmup_steps", "warmup_start_factor"},
                         source);
    r.read_name("kind", s.kind, nn::parse_schedule_kind);
    r.read("step_size", s.step_size, 1);
    r.read_decimal("gamma", s.gamma);
    r.read("t_max", s.t_max, 1);
    r.read_decimal("eta_min", s.eta_min);
    r.read("warmup_steps", s.warmup_steps, 0);
    r.read_decimal("warmup_start_factor", s.warmup_start_factor);
}

void read_clipping(const table_reader& training, nn::clipping_spec& c, const source_text& source) {
    const toml::table* t = training.table("clipping");
    if (!t) return;
    const table_reader r(*t, "training.clipping", {"kind", "threshold"}, source);
    r.read_name("kind", c.kind, [](std::string_view name) {
        return detail::parse_enum(name, detail::clipping_kinds, detail::clipping_name, "clipping");
    });
    r.read_decimal("threshold", c.threshold);
}

void read_loss_scaling(const table_reader& training, nn::loss_scaler_spec& l, const source_text& source) {
    const toml::table* t = training.table("loss_scaling");
    if (!t) return;
    const table_reader r(*t, "training.loss_scaling",
                         {"initial_scale", "growth_factor", "backoff_factor", "growth_interval"}, source);
    r.read_positive("initial_scale", l.initial_scale);
    r.read_positive("growth_factor", l.growth_factor);
    r.read_positive("backoff_factor", l.backoff_factor);
    r.read("growth_interval", l.growth_interval, 1);
}

void read_training(const toml::table* t, experiment::study_variant& v, const source_text& source) {
    if (!t) return;
    const table_reader r(*t, "training",
                         {"loss", "batch_size", "drop_last", "optimizer", "schedule", "clipping", "loss_scaling"},
                         source);
    r.read_name("loss", v.training.loss, nn::parse_loss_kind);
    r.read("batch_size", v.batches.batch_size, 1);
    r.read("drop_last", v.batches.drop_last);
    read_optimizer(r, v.training.optimizer, source);
    read_schedule(r, v.training.schedule, source);
    read_clipping(r, v.training.clipping, source);
    read_loss_scaling(r, v.training.loss_scaling, source);
}

// The data a kind generates must fit the model and the loss.
void check_data_fits(const experiment::study_variant& v) {
    const bool labels = v.training.loss == nn::loss_kind::softmax_cross_entropy;
    if (v.data.kind == data_kind::teacher_student && labels)
        throw field_error("training.loss: softmax_cross_entropy needs class labels; data.kind 'teacher_student' "
                          "gives real-valued targets (valid losses: mse, bce_with_logits)");
    if (v.data.kind != data_kind::two_spirals) return;
    if (v.model.input_dim != 2)
        throw field_error("model.input_dim: data.kind 'two_spirals' has 2 features, got " +
                          std::to_string(v.model.input_dim));
    const std::size_t outputs = nn::output_width(v.model.layers, v.model.input_dim);
    if (labels ? outputs < 2 : outputs != 1)
        throw field_error("model: gives " + std::to_string(outputs) + " outputs; data.kind 'two_spirals' with loss " +
                          std::string(nn::loss_name(v.training.loss)) +
                          (labels ? " needs one per class (2)" : " needs 1 (the label as a number)"));
}

experiment::study_variant read_variant(std::string name, const toml::table& root, const std::filesystem::path& base_dir,
                                       const source_text& source) {
    experiment::study_variant v;
    v.name = std::move(name);
    v.model = read_model(root.get_as<toml::table>("model"), source);
    v.data = read_data(root.get_as<toml::table>("data"), base_dir, source);
    v.init = read_init(root.get_as<toml::table>("init"), source);
    read_training(root.get_as<toml::table>("training"), v, source);
    v.batches.shuffle = v.data.shuffle;
    check_data_fits(v);
    return v;
}

// Moves every value of `overlay` into `base` (nodes keep their source
// regions when moved, not when copied): tables merge key by key, any other
// value replaces.
void merge_into(toml::table& base, toml::table& overlay) {
    for (auto&& [key, value] : overlay) {
        auto* inner = base.get_as<toml::table>(key.str());
        if (inner && value.is_table()) merge_into(*inner, *value.as_table());
        else base.insert_or_assign(key, std::move(value));
    }
}

toml::table parse_document(std::string_view text) {
    try {
        return toml::parse(text);
    } catch (const toml::parse_error& e) {
        throw field_error("TOML syntax error at line " + std::to_string(e.source().begin.line) + ", column " +
                          std::to_string(e.source().begin.column) + ": " + std::string(e.description()));
    }
}

// Variant i of the document: a fresh parse of the text, its sections merged
// with the variant's.
experiment::study_variant read_variant_at(std::size_t i, const std::string& name, std::string_view text,
                                          const std::filesystem::path& base_dir, const source_text& source) {
    toml::table root = parse_document(text);
    toml::table& overlay = *root["variants"].as_array()->get(i)->as_table();
    for (auto section : variant_sections) {
        auto* changes = overlay.get_as<toml::table>(section);
        if (!changes) continue;
        auto* base = root.get_as<toml::table>(section);
        if (!base) base = root.insert_or_assign(section, toml::table{}).first->second.as_table();
        // `layers` and `mlp` say the same thing: the variant's replaces the base's.
        if (section == "model" && changes->contains("layers")) base->erase("mlp");
        if (section == "model" && changes->contains("mlp")) base->erase("layers");
        merge_into(*base, *changes);
    }
    try {
        return read_variant(name, root, base_dir, source);
    } catch (const field_error& e) {
        throw field_error("variant '" + name + "': " + e.what());
    }
}

std::vector<experiment::study_variant> read_variants(const toml::table& root, const table_reader& r,
                                                     std::string_view text, const std::filesystem::path& base_dir,
                                                     const source_text& source) {
    const toml::array* list = r.array("variants");
    if (!list) return {read_variant("main", root, base_dir, source)};
    if (list->empty())
        throw field_error("variants: must hold at least one variant (leave it out for one variant named 'main')");
    std::vector<experiment::study_variant> variants;
    for (std::size_t i = 0; i < list->size(); ++i) {
        const std::string path = element_path("variants", i);
        const table_reader v(table_at(*list, i, "variants"), path, {"name", "model", "data", "init", "training"},
                             source);
        for (auto section : variant_sections) v.table(section);
        const std::string& name = table_reader::string_of(v.require("name"), v.path_of("name"));
        check_name(name, v.path_of("name"));
        for (std::size_t j = 0; j < variants.size(); ++j)
            if (variants[j].name == name)
                throw field_error(v.path_of("name") + ": '" + name + "' is already the name of " +
                                  element_path("variants", j));
        variants.push_back(read_variant_at(i, name, text, base_dir, source));
    }
    return variants;
}

std::uint64_t read_seed(const toml::node& node) {
    if (const auto* i = node.as_integer()) {
        if (i->get() < 0) throw field_error("seed: must be a non-negative integer, got " + std::to_string(i->get()));
        return static_cast<std::uint64_t>(i->get());
    }
    // Seeds of 2^63 and above do not fit TOML's integers: they are written as strings.
    if (const auto* s = node.as_string()) {
        const std::string& text = s->get();
        std::uint64_t seed = 0;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seed);
        if (text.empty() || error != std::errc{} || end != text.data() + text.size())
            throw field_error("seed: '" + text + "' is not an unsigned 64-bit integer");
        return seed;
    }
    throw field_error("seed: expected an integer, got " + std::string(detail::type_phrase(node)));
}

void read_precisions(const table_reader& r, experiment::study& s) {
    s.precisions = {parse_precision("fp32"), parse_precision("fp64")};
    if (const toml::array* list = r.array("precisions")) {
        if (list->empty()) throw field_error("precisions: must name at least one precision");
        s.precisions.clear();
        for (std::size_t i = 0; i < list->size(); ++i) {
            const std::string path = element_path("precisions", i);
            const precision p = table_reader::parse_name(*list->get(i), path, parse_precision);
            const auto twin = std::find(s.precisions.begin(), s.precisions.end(), p);
            if (twin != s.precisions.end())
                throw field_error(path + ": '" + p.name() + "' is listed twice (also as " +
                                  element_path("precisions", twin - s.precisions.begin()) + ")");
            s.precisions.push_back(p);
        }
    }
    if (const toml::node* node = r.find("reference")) {
        if (table_reader::string_of(*node, "reference") != "none")
            s.reference = table_reader::parse_name(*node, "reference", parse_precision);
    } else if (std::any_of(s.precisions.begin(), s.precisions.end(),
                           [](const precision& p) { return p.significand_bits() < 256; }))
        s.reference = parse_precision("mp256");
}

void read_probes(const table_reader& r, experiment::probe_spec& p, const source_text& source) {
    const toml::table* t = r.table("probes");
    if (!t) return;
    const table_reader probes(
        *t, "probes", {"interval", "conditioning_interval", "local_error_interval", "histogram_interval", "chain_rule"},
        source);
    probes.read("interval", p.interval, 0);
    probes.read("conditioning_interval", p.conditioning_interval, 0);
    probes.read("local_error_interval", p.local_error_interval, 0);
    probes.read("histogram_interval", p.histogram_interval, 0);
    probes.read("chain_rule", p.chain_rule);
}

void read_events(const table_reader& r, experiment::event_thresholds& e, const source_text& source) {
    const toml::table* t = r.table("events");
    if (!t) return;
    const table_reader events(
        *t, "events", {"vanishing_ratio", "exploding_ratio", "underflow_fraction", "divergence_factor"}, source);
    events.read_positive("vanishing_ratio", e.vanishing_ratio);
    events.read_positive("exploding_ratio", e.exploding_ratio);
    events.read_positive("underflow_fraction", e.underflow_fraction);
    events.read_positive("divergence_factor", e.divergence_factor);
}

// "vanishing" for "vanishing.toml", "runs/vanishing.toml" and "preset 'vanishing'";
// characters a name may not hold become '_'.
std::string name_of_origin(std::string_view origin) {
    constexpr std::string_view preset = "preset '";
    std::string name = origin.size() > preset.size() && origin.starts_with(preset) && origin.ends_with('\'')
                           ? std::string(origin.substr(preset.size(), origin.size() - preset.size() - 1))
                           : std::filesystem::path(origin).stem().string();
    std::replace_if(name.begin(), name.end(), [](char c) { return !name_character(c); }, '_');
    return name;
}

experiment::study read_study(std::string_view text, std::string_view origin, const std::filesystem::path& base_dir) {
    const toml::table root = parse_document(text);
    const source_text source(text);
    const table_reader r(root, "",
                         {"name", "description", "seed", "steps", "epochs", "precisions", "reference", "on_nonfinite",
                          "model", "data", "init", "training", "probes", "events", "variants"},
                         source);
    for (auto section : variant_sections) r.table(section);
    experiment::study s;
    if (const std::string name = name_of_origin(origin); !name.empty()) s.name = name;
    r.read("name", s.name);
    check_name(s.name, "name");
    r.read("description", s.description);
    if (const toml::node* seed = r.find("seed")) s.seed = read_seed(*seed);
    if (r.find("steps") && r.find("epochs"))
        throw field_error("steps and epochs: both given; give one of them (epochs sets steps to epochs x batches)");
    r.read("steps", s.steps, 1);
    if (r.find("epochs")) r.read("epochs", s.epochs.emplace(), 1);
    read_precisions(r, s);
    r.read_name("on_nonfinite", s.on_nonfinite, [](std::string_view name) {
        return detail::parse_enum(name, detail::nonfinite_policies, experiment::nonfinite_policy_name,
                                  "on_nonfinite policy");
    });
    read_probes(r, s.probes, source);
    read_events(r, s.events, source);
    s.variants = read_variants(root, r, text, std::filesystem::absolute(base_dir), source);
    return s;
}

}  // namespace

experiment::study parse_study(std::string_view toml_text, std::string_view origin,
                              const std::filesystem::path& base_dir) {
    try {
        return read_study(toml_text, origin, base_dir);
    } catch (const field_error& e) {
        throw study_error(std::string(origin) + ": " + e.what());
    }
}

experiment::study read_study_file(const std::filesystem::path& file) {
    const auto fail = [&](int error) {
        throw study_error("cannot read study file '" + file.string() + "': " + std::strerror(error));
    };
    std::error_code ec;
    if (std::filesystem::is_directory(file, ec)) fail(EISDIR);
    std::ifstream in(file, std::ios::binary);
    if (!in) fail(errno);
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) fail(errno);
    const std::filesystem::path dir = file.parent_path();
    return parse_study(text.str(), file.string(), dir.empty() ? std::filesystem::path(".") : dir);
}

}  // namespace gradlab::io
