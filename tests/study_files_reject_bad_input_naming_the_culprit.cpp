// Study files with one fault each are refused with a study_error whose
// message names the file, the key path, what is wrong and what is valid.

#include <filesystem>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>
#include <unistd.h>

#include "gradlab/io/study_file.hpp"

using namespace gradlab;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;

namespace {

// A small valid study; each test adds or changes one thing.
const std::string model = R"(
[model]
input_dim = 4
mlp = { width = 8, depth = 2, activation = "tanh", outputs = 1 }
)";

std::filesystem::path scratch() {
    return std::filesystem::temp_directory_path() / ("gradlab_study_reject_" + std::to_string(::getpid()));
}

// The message of the study_error that parsing `text` throws; another
// exception fails the test, and so does none.
std::string error_of(const std::string& text, const std::string& origin = "study.toml") {
    try {
        io::parse_study(text, origin, scratch());
    } catch (const io::study_error& e) {
        return e.what();
    }
    FAIL("accepted:\n" << text);
    return {};
}

}  // namespace

TEST_CASE("study files: the valid study the faults start from is accepted", "[io][study]") {
    CHECK_NOTHROW(io::parse_study(model, "study.toml", scratch()));
}

TEST_CASE("study files: an unknown key is named with its table and the closest valid key", "[io][study]") {
    CHECK_THAT(error_of(model + "[training.optimizer]\nlearning_rat = 0.1\n", "vanishing.toml"),
               Equals("vanishing.toml: [training.optimizer] unknown key 'learning_rat' (did you mean "
                      "'learning_rate'?)"));
    CHECK_THAT(error_of("stpes = 10\n" + model), Equals("study.toml: unknown top-level key 'stpes' (did you mean 'steps'?)"));
    CHECK_THAT(error_of(R"([model]
input_dim = 4
layers = [{ type = "dense", outt = 3 }]
)"),
               Contains("[model.layers[0]] unknown key 'outt' (did you mean 'out'?)"));
    // Nothing close: no guess, the valid keys instead.
    const auto far = error_of(model + "[probes]\nfrequency = 3\n");
    CHECK_THAT(far, Contains("[probes] unknown key 'frequency' (valid: interval, conditioning_interval, "
                             "local_error_interval, histogram_interval, chain_rule)"));
    CHECK_THAT(far, !Contains("did you mean"));
}

TEST_CASE("study files: a value of the wrong type names the key, the type expected and the type found",
          "[io][study]") {
    CHECK_THAT(error_of("[model]\ninput_dim = \"4\"\nmlp = { width = 8, depth = 2, activation = \"tanh\", outputs = 1 }\n"),
               Equals("study.toml: model.input_dim: expected an integer, got a string"));
    CHECK_THAT(error_of(model + "[training]\ndrop_last = 1\n"),
               Equals("study.toml: training.drop_last: expected a boolean, got an integer"));
    CHECK_THAT(error_of(model + "[init]\nmultiplier = true\n"),
               Contains("init.multiplier: expected a number or a decimal string, got a boolean"));
    CHECK_THAT(error_of("precisions = \"fp32\"\n" + model), Contains("precisions: expected an array, got a string"));
}

TEST_CASE("study files: out-of-range numbers name the key and the value", "[io][study]") {
    CHECK_THAT(error_of(R"([model]
input_dim = 4
layers = [{ type = "dense", out = 8 }, { type = "activation", function = "relu" }, { type = "dense", out = -5 }]
)"),
               Equals("study.toml: model.layers[2].out: must be a positive integer, got -5"));
    CHECK_THAT(error_of(R"([model]
input_dim = 4
layers = [{ type = "residual", body = [{ type = "dense", out = 0 }] }]
)"),
               Contains("model.layers[0].body[0].out: must be a positive integer, got 0"));
    CHECK_THAT(error_of(model + "[training]\nbatch_size = 0\n"),
               Contains("training.batch_size: must be a positive integer, got 0"));
    CHECK_THAT(error_of("steps = 0\n" + model), Contains("steps: must be a positive integer, got 0"));
    CHECK_THAT(error_of(model + "[probes]\nconditioning_interval = -1\n"),
               Contains("probes.conditioning_interval: must be a non-negative integer, got -1"));
    CHECK_THAT(error_of(model + "[events]\nvanishing_ratio = -1e-4\n"),
               Contains("events.vanishing_ratio: must be above 0, got -1e-4"));
    CHECK_THAT(error_of(model + "[init]\nmultiplier = \"1x\"\n"), Contains("init.multiplier: '1x' is not a finite number"));
    CHECK_THAT(error_of(model + "[init]\nmultiplier = inf\n"), Contains("init.multiplier: 'inf' is not a finite number"));
    CHECK_THAT(error_of("seed = -1\n" + model), Contains("seed: must be a non-negative integer, got -1"));
}

