#include "gradlab/io/run_directory.hpp"

#include <ctime>
#include <stdexcept>
#include <system_error>

#include "gradlab/io/atomic_file.hpp"

namespace gradlab::io {

run_directory::run_directory(std::filesystem::path path) : path_(std::move(path)) {
    std::error_code error;
    if (std::filesystem::exists(path_, error)) {
        if (!std::filesystem::is_directory(path_) || !std::filesystem::is_empty(path_))
            throw std::runtime_error("run directory '" + path_.string() +
                                     "' exists and is not empty; choose another with --out");
        return;
    }
    created_ = std::filesystem::create_directories(path_, error);
    if (error) throw std::runtime_error("cannot create run directory '" + path_.string() + "': " + error.message());
}

run_directory::~run_directory() {
    if (committed_) return;
    tables_.clear();
    std::error_code ignored;
    if (created_) std::filesystem::remove_all(path_, ignored);
    else
        for (const auto& entry : std::filesystem::directory_iterator(path_, ignored))
            std::filesystem::remove_all(entry.path(), ignored);
}

std::ostream& run_directory::table(const std::string& name) {
    auto [at, inserted] = tables_.try_emplace(name);
    if (inserted) {
        at->second.open(path_ / (name + ".partial"), std::ios::out | std::ios::trunc);
        if (!at->second) throw std::runtime_error("cannot write '" + (path_ / name).string() + ".partial'");
    }
    return at->second;
}

void run_directory::write_file(const std::string& name, std::string_view content) {
    write_file_atomically(path_ / name, content);
}

void run_directory::commit() {
    for (auto& [name, stream] : tables_) {
        stream.close();
        if (!stream) throw std::runtime_error("cannot write '" + (path_ / name).string() + "'");
        std::filesystem::rename(path_ / (name + ".partial"), path_ / name);
    }
    tables_.clear();
    committed_ = true;
}

std::filesystem::path default_run_path(std::string_view study_name) {
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &utc);
    const auto base = std::filesystem::path("runs") / (std::string(study_name) + "-" + stamp);
    auto candidate = base;
    for (int n = 2; std::filesystem::exists(candidate); ++n) candidate = base.string() + "-" + std::to_string(n);
    return candidate;
}

}  // namespace gradlab::io
