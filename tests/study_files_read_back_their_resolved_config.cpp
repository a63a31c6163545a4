// A study written by study_to_toml reads back to an equal study; what a file
// leaves out takes the documented defaults; numbers keep their decimal text;
// the mlp shorthand is nn::multilayer_perceptron; variants merge key by key.

#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

#include <catch2/catch.hpp>
#include <unistd.h>

#include "gradlab/io/study_file.hpp"

using namespace gradlab;

namespace {

// A fresh directory under the system's temporary one, removed at the end of the test.
struct scratch_directory {
    std::filesystem::path path = std::filesystem::temp_directory_path() /
                                 ("gradlab_study_read_back_" + std::to_string(::getpid()));
    scratch_directory() {
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path / "data");
        std::filesystem::create_directories(path / "studies");
    }
    ~scratch_directory() { std::filesystem::remove_all(path); }

    // An empty file: the reader checks that data files exist, not what they hold.
    std::filesystem::path touch(const std::string& name) const {
        std::ofstream(path / name).put('\n');
        return path / name;
    }
};

experiment::study round_trip(const experiment::study& s, const std::filesystem::path& dir) {
    const std::string text = io::study_to_toml(s);
    INFO(text);
    return io::parse_study(text, "config.toml", dir);
}

nn::model_spec every_layer_type() {
    nn::model_spec m{5, {}};
    m.layers.emplace_back(nn::dense_spec{7, false});
    m.layers.emplace_back(nn::activation_spec{activation{activation_kind::leaky_relu, 0.125}});
    m.layers.emplace_back(nn::batch_norm_spec{"1e-3", "0.2", false});
    m.layers.emplace_back(nn::activation_spec{activation{activation_kind::elu, 0.5}});
    m.layers.emplace_back(nn::layer_norm_spec{"2e-5", false});
    nn::residual_spec inner{{nn::dense_spec{7}, nn::activation_spec{activation{activation_kind::gelu}}}};
    m.layers.emplace_back(
        nn::residual_spec{{nn::dense_spec{9}, nn::activation_spec{activation{activation_kind::prelu, 0.3}}, inner}});
    m.layers.emplace_back(nn::dense_spec{3});
    return m;
}

}  // namespace

TEST_CASE("study files: a study with every field away from its default reads back equal", "[io][study]") {
    const scratch_directory dir;
    experiment::study s;
    s.name = "all-fields_1.5+x";
    s.description = "quotes \" and \\ backslashes,\ttabs and \xc3\xa9";
    s.seed = std::numeric_limits<std::uint64_t>::max();  // beyond TOML's integers
    s.epochs = 7;  // steps, derived from epochs by the runner, is not written: it keeps its default
    s.precisions = {parse_precision("bf16/sr+acc32+ls"), parse_precision("fp32"), parse_precision("mp300"),
                    parse_precision("custom:p=5,emax=7")};
    s.reference = parse_precision("mp512");
    s.on_nonfinite = experiment::nonfinite_policy::stop_lane;
    s.probes = {3, 0, 11, true};
    s.events = {3.3e-5, 12345.678, 0.25, 1e300};

    experiment::study_variant a;
    a.name = "a";
    a.model = every_layer_type();
    a.data = {experiment::data_kind::gaussian_blobs, 99, 5, 3, activation{activation_kind::sigmoid}, "0.75",
              "0.125", "", "", false};
    a.init = {nn::init_scheme::he_normal, nn::fan_mode::fan_out, "0.5", "-1", "2", "0.1", "3", "0.01"};
    a.training.loss = nn::loss_kind::softmax_cross_entropy;
    a.training.optimizer = {nn::optimizer_kind::rmsprop, "0.1", "1e-4", "2e-5", "0.9", "0.1", true, "0.8",
                            "0.99", "1e-6", "0.95", true};
    a.training.schedule = {nn::schedule_kind::cosine, 4, "0.5", 50, "1e-4", 10, "0.25"};
    a.training.clipping = {nn::clipping_kind::global_norm, "2.5"};
    a.training.loss_scaling = {1024.0, 4.0, 0.25, 77};
    a.batches = {17, true, false};

    experiment::study_variant b;
    b.name = "b";
    b.model = nn::multilayer_perceptron(3, 4, 2, activation{activation_kind::softplus}, 2);
    b.data.kind = experiment::data_kind::npy;
    b.data.x_file = dir.touch("x.npy").string();
    b.data.y_file = dir.touch("y.npy").string();
    b.training.clipping.kind = nn::clipping_kind::value;
    b.training.loss = nn::loss_kind::bce_with_logits;
    s.variants = {a, b};

    const auto back = round_trip(s, dir.path);
    CHECK(back.name == s.name);
    CHECK(back.description == s.description);
    CHECK(back.seed == s.seed);
    CHECK(back.precisions == s.precisions);
    CHECK(back.reference == s.reference);
    CHECK(back.probes == s.probes);
    CHECK(back.events == s.events);
    REQUIRE(back.variants.size() == 2);
    CHECK(back.variants[0].model == s.variants[0].model);
    CHECK(back.variants[0].data == s.variants[0].data);
    CHECK(back.variants[0].init == s.variants[0].init);
    CHECK(back.variants[0].training == s.variants[0].training);
    CHECK(back.variants[0].batches == s.variants[0].batches);
    CHECK(back.variants[1] == s.variants[1]);
    CHECK(back == s);
    // And the text is a fixed point.
    CHECK(io::study_to_toml(back) == io::study_to_toml(s));
}

