// Validation case directories (DESIGN.md, "Validation case format"): a good
// case reads back exactly (values bit for bit, NaN and Inf included, names,
// order, the model and the loss); every malformed variant is refused with one
// case_error whose message names the file and the fault; truncated and
// garbled .npy files inside a case give case_errors naming the file, never
// another exception.

#include <bit>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "gradlab/validate/validation_case.hpp"
#include "support/scratch_directory.hpp"

using namespace gradlab;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using Catch::Matchers::StartsWith;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr double quiet_nan = std::numeric_limits<double>::quiet_NaN();
constexpr double infinity = std::numeric_limits<double>::infinity();

// input_dim 2 -> Dense(3) tanh -> Dense(4, no bias) leaky_relu(0.2) -> Dense(2); 3 examples.
json good_model() {
    return json::parse(R"({
        "format": "gradlab-case/1",
        "input_dim": 2,
        "layers": [
            {"type": "dense", "out": 3, "activation": "tanh"},
            {"type": "dense", "out": 4, "activation": "leaky_relu", "negative_slope": 0.2, "bias": false},
            {"type": "dense", "out": 2, "activation": "identity"}
        ],
        "loss": "softmax_cross_entropy",
        "reduction": "mean"
    })");
}

nn::model_spec good_spec() {
    return {2,
            {nn::dense_spec{3, true}, nn::activation_spec{{activation_kind::tanh, 0.0}}, nn::dense_spec{4, false},
             nn::activation_spec{{activation_kind::leaky_relu, 0.2}}, nn::dense_spec{2, true}}};
}

struct tensor {
    std::string name;
    std::vector<std::size_t> shape;
};

const std::vector<tensor> good_tensors = {{"layers.0.weight", {3, 2}},
                                          {"layers.0.bias", {3}},
                                          {"layers.1.weight", {4, 3}},
                                          {"layers.2.weight", {2, 4}},
                                          {"layers.2.bias", {2}}};

std::size_t count(const std::vector<std::size_t>& shape) {
    std::size_t n = 1;
    for (auto d : shape) n *= d;
    return n;
}

// Distinct values per tensor (seed), with the awkward ones in front: NaN, Inf,
// -0, the smallest subnormal; values of float so that <f4 files hold them exactly.
std::vector<double> values_of(std::size_t n, int seed) {
    const std::vector<double> special = {quiet_nan, -infinity, -0.0,
                                         static_cast<double>(std::numeric_limits<float>::denorm_min())};
    std::vector<double> v;
    for (std::size_t i = 0; i < n; ++i) {
        const auto ordinary = static_cast<float>(0.1 * seed + 0.37 * static_cast<double>(i) - 1);
        v.push_back(i < special.size() && seed % 2 == 0 ? special[i] : static_cast<double>(ordinary));
    }
    return v;
}

void write_text(const fs::path& file, const std::string& text) {
    std::ofstream out(file, std::ios::binary);
    out << text;
    REQUIRE(out);
}

std::string read_bytes(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_model(const fs::path& dir, const json& model) { write_text(dir / "model.json", model.dump(2)); }

// A .npy file in a 4-byte dtype (io::write_npy writes <f8 and <i8 only), laid
// out as numpy writes it: header padded with spaces to a multiple of 64 bytes.
void write_npy_4(const fs::path& file, const std::string& descr, const std::vector<std::size_t>& shape,
                 const std::vector<double>& values) {
    std::string tuple = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) tuple += (i ? ", " : "") + std::to_string(shape[i]);
    tuple += shape.size() == 1 ? ",)" : ")";
    std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + tuple + ", }";
    header.append(63 - (10 + header.size()) % 64, ' ');
    header += '\n';
    std::string bytes = "\x93NUMPY\x01";
    bytes += '\0';
    bytes += static_cast<char>(header.size() & 0xff);
    bytes += static_cast<char>(header.size() >> 8);
    bytes += header;
    for (const double v : values) {
        const std::uint32_t bits = descr == "<f4" ? std::bit_cast<std::uint32_t>(static_cast<float>(v))
                                                  : static_cast<std::uint32_t>(static_cast<std::int32_t>(v));
        for (int b = 0; b < 4; ++b) bytes += static_cast<char>((bits >> (8 * b)) & 0xff);
    }
    write_text(file, bytes);
}

