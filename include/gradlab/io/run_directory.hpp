#pragma once
// The directory a run writes (DESIGN.md, "Outputs"). Tables grow line by
// line in NAME.partial files and are renamed to NAME when the run commits;
// whole files (config, summary) are written atomically. A killed run leaves
// .partial files, never a truncated steps.csv; a run that fails before it
// commits removes the directory it created.

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <string_view>

namespace gradlab::io {

class run_directory {
public:
    // Creates `path` and its parents. Throws std::runtime_error naming it
    // when it exists and is not an empty directory, or cannot be made.
    explicit run_directory(std::filesystem::path path);
    // Removes the directory unless committed.
    ~run_directory();
    run_directory(const run_directory&) = delete;
    run_directory& operator=(const run_directory&) = delete;

    const std::filesystem::path& path() const { return path_; }
    // The stream of table `name` ("steps.csv"), opened on first use.
    std::ostream& table(const std::string& name);
    void write_file(const std::string& name, std::string_view content);
    // Closes every table and gives it its final name.
    void commit();

private:
    std::filesystem::path path_;
    bool created_ = false, committed_ = false;
    std::map<std::string, std::ofstream> tables_;
};

// runs/<study>-<UTC date and time>, with -2, -3, ... appended while taken.
std::filesystem::path default_run_path(std::string_view study_name);

}  // namespace gradlab::io