TEST_CASE("study files: a parsed study file reads back equal, steps and no reference included", "[io][study]") {
    const scratch_directory dir;
    const auto s = io::parse_study(R"(
name = "tiny"
steps = 12
precisions = ["fp16", "fp64"]
reference = "none"
on_nonfinite = "stop_run"
[model]
input_dim = 2
layers = [
  { type = "dense", out = 4 },
  { type = "activation", function = "tanh" },
  { type = "residual", body = [ { type = "batch_norm", epsilon = 1e-5 }, { type = "activation", function = "elu" } ] },
  { type = "dense", out = 2, bias = false },
]
[data]
kind = "two_spirals"
noise = 0.1
[training]
loss = "softmax_cross_entropy"
)",
                                   "tiny.toml", dir.path);
    CHECK_FALSE(s.reference);
    CHECK(s.steps == 12);
    CHECK(round_trip(s, dir.path) == s);
}

TEST_CASE("study files: what a file leaves out takes the documented defaults", "[io][study]") {
    const scratch_directory dir;
    const auto s = io::parse_study("[model]\ninput_dim = 3\nlayers = [{ type = \"dense\", out = 1 }]\n",
                                   "runs/minimal.toml", dir.path);
    CHECK(s.name == "minimal");
    CHECK(s.description.empty());
    CHECK(s.seed == 0);
    CHECK(s.steps == 100);
    CHECK_FALSE(s.epochs);
    CHECK(s.precisions == std::vector{parse_precision("fp32"), parse_precision("fp64")});
    CHECK(s.reference == parse_precision("mp256"));  // fp32 and fp64 have fewer than 256 bits
    CHECK(s.on_nonfinite == experiment::nonfinite_policy::continue_training);
    CHECK(s.probes == experiment::probe_spec{});
    CHECK(s.events == experiment::event_thresholds{});
    REQUIRE(s.variants.size() == 1);
    const auto& v = s.variants[0];
    CHECK(v.name == "main");
    CHECK(v.model == nn::model_spec{3, {nn::dense_spec{1}}});
    CHECK(v.data == experiment::data_spec{});
    CHECK(v.init == nn::init_spec{});
    CHECK(v.training == nn::training_spec{});
    CHECK(v.batches == nn::batch_options{});

    SECTION("the reference defaults to none when every precision has 256 bits or more") {
        const auto wide = io::parse_study("precisions = [\"mp256\", \"mp512\"]\n[model]\ninput_dim = 1\n"
                                          "layers = [{ type = \"dense\", out = 1 }]\n",
                                          "wide.toml", dir.path);
        CHECK_FALSE(wide.reference);
    }
    SECTION("a preset's name is its own") {
        CHECK(io::parse_study("[model]\ninput_dim = 1\nlayers = [{ type = \"dense\", out = 1 }]\n",
                              "preset 'vanishing'", dir.path)
                  .name == "vanishing");
    }
    SECTION("data.shuffle also sets the batches' order") {
        const auto fixed = io::parse_study("[model]\ninput_dim = 1\nlayers = [{ type = \"dense\", out = 1 }]\n"
                                           "[data]\nshuffle = false\n",
                                           "fixed.toml", dir.path);
        CHECK_FALSE(fixed.variants[0].data.shuffle);
        CHECK_FALSE(fixed.variants[0].batches.shuffle);
    }
}

TEST_CASE("study files: numbers keep the decimal text they were written with", "[io][study]") {
    const scratch_directory dir;
    const auto s = io::parse_study(R"(
[model]
input_dim = 1
layers = [{ type = "layer_norm", epsilon = 1E-5 }, { type = "dense", out = 1 }]
[init]
multiplier = 0.1
low = -3
high = 0x10
mean = "0.10"
std = 1_000.5
bias = +2.5e-3
[training.optimizer]
learning_rate = 0.3
)",
                                   "numbers.toml", dir.path);
    const auto& v = s.variants[0];
    CHECK(v.init.multiplier == "0.1");  // not 0.10000000000000001, binary64's nearest
    CHECK(v.init.low == "-3");
    CHECK(v.init.high == "16");
    CHECK(v.init.mean == "0.10");
    CHECK(v.init.standard_deviation == "1000.5");
    CHECK(v.init.bias == "+2.5e-3");
    CHECK(v.training.optimizer.learning_rate == "0.3");
    CHECK(std::get<nn::layer_norm_spec>(v.model.layers[0].settings).epsilon == "1E-5");
    // The written study keeps the text, as strings.
    const auto text = io::study_to_toml(s);
    CHECK(text.find("multiplier = \"0.1\"\n") != std::string::npos);
    CHECK(text.find("learning_rate = \"0.3\"\n") != std::string::npos);
    CHECK(round_trip(s, dir.path) == s);
}

