#pragma once
// Each subcommand registers its options and its action on the app.

#include <CLI/CLI.hpp>

namespace gradlab::cli {

void add_info_command(CLI::App& app);
void add_round_command(CLI::App& app);
void add_presets_command(CLI::App& app);
void add_run_command(CLI::App& app);
void add_report_command(CLI::App& app);
void add_gradcheck_command(CLI::App& app);
void add_validate_command(CLI::App& app);

}  // namespace gradlab::cli
