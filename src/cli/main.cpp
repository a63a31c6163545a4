// gradlab: train neural networks in many precisions side by side.

#include <exception>
#include <iostream>

#include "commands.hpp"
#include "gradlab_config.h"

int main(int argc, char** argv) {
    CLI::App app{"gradlab " GRADLAB_VERSION
                 ": trains neural networks in several floating-point precisions side by side and shows where\n"
                 "they part ways: vanishing and exploding gradients, the first NaN/Inf, drift from an MPFR reference.",
                 "gradlab"};
    app.require_subcommand(1);
    app.set_version_flag("--version", GRADLAB_VERSION);
    app.footer("Run 'gradlab COMMAND --help' for a command's options.");
    gradlab::cli::add_info_command(app);
    gradlab::cli::add_round_command(app);
    gradlab::cli::add_presets_command(app);
    gradlab::cli::add_run_command(app);
    gradlab::cli::add_report_command(app);
    gradlab::cli::add_gradcheck_command(app);
    gradlab::cli::add_validate_command(app);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    } catch (const std::exception& e) {
        std::cerr << "gradlab: error: " << e.what() << "\n";
        return 2;
    }
    return 0;
}