TEST_CASE("study files: the mlp shorthand is nn::multilayer_perceptron", "[io][study]") {
    const scratch_directory dir;
    const auto s = io::parse_study(
        "[model]\ninput_dim = 16\nmlp = { width = 32, depth = 20, activation = \"sigmoid\", outputs = 3 }\n",
        "shorthand.toml", dir.path);
    CHECK(s.variants[0].model == nn::multilayer_perceptron(16, 32, 20, activation{activation_kind::sigmoid}, 3));
    // Written out as explicit layers.
    const auto text = io::study_to_toml(s);
    CHECK(text.find("mlp =") == std::string::npos);
    CHECK(text.find("{ type = \"activation\", function = \"sigmoid\" }") != std::string::npos);
    CHECK(round_trip(s, dir.path) == s);
}

TEST_CASE("study files: a variant overrides the keys it gives and keeps the rest", "[io][study]") {
    const scratch_directory dir;
    for (auto name : {"data/x.npy", "data/y.npy", "data/y2.npy"}) dir.touch(name);
    const auto s = io::parse_study(R"(
precisions = ["bf16", "fp32"]
[model]
input_dim = 4
mlp = { width = 8, depth = 3, activation = "tanh", outputs = 1 }
[data]
kind = "npy"
x = "../data/x.npy"
y = "../data/y.npy"
[init]
scheme = "normal"
std = 0.02
[training]
batch_size = 16
[training.optimizer]
kind = "adam"
learning_rate = 1e-3

[[variants]]
name = "sigmoid"
model.mlp.activation = "sigmoid"

[[variants]]
name = "tuned"
init.std = 0.05
training.optimizer.learning_rate = 3e-4
data.y = "../data/y2.npy"

[[variants]]
name = "explicit"
model.layers = [{ type = "dense", out = 2 }]
)",
                                   "merge.toml", dir.path / "studies");
    REQUIRE(s.variants.size() == 3);
    const auto& sigmoid = s.variants[0];
    const auto& tuned = s.variants[1];
    const auto& explicit_layers = s.variants[2];

    CHECK(sigmoid.name == "sigmoid");
    CHECK(sigmoid.model == nn::multilayer_perceptron(4, 8, 3, activation{activation_kind::sigmoid}, 1));
    CHECK(sigmoid.init.scheme == nn::init_scheme::normal);
    CHECK(sigmoid.init.standard_deviation == "0.02");
    CHECK(sigmoid.training.optimizer.kind == nn::optimizer_kind::adam);
    CHECK(sigmoid.training.optimizer.learning_rate == "1e-3");
    CHECK(sigmoid.batches.batch_size == 16);
    // Relative paths from the base directory, normalised.
    CHECK(sigmoid.data.x_file == (std::filesystem::absolute(dir.path) / "data" / "x.npy").string());

    CHECK(tuned.model == nn::multilayer_perceptron(4, 8, 3, activation{activation_kind::tanh}, 1));
    CHECK(tuned.init.scheme == nn::init_scheme::normal);
    CHECK(tuned.init.standard_deviation == "0.05");
    CHECK(tuned.training.optimizer.kind == nn::optimizer_kind::adam);
    CHECK(tuned.training.optimizer.learning_rate == "3e-4");
    CHECK(tuned.data.x_file == sigmoid.data.x_file);
    CHECK(tuned.data.y_file == (std::filesystem::absolute(dir.path) / "data" / "y2.npy").string());

    // layers replace the base's mlp (two spellings of the model), not merge with it.
    CHECK(explicit_layers.model == nn::model_spec{4, {nn::dense_spec{2}}});
    CHECK(explicit_layers.init == sigmoid.init);

    CHECK(round_trip(s, dir.path) == s);
}

TEST_CASE("study files: read_study_file names the study after the file and reads data beside it", "[io][study]") {
    const scratch_directory dir;
    dir.touch("data/x.npy");
    dir.touch("data/y.npy");
    std::ofstream(dir.path / "vanishing.toml") << R"([model]
input_dim = 2
layers = [{ type = "dense", out = 1 }]
[data]
kind = "npy"
x = "data/x.npy"
y = "data/y.npy"
)";
    const auto s = io::read_study_file(dir.path / "vanishing.toml");
    CHECK(s.name == "vanishing");
    CHECK(s.variants[0].data.y_file == (std::filesystem::absolute(dir.path) / "data" / "y.npy").string());
}