void write_f8(const fs::path& file, const std::vector<std::size_t>& shape, const std::vector<double>& values) {
    io::write_npy(file, shape, values);
}

void write_i8(const fs::path& file, const std::vector<std::size_t>& shape, const std::vector<std::int64_t>& values) {
    io::write_npy(file, shape, values);
}

const std::vector<double> good_x = {quiet_nan, 0.5, infinity, -1.25, 2.0, 3.0};
const std::vector<std::int64_t> good_labels = {0, 1, 1};

// The good case (fp64, softmax_cross_entropy) in `dir`.
void write_good_case(const fs::path& dir) {
    fs::create_directories(dir / "params");
    fs::create_directories(dir / "grads");
    write_model(dir, good_model());
    write_f8(dir / "x.npy", {3, 2}, good_x);
    write_i8(dir / "y.npy", {3}, good_labels);
    for (std::size_t t = 0; t < good_tensors.size(); ++t) {
        const auto& [name, shape] = good_tensors[t];
        write_f8(dir / "params" / (name + ".npy"), shape, values_of(count(shape), static_cast<int>(2 * t)));
        write_f8(dir / "grads" / (name + ".npy"), shape, values_of(count(shape), static_cast<int>(2 * t + 1)));
    }
    write_text(dir / "loss.txt", "  0.6931471805599453\n");
}

// The good case in a fresh scratch directory, at <scratch>/a.
struct good_case {
    testing::scratch_directory scratch{"validation_case"};
    fs::path dir = scratch / "a";
    good_case() { write_good_case(dir); }
    fs::path operator/(const std::string& file) const { return dir / file; }
};

std::string error_of(const fs::path& dir) {
    try {
        validate::read_case(dir);
    } catch (const validate::case_error& e) {
        return e.what();
    } catch (const std::exception& e) {
        FAIL("not a case_error: " << e.what());
    }
    FAIL("accepted: " << dir.string());
    return {};
}

// The case in `dir` is refused naming `file` (first) and saying `fault`.
void check_refused(const fs::path& dir, const fs::path& file, const std::string& fault) {
    CHECK_THAT(error_of(dir), StartsWith(file.string() + ": ") && Contains(fault));
}

// The good case with model.json changed by `change`, refused with `fault`.
template <class Change>
void check_model_refused(Change change, const std::string& fault) {
    const good_case c;
    json model = good_model();
    change(model);
    write_model(c.dir, model);
    check_refused(c.dir, c / "model.json", fault);
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::bit_cast<std::uint64_t>(a[i]) != std::bit_cast<std::uint64_t>(b[i])) return false;
    return true;
}

}  // namespace

TEST_CASE("validation cases: a good case reads back exactly", "[validate][case]") {
    const good_case c;
    const validate::validation_case v = validate::read_case(c.dir);
    CHECK(v.directory == c.dir);
    CHECK(v.model == good_spec());
    CHECK(v.loss == nn::loss_kind::softmax_cross_entropy);
    CHECK(v.x.dtype == io::npy_dtype::f8);
    CHECK(v.x.shape == std::vector<std::size_t>{3, 2});
    CHECK(same_bits(std::get<std::vector<double>>(v.x.values), good_x));
    CHECK(v.y.dtype == io::npy_dtype::i8);
    CHECK(std::get<std::vector<std::int64_t>>(v.y.values) == good_labels);
    REQUIRE(v.parameters.size() == good_tensors.size());
    REQUIRE(v.gradients.size() == good_tensors.size());
    for (std::size_t t = 0; t < good_tensors.size(); ++t) {
        INFO("tensor " << good_tensors[t].name);
        const auto n = count(good_tensors[t].shape);
        for (const auto* got : {&v.parameters[t], &v.gradients[t]}) {
            CHECK(got->name == good_tensors[t].name);
            CHECK(got->shape == good_tensors[t].shape);
            CHECK(got->dtype == io::npy_dtype::f8);
        }
        CHECK(same_bits(v.parameters[t].values, values_of(n, static_cast<int>(2 * t))));
        CHECK(same_bits(v.gradients[t].values, values_of(n, static_cast<int>(2 * t + 1))));
    }
    CHECK(v.dtype == io::npy_dtype::f8);
    CHECK(v.loss_text == std::optional<std::string>("0.6931471805599453"));
}

