#include "gradlab/experiment/runner.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iomanip>
#include <stdexcept>

#include <nlohmann/json.hpp>
#include <omp.h>

#include "gradlab/experiment/lane.hpp"
#include "gradlab/io/npy_dataset.hpp"
#include "gradlab/io/run_directory.hpp"
#include "gradlab/io/text_table.hpp"
#include "gradlab/nn/network.hpp"
#include "lane_watch.hpp"
#include "loss_landscape.hpp"
#include "run_tables.hpp"

namespace gradlab::experiment {

namespace {

// The precisions every variant trains in: the study's, then the reference
// when it is not one of them.
std::vector<precision> lane_precisions(const study& s) {
    auto out = s.precisions;
    if (s.reference && std::find(out.begin(), out.end(), *s.reference) == out.end()) out.push_back(*s.reference);
    return out;
}

// DESIGN.md: data and initial weights are made once, at the run's highest precision.
int highest_bits(const std::vector<precision>& precisions) {
    int bits = 2;
    for (const auto& p : precisions) bits = std::max(bits, p.significand_bits());
    return bits;
}

nn::dataset make_data(const study_variant& v, std::uint64_t seed, int bits) {
    const auto& d = v.data;
    const std::size_t inputs = v.model.input_dim;
    const std::size_t outputs = nn::output_width(v.model.layers, inputs);
    nn::dataset data;
    switch (d.kind) {
        case data_kind::teacher_student:
            data = nn::teacher_student({d.samples, inputs, outputs, d.teacher_width, d.teacher_depth,
                                        d.teacher_activation},
                                       seed, bits);
            break;
        case data_kind::gaussian_blobs:
            data = nn::gaussian_blobs(d.samples, inputs, outputs, d.spread, seed, bits);
            break;
        case data_kind::two_spirals:
            if (inputs != 2)
                throw std::invalid_argument("variant '" + v.name + "': two_spirals data have 2 features, the model's input_dim is " +
                                            std::to_string(inputs));
            data = nn::two_spirals(d.samples, d.noise, seed, bits);
            break;
        case data_kind::npy: data = io::read_dataset(d.x_file, d.y_file, bits); break;
    }
    if (data.x.cols() != inputs)
        throw std::invalid_argument("variant '" + v.name + "': the data have " + std::to_string(data.x.cols()) +
                                    " features, the model's input_dim is " + std::to_string(inputs));
    if (v.training.loss == nn::loss_kind::softmax_cross_entropy && data.labels.empty())
        throw std::invalid_argument("variant '" + v.name + "': softmax_cross_entropy needs class labels (" +
                                    std::string(data_kind_name(d.kind)) + " data have none)");
    if (v.training.loss != nn::loss_kind::softmax_cross_entropy && data.y.cols() != outputs)
        throw std::invalid_argument("variant '" + v.name + "': the targets have " + std::to_string(data.y.cols()) +
                                    " columns, the model has " + std::to_string(outputs) + " outputs");
    return data;
}

variant_data prepare(const study_variant& v, std::uint64_t seed, int bits) {
    variant_data out{make_data(v, seed, bits), {}};
    nn::arithmetic<double> layout_arithmetic(parse_precision("fp64"));
    const nn::network<double> layout(v.model, layout_arithmetic);
    out.initial_parameters = nn::initial_parameters(nn::parameter_layouts(layout), v.init, seed, bits);
    return out;
}

// parameters.csv lists every parameter entry of models with at most this many.
constexpr std::size_t tiny_model_entries = 64;

std::size_t parameter_entries(const variant_data& d) {
    std::size_t n = 0;
    for (const auto& p : d.initial_parameters) n += p.elements().size();
    return n;
}

// What the loss landscape of a one-weight model is computed in: the
// reference, else (no lane has fewer bits than mp256) the widest mp lane.
precision landscape_precision(const study& s, int highest) {
    if (s.reference) return *s.reference;
    return parse_precision("mp" + std::to_string(std::max(highest, 256)));
}

struct variant_lanes {
    variant_data data;
    std::vector<std::unique_ptr<lane>> lanes;
    std::vector<lane_watch> watches;
    lane* reference = nullptr;
    lane* widest = nullptr;  // the lane with the most significand bits
    std::unique_ptr<gradient_oracle> oracle;
    std::size_t steps_per_epoch = 1;
    std::size_t entries = 0;  // parameter entries of the model
    // One-weight models: the first recorded batch and the weights visited.
    std::optional<step_inputs> landscape_batch;
    weight_range visited;
};

// The chain-rule factors of the first steps go to the terminal too; all of them to chain_rule.txt.
constexpr std::size_t shown_chain_rule_steps = 2;

void write_chain_rule(std::ostream& file, std::ostream* terminal, std::size_t step, const lane& l) {
    const std::string heading = "step " + std::to_string(step) + ", " + l.variant() + " in " + l.spec().name() + ":\n";
    std::string body;
    for (const auto& line : l.chain_rule()) body += "  " + line + "\n";
    file << heading << body;
    if (terminal) *terminal << heading << body;
}

bool due(std::size_t interval, std::size_t step) { return interval != 0 && step % interval == 0; }

class progress_bar {
public:
    progress_bar(std::ostream* out, std::size_t total) : out_(out), total_(total), start_(clock::now()) {}
    void show(std::size_t done) {
        if (!out_ || total_ == 0) return;
        const std::size_t width = 30, filled = done * width / total_;
        const double seconds = std::chrono::duration<double>(clock::now() - start_).count();
        *out_ << "\r[" << std::string(filled, '=') << std::string(width - filled, ' ') << "] step " << done << '/'
              << total_ << "  " << std::fixed << std::setprecision(1) << seconds << " s" << std::flush;
        if (done == total_) *out_ << '\n';
    }

private:
    using clock = std::chrono::steady_clock;
    std::ostream* out_;
    std::size_t total_;
    clock::time_point start_;
};

}  // namespace

variant_data make_variant_data(const study& s, const study_variant& variant) {
    return prepare(variant, s.seed, highest_bits(lane_precisions(s)));
}

std::filesystem::path run_study(const study& s, const std::string& resolved_config, const run_options& options) {
    if (options.threads) {
        if (*options.threads < 1) throw std::invalid_argument("--threads must be at least 1");
        omp_set_num_threads(*options.threads);
    }
    if (s.variants.empty()) throw std::invalid_argument("study '" + s.name + "' has no variant");
    if (s.reference && s.reference->family != precision_family::mp)
        throw std::invalid_argument("reference: " + s.reference->name() + " is not an mp precision (mp<bits>)");

    // Everything that can fail on bad input happens before the directory exists.
    const auto precisions = lane_precisions(s);
    const int bits = highest_bits(precisions);
    std::vector<variant_lanes> variants;
    for (const auto& v : s.variants) {
        auto& vl = variants.emplace_back();
        vl.data = prepare(v, s.seed, bits);
        for (const auto& p : precisions) {
            vl.lanes.push_back(make_lane(s, v, p, vl.data));
            vl.watches.emplace_back(s.events, p.loss_scaling ? std::optional<long double>(
                                                                   static_cast<float>(v.training.loss_scaling.initial_scale))
                                                             : std::nullopt);
            if (s.reference && p == *s.reference) vl.reference = vl.lanes.back().get();
            if (!vl.widest || p.significand_bits() > vl.widest->spec().significand_bits()) vl.widest = vl.lanes.back().get();
        }
        vl.entries = parameter_entries(vl.data);
        if (s.reference && s.probes.local_error_interval) vl.oracle = make_gradient_oracle(v, *s.reference);
        if (vl.entries == 1 && !vl.oracle) vl.oracle = make_gradient_oracle(v, landscape_precision(s, bits));
        vl.steps_per_epoch = nn::batch_count(vl.data.data.x.rows(), v.batches);
        if (vl.steps_per_epoch == 0)
            throw std::invalid_argument("variant '" + v.name + "': no full batch of " +
                                        std::to_string(v.batches.batch_size) + " in " +
                                        std::to_string(vl.data.data.x.rows()) + " samples (drop_last)");
    }
    for (const auto& vl : variants)
        if (s.epochs && vl.steps_per_epoch != variants.front().steps_per_epoch)
            throw std::invalid_argument("epochs: the variants have different numbers of batches per epoch (" +
                                        std::to_string(variants.front().steps_per_epoch) + " and " +
                                        std::to_string(vl.steps_per_epoch) + "); give steps instead");
    const std::size_t steps = s.epochs ? *s.epochs * variants.front().steps_per_epoch : s.steps;

    io::run_directory dir(options.out.empty() ? io::default_run_path(s.name) : options.out);
    auto& steps_csv = dir.table("steps.csv");
    auto& layers_csv = dir.table("layers.csv");
    auto& events_jsonl = dir.table("events.jsonl");
    write_steps_header(steps_csv);
    write_layers_header(layers_csv);
    write_histogram_header(dir.table("gradient_histograms.csv"));
    const auto any_variant = [&](auto&& has) { return std::any_of(variants.begin(), variants.end(), has); };
    if (any_variant([](const variant_lanes& vl) { return vl.entries <= tiny_model_entries; }))
        write_parameters_header(dir.table("parameters.csv"));
    dir.write_file("config.toml", resolved_config);

    progress_bar progress(options.progress && !options.quiet ? options.diagnostics : nullptr, steps);
    const auto started = std::chrono::steady_clock::now();
    std::size_t steps_run = 0;
    bool stop = false;
    for (std::size_t step = 0; step < steps && !stop; ++step) {
        const bool local = s.reference && due(s.probes.local_error_interval, step);
        const bool conditioning = due(s.probes.conditioning_interval, step);
        const bool record = due(s.probes.interval, step) || conditioning || local || step + 1 == steps;
        const bool histogram = due(s.probes.histogram_interval, step) || step + 1 == steps;
        for (auto& vl : variants) {
            for (auto& l : vl.lanes)
                if (!l->stopped) l->step(step, {.statistics = record, .conditioning = conditioning, .histogram = histogram});
            const bool reference_runs = vl.reference && !vl.reference->stopped;
            if (record && reference_runs) {
                const auto reference = vl.reference->tensors();
                for (auto& l : vl.lanes)
                    if (l.get() != vl.reference && !l->stopped) l->measure_drift(reference);
            }
            if (local && vl.oracle)
                for (auto& l : vl.lanes)
                    if (l.get() != vl.reference && !l->stopped)
                        l->measure_local_error(vl.oracle->gradients(l->inputs(s.reference->significand_bits())));
            if (record && vl.entries == 1 && !vl.landscape_batch && !vl.widest->stopped)
                vl.landscape_batch = vl.widest->inputs(std::max(vl.widest->spec().significand_bits(), 64));
            std::optional<long double> reference_loss;
            if (reference_runs) reference_loss = vl.reference->loss();
            for (std::size_t k = 0; k < vl.lanes.size(); ++k) {
                auto& l = *vl.lanes[k];
                if (l.stopped) continue;
                std::vector<nlohmann::json> events;
                const auto figures = vl.watches[k].observe(step, step / vl.steps_per_epoch, l,
                                                           &l == vl.reference ? std::nullopt : reference_loss, events);
                write_steps_row(steps_csv, l, figures);
                for (const auto& r : l.records()) write_layers_row(layers_csv, step, l, r);
                if (histogram) write_histogram_rows(dir.table("gradient_histograms.csv"), step, l);
                if (record && vl.entries <= tiny_model_entries) {
                    const auto entries = l.parameter_entries();
                    write_parameters_rows(dir.table("parameters.csv"), step, l, entries);
                    if (vl.entries == 1) vl.visited.include(entries.front().value_number);
                }
                for (const auto& e : events) events_jsonl << e.dump() << '\n';
                if (s.probes.chain_rule)
                    write_chain_rule(dir.table("chain_rule.txt"),
                                     !options.quiet && step < shown_chain_rule_steps ? options.terminal : nullptr, step, l);
                if (l.origin() && s.on_nonfinite == nonfinite_policy::stop_lane) l.stopped = true;
                if (l.origin() && s.on_nonfinite == nonfinite_policy::stop_run) stop = true;
            }
        }
        ++steps_run;
        progress.show(step + 1);
    }
    if (any_variant([](const variant_lanes& vl) { return vl.landscape_batch.has_value(); })) {
        auto& landscape_csv = dir.table("landscape.csv");
        write_landscape_header(landscape_csv);
        for (std::size_t k = 0; k < variants.size(); ++k)
            if (variants[k].landscape_batch)
                write_landscape_rows(landscape_csv, s.variants[k].name, *variants[k].oracle,
                                     std::move(*variants[k].landscape_batch), variants[k].visited);
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    nlohmann::json summary = {{"study", s.name},
                              {"steps", steps_run},
                              {"threads", omp_get_max_threads()},
                              {"reference", s.reference ? nlohmann::json(s.reference->name()) : nlohmann::json(nullptr)},
                              {"seconds", seconds},
                              {"lanes", nlohmann::json::array()}};
    std::vector<std::vector<std::string>> table{lane_watch::summary_headings()};
    for (auto& vl : variants)
        for (std::size_t k = 0; k < vl.lanes.size(); ++k) {
            summary["lanes"].push_back(vl.watches[k].summary(*vl.lanes[k]));
            table.push_back(vl.watches[k].summary_cells(*vl.lanes[k]));
        }
    dir.write_file("summary.json", summary.dump(2) + "\n");
    dir.commit();

    if (!options.quiet && options.terminal) {
        auto& out = *options.terminal;
        out << "study " << s.name << ": " << steps_run << " steps, " << std::fixed << std::setprecision(1) << seconds
            << " s, " << omp_get_max_threads() << " threads"
            << (s.reference ? ", errors against " + s.reference->name() : std::string()) << "\n\n";
        out.unsetf(std::ios::floatfield);
        io::write_text_table(out, table);
        out << "\nwritten to " << dir.path().string() << '\n';
    }
    return dir.path();
}

}  // namespace gradlab::experiment
