// Probes observe and never steer: a study run with every probe on every
// step (statistics, conditioning, local error, the chain rule) trains exactly
// as with every probe off. Stochastic rounding makes this a sharp check: a
// probe that rounded through the lane's arithmetic would draw its random
// streams and change every later step.

#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "gradlab/experiment/runner.hpp"
#include "gradlab/io/study_file.hpp"
#include "support/scratch_directory.hpp"

using namespace gradlab;

namespace {

// (step, precision) -> the loss column of steps.csv, as written (exact).
std::map<std::string, std::string> losses(const std::filesystem::path& steps_csv) {
    std::ifstream in(steps_csv);
    std::map<std::string, std::string> out;
    std::string line;
    std::getline(in, line);  // header: step,epoch,variant,precision,loss,...
    while (std::getline(in, line)) {
        std::stringstream cells(line);
        std::string step, epoch, variant, precision, loss;
        std::getline(cells, step, ',');
        std::getline(cells, epoch, ',');
        std::getline(cells, variant, ',');
        std::getline(cells, precision, ',');
        std::getline(cells, loss, ',');
        out[step + " " + precision] = loss;
    }
    return out;
}

std::string study_with_probes(const std::string& probes) {
    return R"(
name = "probes"
steps = 6
precisions = ["bf16/sr", "fp16/sr+ls", "fp16+master32+ls", "fp32", "mp64"]
reference = "mp64"
[model]
input_dim = 4
mlp = { width = 8, depth = 2, activation = "tanh", outputs = 1 }
[data]
samples = 32
[training]
batch_size = 8
[training.optimizer]
kind = "sgd"
learning_rate = "0.1"
[probes]
)" + probes;
}

}  // namespace

TEST_CASE("every probe on every step leaves each lane's losses bit for bit as with none", "[experiment][probe]") {
    testing::scratch_directory dir("probes_steer");
    const auto run = [&](const std::string& name, const std::string& probes) {
        const auto s = io::parse_study(study_with_probes(probes), "probes.toml", dir.path());
        experiment::run_options options;
        options.out = dir / name;
        options.quiet = true;
        experiment::run_study(s, io::study_to_toml(s), options);
        return losses(dir / name / "steps.csv");
    };
    const auto all = run("all", "interval = 1\nconditioning_interval = 1\nlocal_error_interval = 1\nchain_rule = true\n");
    const auto none = run("none", "interval = 0\nconditioning_interval = 0\nlocal_error_interval = 0\n");
    REQUIRE(all.size() == 6 * 5);
    CHECK(all == none);
}