TEST_CASE("validation cases: fp32 files, mse, int32 labels and an absent loss.txt read back exactly",
          "[validate][case]") {
    const good_case c;
    fs::remove(c / "loss.txt");
    for (std::size_t t = 0; t < good_tensors.size(); ++t) {
        const auto& [name, shape] = good_tensors[t];
        write_npy_4(c / "grads" / (name + ".npy"), "<f4", shape, values_of(count(shape), static_cast<int>(2 * t + 1)));
    }
    write_npy_4(c / "params" / "layers.0.weight.npy", "<f4", {3, 2}, values_of(6, 0));
    write_npy_4(c / "y.npy", "<i4", {3}, {1, 0, 1});
    validate::validation_case v = validate::read_case(c.dir);
    CHECK(v.dtype == io::npy_dtype::f4);
    CHECK(v.gradients[2].dtype == io::npy_dtype::f4);
    CHECK(same_bits(v.gradients[2].values, values_of(12, 5)));
    CHECK(v.parameters[0].dtype == io::npy_dtype::f4);
    CHECK(same_bits(v.parameters[0].values, values_of(6, 0)));
    CHECK(v.parameters[1].dtype == io::npy_dtype::f8);
    CHECK(std::get<std::vector<std::int64_t>>(v.y.values) == std::vector<std::int64_t>{1, 0, 1});
    CHECK_FALSE(v.loss_text.has_value());

    json model = good_model();
    model["loss"] = "mse";
    model["layers"][0]["activation"] = "elu";
    model["layers"][1].erase("negative_slope");
    write_model(c.dir, model);
    write_npy_4(c / "y.npy", "<f4", {3, 2}, {0.5, -0.25, quiet_nan, 1, 2, 3});
    write_text(c / "loss.txt", "-inf");
    v = validate::read_case(c.dir);
    CHECK(v.loss == nn::loss_kind::mse);
    nn::model_spec expected = good_spec();
    expected.layers[1] = nn::activation_spec{{activation_kind::elu, 1.0}};
    expected.layers[3] = nn::activation_spec{{activation_kind::leaky_relu, 0.01}};
    CHECK(v.model == expected);
    CHECK(v.y.dtype == io::npy_dtype::f4);
    CHECK(same_bits(std::get<std::vector<double>>(v.y.values), {0.5, -0.25, quiet_nan, 1, 2, 3}));
    CHECK(v.loss_text == std::optional<std::string>("-inf"));
}

