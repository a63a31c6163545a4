#include "gradlab/validate/validation_case.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <string_view>
#include <variant>

#include <mpfr.h>
#include <nlohmann/json.hpp>

#include "gradlab/scalar/conversions.hpp"
#include "../io/toml_table_reader.hpp"  // closest_key

namespace gradlab::validate {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::string_view case_format = "gradlab-case/1";

// gradlab's activations but prelu, whose learnable slope would be a
// parameter without a file; gradlab's losses but bce_with_logits.
constexpr activation_kind case_activations[] = {
    activation_kind::identity, activation_kind::sigmoid, activation_kind::tanh, activation_kind::relu,
    activation_kind::leaky_relu, activation_kind::elu, activation_kind::gelu, activation_kind::softplus};
constexpr nn::loss_kind case_losses[] = {nn::loss_kind::mse, nn::loss_kind::softmax_cross_entropy};

[[noreturn]] void fail(const fs::path& file, const std::string& what) {
    throw case_error(file.string() + ": " + what);
}

// ---------------------------------------------------------------------------
// model.json. A json_fault says what is wrong at a key path ("layers[1].out");
// read_model_file puts the file's name in front.

struct json_fault : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// "an object", "a string \"4\"", "a number 2.5": what a message says was found.
std::string describe(const json& j) {
    const std::string text = j.dump(-1, ' ', false, json::error_handler_t::replace);
    switch (j.type()) {
        case json::value_t::object: return "an object";
        case json::value_t::array: return "an array";
        case json::value_t::null: return "null";
        case json::value_t::string: return "a string " + text;
        case json::value_t::boolean: return "a boolean " + text;
        default: return "a number " + text;
    }
}

std::string key_path(const std::string& where, std::string_view key) {
    return where.empty() ? std::string(key) : where + "." + std::string(key);
}

std::string comma_list(std::initializer_list<std::string_view> names) {
    std::string list;
    for (auto name : names) list += (list.empty() ? "" : ", ") + std::string(name);
    return list;
}

void check_keys(const json& object, std::initializer_list<std::string_view> keys, const std::string& where) {
    for (const auto& [key, value] : object.items()) {
        if (std::find(keys.begin(), keys.end(), key) != keys.end()) continue;
        const auto likely = io::detail::closest_key(key, keys);
        throw json_fault((where.empty() ? "" : where + ": ") + "unknown key '" + key + "' (" +
                         (likely ? "did you mean '" + std::string(*likely) + "'?" : "valid: " + comma_list(keys)) +
                         ")");
    }
}

const json& member(const json& object, std::string_view key, const std::string& where) {
    const auto found = object.find(key);
    if (found == object.end()) throw json_fault(key_path(where, key) + ": missing");
    return *found;
}

void require_object(const json& j, const std::string& path) {
    if (!j.is_object()) throw json_fault(path + ": expected an object, got " + describe(j));
}

const std::string& string_value(const json& j, const std::string& path) {
    if (!j.is_string()) throw json_fault(path + ": expected a string, got " + describe(j));
    return j.get_ref<const std::string&>();
}

std::size_t positive_integer(const json& j, const std::string& path) {
    if (j.is_number_unsigned() && j.get<std::size_t>() > 0) return j.get<std::size_t>();
    throw json_fault(path + ": expected a positive integer, got " + describe(j));
}

template <class Kind, std::size_t N>
Kind kind_named(const json& j, const std::string& path, const Kind (&kinds)[N], std::string_view (*name_of)(Kind),
                std::string_view what) {
    const std::string& name = string_value(j, path);
    std::string valid;
    for (const Kind kind : kinds) {
        if (name_of(kind) == name) return kind;
        valid += (valid.empty() ? "" : ", ") + std::string(name_of(kind));
    }
    throw json_fault(path + ": unknown " + std::string(what) + " '" + name + "' (valid: " + valid + ")");
}

activation read_activation(const json& layer, const std::string& path) {
    const activation_kind kind =
        kind_named(member(layer, "activation", path), key_path(path, "activation"), case_activations,
                   activation_name, "activation");
    activation f{kind, default_parameter(kind)};
    const auto slope = layer.find("negative_slope");
    if (slope == layer.end()) return f;
    const std::string slope_path = key_path(path, "negative_slope");
    if (kind != activation_kind::leaky_relu)
        throw json_fault(slope_path + ": only leaky_relu takes one, this layer's activation is " +
                         std::string(activation_name(kind)));
    if (!slope->is_number()) throw json_fault(slope_path + ": expected a number, got " + describe(*slope));
    f.parameter = slope->get<double>();
    if (!std::isfinite(f.parameter)) throw json_fault(slope_path + ": must be finite, got " + describe(*slope));
    return f;
}

// Dense(out, bias), then the activation unless it is identity.
void read_layer(const json& layer, const std::string& path, std::vector<nn::layer_spec>& layers) {
    require_object(layer, path);
    check_keys(layer, {"type", "out", "activation", "negative_slope", "bias"}, path);
    const std::string& type = string_value(member(layer, "type", path), key_path(path, "type"));
    if (type != "dense")
        throw json_fault(key_path(path, "type") + ": unknown layer type '" + type + "' (valid: dense)");
    nn::dense_spec dense{positive_integer(member(layer, "out", path), key_path(path, "out"))};
    if (const auto bias = layer.find("bias"); bias != layer.end()) {
        if (!bias->is_boolean())
            throw json_fault(key_path(path, "bias") + ": expected true or false, got " + describe(*bias));
        dense.bias = bias->get<bool>();
    }
    const activation f = read_activation(layer, path);
    layers.emplace_back(dense);
    if (f.kind != activation_kind::identity) layers.emplace_back(nn::activation_spec{f});
}

struct case_model {
    nn::model_spec model;
    nn::loss_kind loss;
};

case_model read_model(const json& root) {
    if (!root.is_object()) throw json_fault("expected an object at the top, got " + describe(root));
    // The format first: another version's keys are not typos.
    const auto format = root.find("format");
    if (format == root.end())
        throw json_fault("format: missing (a case's model.json gives \"format\": \"" + std::string(case_format) +
                         "\")");
    if (string_value(*format, "format") != case_format)
        throw json_fault("format: '" + format->get<std::string>() + "' is not '" + std::string(case_format) + "'");
    check_keys(root, {"format", "input_dim", "layers", "loss", "reduction"}, "");

    case_model m{{positive_integer(member(root, "input_dim", ""), "input_dim"), {}}, {}};
    const json& layers = member(root, "layers", "");
    if (!layers.is_array()) throw json_fault("layers: expected an array of layers, got " + describe(layers));
    if (layers.empty()) throw json_fault("layers: must hold at least one layer");
    for (std::size_t i = 0; i < layers.size(); ++i)
        read_layer(layers[i], "layers[" + std::to_string(i) + "]", m.model.layers);
    m.loss = kind_named(member(root, "loss", ""), "loss", case_losses, nn::loss_name, "loss");
    const std::string& reduction = string_value(member(root, "reduction", ""), "reduction");
    if (reduction != "mean") throw json_fault("reduction: '" + reduction + "' is not 'mean' (the only one there is)");
    return m;
}

// ---------------------------------------------------------------------------
// Files.

void require_file(const fs::path& file) {
    std::error_code error;
    const fs::file_status status = fs::status(file, error);
    if (status.type() == fs::file_type::not_found) fail(file, "missing");
    if (error) fail(file, "cannot be read (" + error.message() + ")");
    if (!fs::is_regular_file(status)) fail(file, "not a regular file");
}

std::string file_text(const fs::path& file) {
    require_file(file);
    std::ifstream in(file, std::ios::binary);
    if (!in) fail(file, "cannot be opened");
    std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (in.bad()) fail(file, "cannot be read");
    return text;
}

case_model read_model_file(const fs::path& file) {
    const std::string text = file_text(file);
    json root;
    try {
        root = json::parse(text);
    } catch (const json::parse_error& e) {
        // nlohmann's "[json.exception.parse_error.101] parse error at line 3, column 5: ...", from "line" on.
        const std::string what = e.what();
        const auto at = what.find("at line ");
        fail(file, "not JSON (" + (at == std::string::npos ? what : what.substr(at + 3)) + ")");
    }
    try {
        return read_model(root);
    } catch (const json_fault& e) {
        fail(file, e.what());
    }
}

io::npy_array read_array(const fs::path& file) {
    require_file(file);
    try {
        return io::read_npy(file);
    } catch (const io::npy_error& e) {
        throw case_error(e.what());
    }
}

std::string shape_text(const std::vector<std::size_t>& shape) {
    std::string text = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
    return text + (shape.size() == 1 ? ",)" : ")");
}

std::string dtype_text(io::npy_dtype dtype) { return "dtype " + std::string(io::npy_descr(dtype)); }

void require_floats(const fs::path& file, const io::npy_array& a, const std::string& what) {
    if (a.is_integer()) fail(file, dtype_text(a.dtype) + ", " + what + " must be <f4 or <f8");
}

// ---------------------------------------------------------------------------
// x and y.

void check_rows(const fs::path& file, const io::npy_array& a, std::size_t rows) {
    if (a.rows() != rows)
        fail(file, std::to_string(a.rows()) + " rows, x.npy has " + std::to_string(rows));
}

void check_x(const fs::path& file, const io::npy_array& x, std::size_t input_dim) {
    require_floats(file, x, "x");
    if (x.shape.size() != 2)
        fail(file, "shape " + shape_text(x.shape) + ", x must be (N, input_dim) = (N, " + std::to_string(input_dim) +
                       ")");
    if (x.rows() == 0) fail(file, "shape " + shape_text(x.shape) + ": an empty batch (N = 0) has no mean loss");
    if (x.cols() != input_dim)
        fail(file, "shape " + shape_text(x.shape) + ", model.json says input_dim " + std::to_string(input_dim));
}

void check_targets(const fs::path& file, const io::npy_array& y, std::size_t rows, std::size_t outputs) {
    require_floats(file, y, "mse targets");
    if (y.shape.size() != 2)
        fail(file, "shape " + shape_text(y.shape) + ", mse targets must be (N, outputs) = " +
                       shape_text({rows, outputs}));
    check_rows(file, y, rows);
    if (y.cols() != outputs)
        fail(file, "shape " + shape_text(y.shape) + ", the model has " + std::to_string(outputs) + " outputs");
}

void check_labels(const fs::path& file, const io::npy_array& y, std::size_t rows, std::size_t classes) {
    if (!y.is_integer())
        fail(file, dtype_text(y.dtype) + ", softmax_cross_entropy labels must be <i8 or <i4");
    if (y.shape.size() != 1)
        fail(file, "shape " + shape_text(y.shape) + ", softmax_cross_entropy labels must be (N,) = " +
                       shape_text({rows}));
    check_rows(file, y, rows);
    const auto& labels = std::get<std::vector<std::int64_t>>(y.values);
    for (std::size_t row = 0; row < labels.size(); ++row)
        if (labels[row] < 0 || static_cast<std::uint64_t>(labels[row]) >= classes)
            fail(file, "label " + std::to_string(labels[row]) + " at row " + std::to_string(row) + " is outside [0, " +
                           std::to_string(classes) + ")");
}

// ---------------------------------------------------------------------------
// params/ and grads/.

struct tensor_slot {
    std::string name;
    std::vector<std::size_t> shape;
};

struct absent_bias {
    std::string name;  // "layers.1.bias"
    std::size_t layer;
};

struct tensor_layout {
    std::vector<tensor_slot> tensors;  // network order
    std::vector<absent_bias> absent_biases;  // of the layers with "bias": false
    std::size_t layers = 0;
};

tensor_layout layout_of(const nn::model_spec& model) {
    tensor_layout layout;
    std::size_t in = model.input_dim;
    for (const auto& l : model.layers) {
        const auto* dense = std::get_if<nn::dense_spec>(&l.settings);
        if (!dense) continue;
        const std::size_t layer = layout.layers++;
        const std::string prefix = "layers." + std::to_string(layer) + ".";
        layout.tensors.push_back({prefix + "weight", {dense->out, in}});
        if (dense->bias) layout.tensors.push_back({prefix + "bias", {dense->out}});
        else layout.absent_biases.push_back({prefix + "bias", layer});
        in = dense->out;
    }
    return layout;
}

// The names of the .npy files in `directory`, sorted; none when it does not exist.
std::vector<std::string> npy_files_in(const fs::path& directory) {
    std::error_code error;
    const fs::file_status status = fs::status(directory, error);
    if (status.type() == fs::file_type::not_found) return {};
    if (!fs::is_directory(status)) fail(directory, "not a directory");
    std::vector<std::string> names;
    for (fs::directory_iterator it(directory, error), end; !error && it != end; it.increment(error))
        if (it->path().extension() == ".npy") names.push_back(it->path().filename().string());
    if (error) fail(directory, "cannot be listed (" + error.message() + ")");
    std::sort(names.begin(), names.end());
    return names;
}

// A .npy file the model has no tensor for is most likely a misspelt name
// (then the tensor it stands for is missing too): it is refused first, with
// the missing name it is closest to.
void refuse_stray_files(const fs::path& directory, const tensor_layout& layout) {
    const std::vector<std::string> present = npy_files_in(directory);
    const auto is_present = [&](const std::string& file) {
        return std::binary_search(present.begin(), present.end(), file);
    };
    for (const std::string& file : present) {
        const std::string name = file.substr(0, file.size() - 4);
        const auto expected = [&](const tensor_slot& t) { return t.name == name; };
        if (std::any_of(layout.tensors.begin(), layout.tensors.end(), expected)) continue;
        const fs::path stray = directory / file;
        for (const absent_bias& b : layout.absent_biases)
            if (b.name == name)
                fail(stray,
                     "unexpected file: model.json gives layers[" + std::to_string(b.layer) + "] \"bias\": false");
        for (const tensor_slot& t : layout.tensors)
            if (!is_present(t.name + ".npy") && io::detail::closest_key(name, {std::string_view(t.name)}))
                fail(stray, "unexpected file (did you mean '" + t.name + ".npy'?)");
        fail(stray, "unexpected file: model.json's model has no such tensor (its layers are layers.0 to layers." +
                        std::to_string(layout.layers - 1) + ")");
    }
}

std::vector<case_tensor> read_tensors(const fs::path& directory, const tensor_layout& layout, const std::string& what) {
    refuse_stray_files(directory, layout);
    std::vector<case_tensor> tensors;
    for (const tensor_slot& slot : layout.tensors) {
        const fs::path file = directory / (slot.name + ".npy");
        io::npy_array a = read_array(file);
        require_floats(file, a, what);
        if (a.shape != slot.shape)
            fail(file, "shape " + shape_text(a.shape) + ", model.json says " + shape_text(slot.shape));
        tensors.push_back({slot.name, a.shape, a.dtype, std::move(std::get<std::vector<double>>(a.values))});
    }
    return tensors;
}

// The dtype most gradients have (the first one's on a tie); any other is the fault.
io::npy_dtype common_dtype(const fs::path& directory, const std::vector<case_tensor>& gradients) {
    const auto f4 = static_cast<std::size_t>(std::count_if(
        gradients.begin(), gradients.end(), [](const case_tensor& g) { return g.dtype == io::npy_dtype::f4; }));
    const io::npy_dtype common = 2 * f4 > gradients.size()   ? io::npy_dtype::f4
                                 : 2 * f4 < gradients.size() ? io::npy_dtype::f8
                                                             : gradients.front().dtype;
    for (const case_tensor& g : gradients)
        if (g.dtype != common)
            fail(directory / (g.name + ".npy"),
                 dtype_text(g.dtype) + ", the other gradients are " + std::string(io::npy_descr(common)));
    return common;
}

// ---------------------------------------------------------------------------
// loss.txt.

bool is_number(const std::string& text) {
    mpfr_t x;
    mpfr_init2(x, 64);
    const bool number = parse_number(text, x);
    mpfr_clear(x);
    return number;
}

std::optional<std::string> read_loss_text(const fs::path& file) {
    std::error_code error;
    if (fs::status(file, error).type() == fs::file_type::not_found) return std::nullopt;
    const std::string text = file_text(file);
    constexpr std::string_view space = " \t\r\n\f\v";
    const auto first = text.find_first_not_of(space);
    if (first == std::string::npos) fail(file, "empty (it holds the loss, one number, when present)");
    const std::string trimmed = text.substr(first, text.find_last_not_of(space) + 1 - first);
    if (!is_number(trimmed)) {
        constexpr std::size_t shown = 40;
        fail(file, "'" + (trimmed.size() > shown ? trimmed.substr(0, shown) + "..." : trimmed) +
                       "' is not a number (a decimal, inf or nan)");
    }
    return trimmed;
}

}  // namespace