TEST_CASE("study files: unknown names of activations, precisions and kinds are listed with the valid ones",
          "[io][study]") {
    const auto activation = error_of("[model]\ninput_dim = 4\nmlp = { width = 8, depth = 2, activation = \"sigmod\", outputs = 1 }\n");
    CHECK_THAT(activation, Contains("study.toml: model.mlp.activation: unknown activation"));
    CHECK_THAT(activation, Contains("sigmod") && Contains("sigmoid") && Contains("leaky_relu"));

    const auto precision = error_of("precisions = [\"fp32\", \"fp17\"]\n" + model);
    CHECK_THAT(precision, Contains("study.toml: precisions[1]: invalid precision 'fp17'"));
    CHECK_THAT(precision, Contains("bf16"));

    CHECK_THAT(error_of("reference = \"mp\"\n" + model), Contains("reference: invalid precision 'mp'"));
    CHECK_THAT(error_of(model + "[data]\nkind = \"spirals\"\n"),
               Contains("data.kind: unknown data kind 'spirals'; valid: teacher_student, gaussian_blobs, two_spirals, npy"));
    CHECK_THAT(error_of(model + "[training]\nloss = \"mae\"\n"), Contains("training.loss: unknown loss 'mae'"));
    CHECK_THAT(error_of(model + "[training.optimizer]\nkind = \"adagrad\"\n"),
               Contains("training.optimizer.kind: unknown optimizer 'adagrad'"));
    CHECK_THAT(error_of(model + "[training.clipping]\nkind = \"norm\"\n"),
               Contains("training.clipping.kind: unknown clipping 'norm'; valid: none, global_norm, value"));
    CHECK_THAT(error_of("on_nonfinite = \"halt\"\n" + model),
               Contains("on_nonfinite: unknown on_nonfinite policy 'halt'; valid: continue, stop_lane, stop_run"));
    CHECK_THAT(error_of("[model]\ninput_dim = 4\nlayers = [{ type = \"conv\" }]\n"),
               Contains("model.layers[0].type: unknown layer type 'conv'; valid: dense, activation"));
    CHECK_THAT(error_of("[model]\ninput_dim = 4\nlayers = [{ type = \"activation\", function = \"tanh\", parameter = 0.5 }]\n"),
               Contains("model.layers[0].parameter: tanh takes no parameter"));
}

TEST_CASE("study files: a missing .npy file is named with its resolved path", "[io][study]") {
    const auto expected = (scratch() / "missing_x.npy").lexically_normal().string();
    CHECK_THAT(error_of(model + "[data]\nkind = \"npy\"\nx = \"missing_x.npy\"\ny = \"y.npy\"\n"),
               Equals("study.toml: data.x: file '" + expected + "' does not exist"));
    CHECK_THAT(error_of(model + "[data]\nkind = \"npy\"\n"), Contains("data.x: missing"));
}

TEST_CASE("study files: a study file that cannot be read is named with the reason", "[io][study]") {
    const auto missing = scratch() / "no_such_study.toml";
    CHECK_THROWS_WITH(io::read_study_file(missing),
                      Equals("cannot read study file '" + missing.string() + "': No such file or directory"));
    CHECK_THROWS_AS(io::read_study_file(missing), io::study_error);
    CHECK_THROWS_WITH(io::read_study_file(std::filesystem::temp_directory_path()), Contains("Is a directory"));
}

TEST_CASE("study files: TOML syntax errors give the line and column", "[io][study]") {
    const auto message = error_of("[model]\ninput_dim = 4\nlayers = [ { type = \"dense\" out = 3 } ]\n");
    CHECK_THAT(message, Contains("study.toml: TOML syntax error at line 3, column "));
    CHECK_THAT(error_of("[model]\ninput_dim = 4\ninput_dim = 5\n"), Contains("TOML syntax error at line 3"));
}

TEST_CASE("study files: settings that exclude each other are named together", "[io][study]") {
    CHECK_THAT(error_of("steps = 10\nepochs = 2\n" + model),
               Contains("study.toml: steps and epochs: both given; give one of them"));
    CHECK_THAT(error_of(R"([model]
input_dim = 4
layers = [{ type = "dense", out = 1 }]
mlp = { width = 8, depth = 2, activation = "tanh", outputs = 1 }
)"),
               Contains("model: both layers and mlp given"));
    CHECK_THAT(error_of("[model]\ninput_dim = 4\n"), Contains("model: needs layers"));
    CHECK_THAT(error_of("seed = 1\n"), Contains("study.toml: model: missing"));
}

TEST_CASE("study files: precision lists are non-empty and without duplicates", "[io][study]") {
    CHECK_THAT(error_of("precisions = [\"fp32\", \"fp64\", \"fp32\"]\n" + model),
               Equals("study.toml: precisions[2]: 'fp32' is listed twice (also as precisions[0])"));
    CHECK_THAT(error_of("precisions = []\n" + model), Contains("precisions: must name at least one precision"));
}

TEST_CASE("study files: variants override only model, data, init and training, under unique names", "[io][study]") {
    CHECK_THAT(error_of(model + "[[variants]]\nname = \"a\"\nprobes.interval = 2\n"),
               Equals("study.toml: [variants[0]] unknown key 'probes' (valid: name, model, data, init, training)"));
    CHECK_THAT(error_of(model + "[[variants]]\nname = \"a\"\n[[variants]]\nname = \"a\"\n"),
               Contains("variants[1].name: 'a' is already the name of variants[0]"));
    CHECK_THAT(error_of(model + "[[variants]]\nmodel.mlp.depth = 3\n"), Contains("variants[0].name: missing"));
    CHECK_THAT(error_of(model + "[[variants]]\nname = \"\"\n"), Contains("variants[0].name: must not be empty"));
    CHECK_THAT(error_of(model + "[[variants]]\nname = \"a,b\"\n"),
               Contains("variants[0].name: 'a,b' may hold only letters, digits"));
    // A fault in a merged section names the variant.
    CHECK_THAT(error_of(model + "[[variants]]\nname = \"ok\"\n[[variants]]\nname = \"bad\"\nmodel.mlp.activation = \"sigmod\"\n"),
               Contains("study.toml: variant 'bad': model.mlp.activation: unknown activation"));
}

TEST_CASE("study files: data that cannot fit the model or the loss are refused", "[io][study]") {
    CHECK_THAT(error_of(model + "[data]\nkind = \"two_spirals\"\n"),
               Contains("model.input_dim: data.kind 'two_spirals' has 2 features, got 4"));
    CHECK_THAT(error_of(model + "[training]\nloss = \"softmax_cross_entropy\"\n"),
               Contains("training.loss: softmax_cross_entropy needs class labels"));
}