TEST_CASE("validation cases: model.json faults are refused naming the file and the key", "[validate][case]") {
    check_model_refused([](json& m) { m["layers"][1]["activation"] = "tanhh"; },
                        ": layers[1].activation: unknown activation 'tanhh' (valid: identity, sigmoid, tanh, relu, "
                        "leaky_relu, elu, gelu, softplus)");
    // prelu's slope would be a parameter the format has no file for.
    check_model_refused([](json& m) { m["layers"][0]["activation"] = "prelu"; },
                        "layers[0].activation: unknown activation 'prelu'");
    check_model_refused([](json& m) { m["lyers"] = m["layers"]; m.erase("layers"); },
                        ": unknown key 'lyers' (did you mean 'layers'?)");
    check_model_refused([](json& m) { m["layers"][0]["outt"] = 3; },
                        ": layers[0]: unknown key 'outt' (did you mean 'out'?)");
    check_model_refused([](json& m) { m["comment"] = "x"; },
                        "unknown key 'comment' (valid: format, input_dim, layers, loss, reduction)");
    check_model_refused([](json& m) { m["format"] = "gradlab-case/2"; },
                        ": format: 'gradlab-case/2' is not 'gradlab-case/1'");
    check_model_refused([](json& m) { m.erase("format"); }, ": format: missing");
    check_model_refused([](json& m) { m = json::array({1, 2}); }, ": expected an object at the top, got an array");
    check_model_refused([](json& m) { m["input_dim"] = "2"; },
                        ": input_dim: expected a positive integer, got a string \"2\"");
    check_model_refused([](json& m) { m["input_dim"] = 0; },
                        ": input_dim: expected a positive integer, got a number 0");
    check_model_refused([](json& m) { m.erase("input_dim"); }, ": input_dim: missing");
    check_model_refused([](json& m) { m["layers"][2]["out"] = 2.5; },
                        ": layers[2].out: expected a positive integer, got a number 2.5");
    check_model_refused([](json& m) { m["layers"][2]["out"] = -2; },
                        ": layers[2].out: expected a positive integer, got a number -2");
    check_model_refused([](json& m) { m["layers"][2]["out"] = 0; }, ": layers[2].out: expected a positive integer");
    check_model_refused([](json& m) { m["layers"][2].erase("out"); }, ": layers[2].out: missing");
    check_model_refused([](json& m) { m["layers"][0].erase("activation"); }, ": layers[0].activation: missing");
    check_model_refused([](json& m) { m["layers"][0]["activation"] = 3; },
                        ": layers[0].activation: expected a string, got a number 3");
    check_model_refused([](json& m) { m["layers"][0]["bias"] = "yes"; },
                        ": layers[0].bias: expected true or false, got a string \"yes\"");
    check_model_refused([](json& m) { m["layers"][0]["type"] = "conv"; },
                        ": layers[0].type: unknown layer type 'conv' (valid: dense)");
    check_model_refused([](json& m) { m["layers"][0].erase("type"); }, ": layers[0].type: missing");
    check_model_refused([](json& m) { m["layers"][1] = 4; }, ": layers[1]: expected an object, got a number 4");
    check_model_refused([](json& m) { m["layers"] = json::object(); }, ": layers: expected an array of layers");
    check_model_refused([](json& m) { m["layers"] = json::array(); }, ": layers: must hold at least one layer");
    check_model_refused([](json& m) { m["layers"][0]["negative_slope"] = 0.1; },
                        ": layers[0].negative_slope: only leaky_relu takes one, this layer's activation is tanh");
    check_model_refused([](json& m) { m["layers"][1]["negative_slope"] = "0.2"; },
                        ": layers[1].negative_slope: expected a number, got a string \"0.2\"");
    check_model_refused([](json& m) { m["loss"] = "bce_with_logits"; },
                        ": loss: unknown loss 'bce_with_logits' (valid: mse, softmax_cross_entropy)");
    check_model_refused([](json& m) { m["reduction"] = "sum"; }, ": reduction: 'sum' is not 'mean'");
    check_model_refused([](json& m) { m.erase("reduction"); }, ": reduction: missing");

    const good_case c;
    write_text(c / "model.json", "{\n  \"format\": \"gradlab-case/1\",\n  input_dim: 2\n}\n");
    check_refused(c.dir, c / "model.json", ": not JSON (line 3, column 3: syntax error");
    write_text(c / "model.json", "");
    check_refused(c.dir, c / "model.json", ": not JSON (");
    fs::remove(c / "model.json");
    check_refused(c.dir, c / "model.json", ": missing");
}

TEST_CASE("validation cases: the directory itself must be one", "[validate][case]") {
    const good_case c;
    check_refused(c / "nowhere", c / "nowhere", ": no such directory");
    check_refused(c / "model.json", c / "model.json", ": not a directory");
}

