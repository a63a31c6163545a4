#include "analysis_python.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <initializer_list>
#include <stdexcept>
#include <vector>

#include "gradlab_config.h"

extern char** environ;

namespace gradlab::cli {

namespace {

// Runs argv (argv[0] searched on PATH) and returns its exit status, or -1
// when it could not start or died of a signal; `silenced` streams go to /dev/null.
int run_program(const std::vector<std::string>& argv, std::initializer_list<int> silenced) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    for (const int fd : silenced) posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_WRONLY, 0);
    // The child writes to the same terminal: what we printed goes first.
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr);
    pid_t pid = 0;
    const int started = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (started != 0) return -1;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool has_packages(const std::string& python) {
    return run_program({python, "-c", "import numpy, matplotlib"}, {STDOUT_FILENO, STDERR_FILENO}) == 0;
}

constexpr const char* install_hint =
    "on Debian/Ubuntu: apt-get install python3-numpy python3-matplotlib (then /usr/bin/python3 has them), "
    "or set GRADLAB_PYTHON to an interpreter that has numpy and matplotlib";

}  // namespace

std::string analysis_python() {
    if (const char* chosen = std::getenv("GRADLAB_PYTHON"); chosen && *chosen) {
        if (has_packages(chosen)) return chosen;
        throw std::runtime_error(std::string("GRADLAB_PYTHON=") + chosen +
                                 " cannot import numpy and matplotlib (or does not run); " + install_hint);
    }
    for (const char* candidate : {"/usr/bin/python3", "python3"})
        if (has_packages(candidate)) return candidate;
    throw std::runtime_error(std::string("the report needs Python 3 with numpy and matplotlib, and neither "
                                         "/usr/bin/python3 nor python3 on PATH imports them; ") +
                             install_hint);
}

std::filesystem::path analysis_directory() {
    const char* chosen = std::getenv("GRADLAB_ANALYSIS_DIR");
    const std::filesystem::path dir = chosen && *chosen ? chosen : GRADLAB_ANALYSIS_DIR;
    if (!std::filesystem::is_regular_file(dir / "report.py"))
        throw std::runtime_error("no report.py in " + dir.string() +
                                 " (the analysis/ directory of gradlab's source tree; set GRADLAB_ANALYSIS_DIR "
                                 "when it has moved)");
    return dir;
}

int write_report(const std::filesystem::path& run_dir, bool quiet) {
    const auto script = analysis_directory() / "report.py";
    const std::string python = analysis_python();
    const int status = run_program({python, script.string(), run_dir.string()},
                                   quiet ? std::initializer_list<int>{STDOUT_FILENO} : std::initializer_list<int>{});
    if (status < 0) throw std::runtime_error(python + " " + script.string() + " did not start or was killed");
    return status;
}

}  // namespace gradlab::cli
