// The built-in presets are the files of examples/studies, byte for byte, one
// preset per file and one file per preset; their names are unique, the
// default comes first, each description is its file's `description` key;
// find_preset names the valid presets when given another name; and every
// preset is a valid study.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <stdexcept>
#include <string>

#include <catch2/catch.hpp>

#include "gradlab/experiment/presets.hpp"
#include "gradlab/io/study_file.hpp"

using namespace gradlab;
using experiment::find_preset;
using experiment::presets;

namespace {

const std::filesystem::path studies_dir = GRADLAB_STUDIES_DIR;

std::string file_bytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in);
    return {std::istreambuf_iterator<char>(in), {}};
}

std::string message_of(std::string_view name) {
    try {
        find_preset(name);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    FAIL("find_preset('" << name << "') did not throw");
    return {};
}

}  // namespace

TEST_CASE("presets: each is byte for byte the study file of its name, and each file is a preset", "[experiment][presets]") {
    std::set<std::string> files;
    for (const auto& entry : std::filesystem::directory_iterator(studies_dir)) {
        if (entry.path().extension() != ".toml") continue;
        const std::string name = entry.path().stem().string();
        files.insert(name);
        INFO(entry.path());
        CHECK(find_preset(name).toml == file_bytes(entry.path()));
    }
    std::set<std::string> embedded;
    for (const auto& p : presets()) embedded.emplace(p.name);
    CHECK(embedded == files);
}

TEST_CASE("presets: names unique, the default first, one-line descriptions from the file", "[experiment][presets]") {
    const auto all = presets();
    REQUIRE(!all.empty());
    CHECK(all.front().name == experiment::default_preset);
    std::set<std::string_view> names;
    for (const auto& p : all) {
        INFO(p.name);
        CHECK(names.insert(p.name).second);
        CHECK(!p.description.empty());
        CHECK(p.description.find('\n') == std::string_view::npos);
        CHECK(p.toml.find("\ndescription = \"" + std::string(p.description) + "\"\n") != std::string_view::npos);
        CHECK(&find_preset(p.name) == &p);
    }
}

TEST_CASE("find_preset: another name is rejected naming every valid preset and the likely one", "[experiment][presets]") {
    for (const std::string_view name : {"", "nope", "Vanishing.toml", "vanishing "}) {
        const std::string message = message_of(name);
        INFO(message);
        CHECK(message.starts_with("unknown preset '" + std::string(name) + "'"));
        for (const auto& p : presets()) CHECK(message.find(std::string(p.name)) != std::string::npos);
    }
    CHECK(message_of("nope").find("did you mean") == std::string::npos);
    CHECK(message_of("mixed_precision").find("(did you mean 'mixed-precision'?)") != std::string::npos);
    CHECK(message_of("Exploding").find("(did you mean 'exploding'?)") != std::string::npos);
    CHECK(message_of("vanish").find("(did you mean 'vanishing'?)") != std::string::npos);
    CHECK(message_of("va").find("did you mean") == std::string::npos);  // too short to guess from
}

TEST_CASE("presets: every preset is a valid study named after it, with its description", "[experiment][presets]") {
    for (const auto& p : presets()) {
        const std::string origin = "preset '" + std::string(p.name) + "'";
        INFO(origin);
        experiment::study s;
        REQUIRE_NOTHROW(s = io::parse_study(p.toml, origin, studies_dir));
        CHECK(s.name == p.name);
        CHECK(s.description == p.description);
        CHECK(!s.variants.empty());
        CHECK(!s.precisions.empty());
    }
}