TEST_CASE("validation cases: file faults are refused naming the file", "[validate][case]") {
    {
        const good_case c;
        write_f8(c / "params/layers.1.weight.npy", {4, 5}, std::vector<double>(20, 1.0));
        check_refused(c.dir, c / "params/layers.1.weight.npy", ": shape (4, 5), model.json says (4, 3)");
    }
    {
        const good_case c;
        write_f8(c / "grads/layers.0.bias.npy", {1, 3}, {1, 2, 3});
        check_refused(c.dir, c / "grads/layers.0.bias.npy", ": shape (1, 3), model.json says (3,)");
    }
    {
        const good_case c;
        fs::remove(c / "grads/layers.0.bias.npy");
        check_refused(c.dir, c / "grads/layers.0.bias.npy", ": missing");
    }
    {
        const good_case c;
        fs::remove_all(c / "params");
        check_refused(c.dir, c / "params/layers.0.weight.npy", ": missing");
    }
    {
        const good_case c;
        fs::remove_all(c / "grads");
        write_text(c / "grads", "not a directory");
        check_refused(c.dir, c / "grads", ": not a directory");
    }
    {
        const good_case c;
        fs::remove(c / "x.npy");
        check_refused(c.dir, c / "x.npy", ": missing");
    }
    {
        const good_case c;
        write_i8(c / "y.npy", {3}, {0, 1, 7});
        check_refused(c.dir, c / "y.npy", ": label 7 at row 2 is outside [0, 2)");
    }
    {
        const good_case c;
        write_i8(c / "y.npy", {3}, {0, -1, 1});
        check_refused(c.dir, c / "y.npy", ": label -1 at row 1 is outside [0, 2)");
    }
    {
        const good_case c;
        write_npy_4(c / "grads/layers.1.weight.npy", "<f4", {4, 3}, std::vector<double>(12, 0.5));
        check_refused(c.dir, c / "grads/layers.1.weight.npy", ": dtype <f4, the other gradients are <f8");
    }
    {
        // The dtype most gradients have is the case's: the one <f8 left is the fault.
        const good_case c;
        for (const auto& [name, shape] : good_tensors)
            if (name != "layers.2.weight")
                write_npy_4(c / "grads" / (name + ".npy"), "<f4", shape, std::vector<double>(count(shape), 0.5));
        check_refused(c.dir, c / "grads/layers.2.weight.npy", ": dtype <f8, the other gradients are <f4");
    }
    {
        const good_case c;
        write_i8(c / "y.npy", {2}, {0, 1});
        check_refused(c.dir, c / "y.npy", ": 2 rows, x.npy has 3");
    }
    {
        const good_case c;
        write_f8(c / "x.npy", {0, 2}, {});
        write_i8(c / "y.npy", {0}, {});
        check_refused(c.dir, c / "x.npy", ": shape (0, 2): an empty batch (N = 0) has no mean loss");
    }
    {
        const good_case c;
        write_f8(c / "x.npy", {3, 5}, std::vector<double>(15, 1.0));
        check_refused(c.dir, c / "x.npy", ": shape (3, 5), model.json says input_dim 2");
    }
    {
        const good_case c;
        write_f8(c / "x.npy", {6}, good_x);
        check_refused(c.dir, c / "x.npy", ": shape (6,), x must be (N, input_dim) = (N, 2)");
    }
    {
        const good_case c;
        write_i8(c / "x.npy", {3, 2}, {1, 2, 3, 4, 5, 6});
        check_refused(c.dir, c / "x.npy", ": dtype <i8, x must be <f4 or <f8");
    }
    {
        const good_case c;
        write_f8(c / "y.npy", {3}, {0, 1, 1});
        check_refused(c.dir, c / "y.npy", ": dtype <f8, softmax_cross_entropy labels must be <i8 or <i4");
    }
    {
        const good_case c;
        write_i8(c / "y.npy", {3, 1}, {0, 1, 1});
        check_refused(c.dir, c / "y.npy", ": shape (3, 1), softmax_cross_entropy labels must be (N,) = (3,)");
    }
    {
        const good_case c;
        write_i8(c / "params/layers.2.bias.npy", {2}, {1, 2});
        check_refused(c.dir, c / "params/layers.2.bias.npy", ": dtype <i8, a parameter must be <f4 or <f8");
    }
    {
        const good_case c;
        write_npy_4(c / "grads/layers.0.weight.npy", "<i4", {3, 2}, std::vector<double>(6, 1));
        check_refused(c.dir, c / "grads/layers.0.weight.npy", ": dtype <i4, a gradient must be <f4 or <f8");
    }
    {
        const good_case c;
        fs::rename(c / "params/layers.0.weight.npy", c / "params/layers.0.wieght.npy");
        check_refused(c.dir, c / "params/layers.0.wieght.npy",
                      ": unexpected file (did you mean 'layers.0.weight.npy'?)");
    }
    {
        const good_case c;
        write_f8(c / "grads/layers.1.bias.npy", {4}, {1, 2, 3, 4});
        check_refused(c.dir, c / "grads/layers.1.bias.npy",
                      ": unexpected file: model.json gives layers[1] \"bias\": false");
    }
    {
        const good_case c;
        write_f8(c / "grads/layers.3.weight.npy", {1, 2}, {1, 2});
        check_refused(c.dir, c / "grads/layers.3.weight.npy",
                      ": unexpected file: model.json's model has no such tensor (its layers are layers.0 to layers.2)");
    }
    {
        const good_case c;
        write_text(c / "loss.txt", "abc\n");
        check_refused(c.dir, c / "loss.txt", ": 'abc' is not a number");
    }
    {
        const good_case c;
        write_text(c / "loss.txt", "0.5 0.25");
        check_refused(c.dir, c / "loss.txt", ": '0.5 0.25' is not a number");
    }
    {
        const good_case c;
        write_text(c / "loss.txt", " \n");
        check_refused(c.dir, c / "loss.txt", ": empty");
    }
}

