// gradlab presets: the built-in studies, listed or printed whole.

#include <algorithm>
#include <iostream>
#include <string>

#include "commands.hpp"
#include "gradlab/experiment/presets.hpp"

namespace gradlab::cli {

namespace {

void list_presets() {
    std::size_t width = 0;
    for (const auto& p : experiment::presets()) width = std::max(width, p.name.size());
    for (const auto& p : experiment::presets())
        std::cout << p.name << std::string(width - p.name.size() + 2, ' ') << p.description << "\n";
}

}  // namespace

void add_presets_command(CLI::App& app) {
    static std::string shown;
    auto* command = app.add_subcommand(
        "presets",
        "List the built-in studies, one per line (name, then what it shows), or print one as a study file to\n"
        "copy and edit. 'gradlab run --preset NAME' runs one; 'gradlab run' alone runs '" +
            std::string(experiment::default_preset) + "'.");
    command->add_option("--show", shown, "Print preset NAME's study file (TOML, comments included)")
        ->type_name("NAME");
    command->footer("Examples:\n  gradlab presets\n  gradlab presets --show vanishing > my.toml   "
                    "# edit, then: gradlab run my.toml");
    command->callback([] {
        if (shown.empty()) list_presets();
        else std::cout << experiment::find_preset(shown).toml;
    });
}

}  // namespace gradlab::cli