validation_case read_case(const fs::path& directory) {
    std::error_code error;
    const fs::file_status status = fs::status(directory, error);
    if (status.type() == fs::file_type::not_found) fail(directory, "no such directory");
    if (!fs::is_directory(status)) fail(directory, "not a directory");

    case_model m = read_model_file(directory / "model.json");
    io::npy_array x = read_array(directory / "x.npy");
    io::npy_array y = read_array(directory / "y.npy");
    check_x(directory / "x.npy", x, m.model.input_dim);
    const std::size_t outputs = nn::output_width(m.model.layers, m.model.input_dim);
    if (m.loss == nn::loss_kind::mse) check_targets(directory / "y.npy", y, x.rows(), outputs);
    else check_labels(directory / "y.npy", y, x.rows(), outputs);

    const tensor_layout layout = layout_of(m.model);
    std::vector<case_tensor> parameters = read_tensors(directory / "params", layout, "a parameter");
    std::vector<case_tensor> gradients = read_tensors(directory / "grads", layout, "a gradient");
    const io::npy_dtype dtype = common_dtype(directory / "grads", gradients);
    return {directory,        std::move(m.model),    m.loss, std::move(x), std::move(y), std::move(parameters),
            std::move(gradients), dtype, read_loss_text(directory / "loss.txt")};
}

}  // namespace gradlab::validate