TEST_CASE("validation cases: mse targets must be floats of the output's shape", "[validate][case]") {
    const auto mse_case = [](const good_case& c) {
        json model = good_model();
        model["loss"] = "mse";
        write_model(c.dir, model);
    };
    {
        const good_case c;
        mse_case(c);
        write_i8(c / "y.npy", {3, 2}, {0, 1, 1, 0, 1, 1});
        check_refused(c.dir, c / "y.npy", ": dtype <i8, mse targets must be <f4 or <f8");
    }
    {
        const good_case c;
        mse_case(c);
        write_f8(c / "y.npy", {3, 3}, std::vector<double>(9, 0.5));
        check_refused(c.dir, c / "y.npy", ": shape (3, 3), the model has 2 outputs");
    }
    {
        const good_case c;
        mse_case(c);
        write_f8(c / "y.npy", {6}, std::vector<double>(6, 0.5));
        check_refused(c.dir, c / "y.npy", ": shape (6,), mse targets must be (N, outputs) = (3, 2)");
    }
    {
        const good_case c;
        mse_case(c);
        write_f8(c / "y.npy", {4, 2}, std::vector<double>(8, 0.5));
        check_refused(c.dir, c / "y.npy", ": 4 rows, x.npy has 3");
    }
}

TEST_CASE("validation cases: truncated and garbled .npy files are refused naming the file", "[validate][case]") {
    const good_case c;
    const fs::path file = c / "grads/layers.0.weight.npy";
    const std::string bytes = read_bytes(file);
    const std::string named = file.string();
    for (std::size_t length = 0; length < bytes.size(); ++length) {
        INFO("truncated to " << length << " of " << bytes.size() << " bytes");
        write_text(file, bytes.substr(0, length));
        CHECK_THAT(error_of(c.dir), Contains(named));
    }
    write_text(file, bytes + "extra");
    CHECK_THAT(error_of(c.dir), Contains(named) && Contains("the data hold"));
    // Every byte of the magic, version, length and header replaced: refused
    // naming the file, or (a padding space made a tab) still accepted.
    const std::size_t header_end =
        10 + static_cast<unsigned char>(bytes[8]) + 256u * static_cast<unsigned char>(bytes[9]);
    for (std::size_t at = 0; at < header_end; ++at)
        for (const char garbage : {'\xff', '\t', '9'}) {
            INFO("byte " << at << " replaced by " << static_cast<int>(garbage));
            std::string garbled = bytes;
            garbled[at] = garbage;
            write_text(file, garbled);
            try {
                validate::read_case(c.dir);
            } catch (const validate::case_error& e) {
                CHECK_THAT(e.what(), Contains(named));
            }
        }
    write_text(file, "this is not a .npy file at all");
    CHECK_THAT(error_of(c.dir), Equals("npy file '" + named + "': not a .npy file: it does not start with \\x93NUMPY"));
}
