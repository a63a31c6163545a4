#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

#include "analysis_python.hpp"
#include "commands.hpp"
#include "study_source.hpp"
#include "gradlab/experiment/presets.hpp"
#include "gradlab/experiment/runner.hpp"
#include "gradlab/io/study_file.hpp"

namespace gradlab::cli {

namespace {

struct run_arguments {
    std::string study_file;
    std::string preset;
    std::string out;
    std::optional<int> threads;
    bool quiet = false;
    bool report = false;
};

void run(const run_arguments& args) {
    const auto s = load_study(args.study_file, args.preset, experiment::default_preset);
    experiment::run_options options;
    options.out = args.out;
    options.threads = args.threads;
    options.quiet = args.quiet;
    options.progress = ::isatty(STDERR_FILENO) != 0;
    options.terminal = &std::cout;
    options.diagnostics = &std::cerr;
    const auto run_dir = experiment::run_study(s, io::study_to_toml(s), options);
    if (args.report)
        if (const int status = write_report(run_dir, args.quiet); status != 0) throw CLI::RuntimeError(status);
}

}  // namespace

void add_run_command(CLI::App& app) {
    auto args = std::make_shared<run_arguments>();
    auto* cmd = app.add_subcommand(
        "run",
        "Train a study's network in every precision it lists, side by side from the same initial weights and\n"
        "batches, and record where they part ways: per-layer statistics, the first NaN/Inf and the op that made\n"
        "it, errors against the high-precision reference. Without a study file or --preset, runs the default\n"
        "preset ('" + std::string(experiment::default_preset) + "'); 'gradlab presets' lists them all.");
    cmd->add_option("study", args->study_file, "a study file (TOML; 'gradlab presets --show NAME' prints examples)")
        ->check(CLI::ExistingFile);
    cmd->add_option("--preset", args->preset, "a built-in study (gradlab presets)");
    cmd->add_option("--out", args->out, "the run directory (default: runs/<study>-<UTC time>/); must be new or empty");
    cmd->add_option("--threads", args->threads, "OpenMP threads (default: OMP_NUM_THREADS or every core)")
        ->check(CLI::PositiveNumber);
    cmd->add_flag("-q,--quiet", args->quiet, "print nothing but errors (no summary, no progress bar)");
    cmd->add_flag("--report", args->report, "then write the run's HTML report (gradlab report RUN_DIR)");
    cmd->callback([args] { run(*args); });
}

}  // namespace gradlab::cli
