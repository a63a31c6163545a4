// gradlab gradcheck: analytic gradients against finite differences, per tensor (validate/gradcheck.hpp).

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "commands.hpp"
#include "study_source.hpp"
#include "gradlab/experiment/presets.hpp"
#include "gradlab/io/study_file.hpp"
#include "gradlab/validate/gradcheck.hpp"

namespace gradlab::cli {

namespace {

struct gradcheck_arguments {
    std::string study_file;
    std::string preset;
    std::string precision = "mp512";
    std::string variant;
    std::size_t entries = 16;
};

std::vector<const experiment::study_variant*> chosen_variants(const experiment::study& s, const std::string& name) {
    std::vector<const experiment::study_variant*> out;
    std::string names;
    for (const auto& v : s.variants) {
        if (name.empty() || v.name == name) out.push_back(&v);
        names += (names.empty() ? "" : ", ") + v.name;
    }
    if (out.empty()) throw std::invalid_argument("study '" + s.name + "' has no variant '" + name + "' (it has " + names + ")");
    return out;
}

std::string scientific(long double x) {
    char text[32];
    std::snprintf(text, sizeof text, "%.2Le", x);
    return text;
}

// Prints the variant's table and its final line; returns whether every tensor is ok.
bool print_verdicts(std::ostream& out, const validate::derivative_samples& samples,
                    const std::vector<validate::finite_difference_verdict>& verdicts) {
    std::size_t width = std::string("tensor").size();
    for (const auto& v : verdicts) width = std::max(width, v.name.size());
    const auto pad = [](std::string text, std::size_t w) { return text + std::string(w - std::min(w, text.size()) + 2, ' '); };
    out << "variant " << samples.variant << " in mp" << samples.bits << " (loss " << samples.loss.str(6) << "):\n  "
        << pad("tensor", width) << pad("shape", 9) << pad("checked", 7) << pad("under floor", 11)
        << pad("max rel error", 13) << pad("max abs error", 13) << "verdict\n";
    std::size_t mismatches = 0;
    std::string first_mismatch;
    long double worst = 0;
    for (const auto& v : verdicts) {
        out << "  " << pad(v.name, width) << pad(std::to_string(v.rows) + "x" + std::to_string(v.cols), 9)
            << pad(std::to_string(v.entries_checked), 7) << pad(std::to_string(v.entries_under_floor), 11)
            << pad(scientific(v.max_relative_error), 13) << pad(scientific(v.max_absolute_error), 13)
            << (v.ok ? "ok" : "MISMATCH") << '\n';
        if (!v.ok && mismatches++ == 0)
            first_mismatch = v.name + ", worst at entry (" + std::to_string(v.worst_entry / v.cols) + ", " +
                             std::to_string(v.worst_entry % v.cols) + ")";
        if (!(v.max_relative_error <= worst)) worst = v.max_relative_error;
    }
    out << samples.variant << ": ";
    if (mismatches == 0) out << "ok, " << verdicts.size() << " of " << verdicts.size() << " tensors";
    else out << "MISMATCH in " << mismatches << " of " << verdicts.size() << " tensors, first " << first_mismatch;
    out << " (largest relative error " << scientific(worst) << "; expected ~2^(-2p/3) = "
        << scientific(validate::expected_error(samples.bits)) << ", mismatch from 2^(-p/4) = "
        << scientific(validate::mismatch_threshold(samples.bits)) << ")\n"
        << std::flush;
    return mismatches == 0;
}

void gradcheck(const gradcheck_arguments& args) {
    const auto spec = parse_precision(args.precision);
    if (spec.family != precision_family::mp) throw std::invalid_argument("gradcheck needs an mp precision, e.g. mp512");
    if (args.entries == 0) throw std::invalid_argument("--entries must be at least 1");
    const auto s = load_study(args.study_file, args.preset, {});
    bool ok = true;
    for (const auto* v : chosen_variants(s, args.variant)) {
        const auto samples = validate::sample_derivatives(s, *v, spec, args.entries);
        ok = print_verdicts(std::cout, samples, validate::compare(samples)) && ok;
    }
    if (!ok) throw CLI::RuntimeError(1);
}

}  // namespace

void add_gradcheck_command(CLI::App& app) {
    auto args = std::make_shared<gradcheck_arguments>();
    auto* cmd = app.add_subcommand(
        "gradcheck",
        "Check the analytic gradients of a study's model against central finite differences, both in an mp\n"
        "precision: for each variant, at its initial parameters on its first batch (as 'gradlab run' makes\n"
        "them), per parameter tensor the largest relative and absolute error over the entries checked and a\n"
        "verdict: ok below 2^(-p/4) relative (p bits; the differences are good to ~2^(-2p/3)), else MISMATCH.\n"
        "Relative errors are taken against max(|analytic|, |fd|, 2^-ceil(p/3) max(1, |loss|)): gradients\n"
        "under that floor are judged on its scale. A kink at the point (ReLU's input exactly 0) would make the\n"
        "difference quotient meaningless there; with random data it does not happen, and is not special-cased.\n"
        "Exit status: 0 all ok, 1 a mismatch, 2 bad input.");
    cmd->add_option("study", args->study_file, "a study file (TOML)");
    cmd->add_option("--preset", args->preset, "a built-in study (gradlab presets)");
    cmd->add_option("--precision", args->precision, "the mp precision of both computations")->capture_default_str();
    cmd->add_option("--entries", args->entries,
                    "entries checked per tensor: all of a smaller one, else N spread evenly in row-major order "
                    "(first and last included)")
        ->capture_default_str();
    cmd->add_option("--variant", args->variant, "check only this variant (default: every one)");
    cmd->footer("Examples:\n  gradlab gradcheck --preset two-layer\n"
                "  gradlab gradcheck --preset vanishing --variant sigmoid --entries 4 --precision mp256");
    cmd->callback([args] { gradcheck(*args); });
}

}  // namespace gradlab::cli
