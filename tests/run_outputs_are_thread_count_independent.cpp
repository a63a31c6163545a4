// A study run with 1 and with 2 OpenMP threads writes byte-identical
// steps.csv, layers.csv and events.jsonl: every kernel adds in a fixed order
// and stochastic rounding draws from counter-based streams, so the thread
// count changes nothing (DESIGN.md). The sizes are above the kernels'
// thresholds for going parallel (GEMM blocks, 512 mp elements), and the
// precisions cover every family, stochastic rounding, loss scaling and
// fp32 master weights.

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>
#include <omp.h>

#include "gradlab/experiment/runner.hpp"
#include "gradlab/io/study_file.hpp"
#include "support/scratch_directory.hpp"

using namespace gradlab;

namespace {

std::string contents(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

constexpr const char* study_text = R"(
name = "threads"
steps = 4
precisions = ["fp16", "bf16/sr", "fp16+master32+ls", "fp32", "fp64", "f128", "mp80"]
reference = "mp80"
[model]
input_dim = 64
mlp = { width = 96, depth = 2, activation = "tanh", outputs = 4 }
[data]
samples = 256
[training]
batch_size = 128
[training.optimizer]
kind = "sgd"
momentum = "0.9"
learning_rate = "0.01"
[probes]
interval = 1
conditioning_interval = 2
local_error_interval = 2
)";

}  // namespace

TEST_CASE("steps.csv, layers.csv and events.jsonl are the same with 1 and 2 threads", "[experiment][threads]") {
    testing::scratch_directory dir("run_threads");
    const auto s = io::parse_study(study_text, "threads.toml", dir.path());
    const int threads_before = omp_get_max_threads();
    for (const int threads : {1, 2}) {
        experiment::run_options options;
        options.out = dir / ("run" + std::to_string(threads));
        options.threads = threads;
        options.quiet = true;
        experiment::run_study(s, io::study_to_toml(s), options);
    }
    omp_set_num_threads(threads_before);
    for (const char* file : {"steps.csv", "layers.csv", "events.jsonl"}) {
        INFO(file);
        const auto one = contents(dir / "run1" / file), two = contents(dir / "run2" / file);
        CHECK(one == two);
    }
    // Every lane wrote its rows: 7 precisions x 4 steps, and the header; 7
    // lanes x 4 steps x (5 layers: output and output gradient; 6 parameters:
    // weight, gradient, update).
    const auto steps = contents(dir / "run1" / "steps.csv");
    CHECK(std::count(steps.begin(), steps.end(), '\n') == 1 + 7 * 4);
    const auto layers = contents(dir / "run1" / "layers.csv");
    CHECK(std::count(layers.begin(), layers.end(), '\n') == 1 + 7 * 4 * (2 * 5 + 6 * 3));
}
