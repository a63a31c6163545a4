#include <memory>
#include <string>

#include "analysis_python.hpp"
#include "commands.hpp"

namespace gradlab::cli {

void add_report_command(CLI::App& app) {
    auto run_dir = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand(
        "report",
        "Draw the figures of a run directory (gradlab run) and write RUN_DIR/report/report.html: one\n"
        "self-contained page (it opens offline) with a summary per precision, every figure and what to look\n"
        "for in it, the NaN/Inf origins and the resolved config. Runs analysis/report.py in the first of\n"
        "$GRADLAB_PYTHON, /usr/bin/python3 and python3 on PATH that has numpy and matplotlib.");
    cmd->add_option("run_dir", *run_dir, "a run directory written by gradlab run")->required();
    cmd->callback([run_dir] {
        if (const int status = write_report(*run_dir, false); status != 0) throw CLI::RuntimeError(status);
    });
}

}  // namespace gradlab::cli
