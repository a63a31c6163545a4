#pragma once
// The Python side of gradlab: analysis/ (the report's figures and page) runs
// in an interpreter that has numpy and matplotlib.

#include <filesystem>
#include <string>

namespace gradlab::cli {

// The first of $GRADLAB_PYTHON (when set, the only candidate),
// /usr/bin/python3 (Debian's, where python3-numpy and python3-matplotlib
// install) and python3 on PATH that imports numpy and matplotlib; otherwise
// std::runtime_error saying what to install.
std::string analysis_python();

// analysis/ of the source tree gradlab was built from, or $GRADLAB_ANALYSIS_DIR.
std::filesystem::path analysis_directory();

// Runs analysis/report.py on a run directory: RUN_DIR/report/report.html and
// its figures, replaced atomically, or nothing. Returns its exit status: 0,
// 2 for bad input, 1 for a failure; it has said why on stderr. Its output
// goes to stdout unless quiet.
int write_report(const std::filesystem::path& run_dir, bool quiet);

}  // namespace gradlab::cli
