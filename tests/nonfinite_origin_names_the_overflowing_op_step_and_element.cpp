// The NaN/Inf origin of a run names the first op whose operands were finite
// and whose result was not, with its step and element. The data are built so
// that exactly one op overflows in fp16, at a known step and element: one
// Dense layer z = x W^T + b (W uniform in [0.9, 1], so |z| is known to within
// 10%), batches of two samples in file order, and sample 7 (row 1 of step 3's
// batch) large. fp32's range holds every value: it has no origin.

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "gradlab/experiment/runner.hpp"
#include "gradlab/io/npy.hpp"
#include "gradlab/io/study_file.hpp"
#include "support/scratch_directory.hpp"

using namespace gradlab;

namespace {

// Ten samples of three features, all small but sample 7 = (big, big, 0);
// every target `target`.
void write_data(const testing::scratch_directory& dir, double big, double target) {
    std::vector<double> x;
    for (int i = 0; i < 10; ++i) {
        if (i == 7) x.insert(x.end(), {big, big, 0.0});
        else x.insert(x.end(), {0.5, -0.25, 1.0});
    }
    const std::vector<double> y(10, target);
    const std::size_t x_shape[] = {10, 3}, y_shape[] = {10, 1};
    io::write_npy(dir / "x.npy", x_shape, x);
    io::write_npy(dir / "y.npy", y_shape, y);
}

std::vector<nlohmann::json> run_and_read_origins(const testing::scratch_directory& dir, const std::string& bias) {
    const std::string text = R"(
name = "one_overflow"
steps = 5
precisions = ["fp16", "fp32"]
reference = "none"
[model]
input_dim = 3
layers = [ { type = "dense", out = 1 } ]
[data]
kind = "npy"
x = "x.npy"
y = "y.npy"
shuffle = false
[init]
scheme = "uniform"
low = "0.9"
high = "1"
bias = ")" + bias + R"("
[training]
batch_size = 2
[training.optimizer]
learning_rate = "1e-6"
)";
    const auto s = io::parse_study(text, "one_overflow.toml", dir.path());
    experiment::run_options options;
    options.out = dir / "run";
    options.quiet = true;
    experiment::run_study(s, io::study_to_toml(s), options);
    std::ifstream events(dir / "run" / "events.jsonl");
    std::vector<nlohmann::json> origins;
    for (std::string line; std::getline(events, line);) {
        auto e = nlohmann::json::parse(line);
        if (e["event"] == "nonfinite_origin") origins.push_back(std::move(e));
    }
    return origins;
}

}  // namespace

TEST_CASE("a dot product beyond fp16's range is the origin: matmul, step 3, element (1, 0)", "[probe][nonfinite]") {
    // 40000 (w0 + w1) >= 72000 > 65504 + 16, fp16's overflow threshold.
    testing::scratch_directory dir("origin_matmul");
    write_data(dir, 40000, 0);
    const auto origins = run_and_read_origins(dir, "0");
    REQUIRE(origins.size() == 1);
    const auto& o = origins[0];
    CHECK(o["precision"] == "fp16");
    CHECK(o["step"] == 3);
    CHECK(o["layer"] == 0);
    CHECK(o["layer_kind"] == "dense");
    CHECK(o["pass"] == "forward");
    CHECK(o["op"] == "matmul");
    CHECK(o["element"] == nlohmann::json::array({1, 0}));
    CHECK(o["value"] == "inf");
    CHECK_THAT(o["explanation"].get<std::string>(), Catch::Contains("beyond fp16's range"));
    // The largest term is x[1,k] W[0,k] for k = 0 or 1: x[1,k] = 40000.
    bool shows_operand = false;
    for (const auto& operand : o["operands"])
        shows_operand = shows_operand || operand["value"] == "4e+04" || operand["value"] == "40000";
    CHECK(shows_operand);
}

TEST_CASE("a finite dot product plus a bias beyond fp16's range is the origin: bias_add", "[probe][nonfinite]") {
    // 32000 (w0 + w1) <= 64000 < 65504, plus 10000 >= 67600 > 65520.
    testing::scratch_directory dir("origin_bias");
    write_data(dir, 32000, 10000);
    const auto origins = run_and_read_origins(dir, "10000");
    REQUIRE(origins.size() == 1);
    CHECK(origins[0]["precision"] == "fp16");
    CHECK(origins[0]["step"] == 3);
    CHECK(origins[0]["op"] == "bias_add");
    CHECK(origins[0]["element"] == nlohmann::json::array({1, 0}));
}
