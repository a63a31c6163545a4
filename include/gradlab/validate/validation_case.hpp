#pragma once
// A validation case directory (DESIGN.md, "Validation case format"): a model
// in model.json, a batch in x.npy and y.npy, the parameters in params/ and
// the gradients under test in grads/, named as PyTorch's state_dict names
// them, and optionally the loss in loss.txt.
//
// read_case checks everything before anything is computed from it and
// refuses each fault with one case_error naming the file (the directory as
// given, then the file) and what is wrong: unknown or mistyped keys of
// model.json (the closest valid key suggested), shapes that disagree with
// the model, a missing tensor or a stray .npy file in params/ or grads/,
// labels outside the classes, an empty batch, integer data where floats
// belong and vice versa, gradients of mixed dtypes. io::npy_error messages
// (which name the file) come through as case_errors with the same text.
// NaN and Inf in the data are values like any other: they are accepted.

#include <cstddef>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "gradlab/io/npy.hpp"
#include "gradlab/nn/loss.hpp"
#include "gradlab/nn/model_spec.hpp"

namespace gradlab::validate {

struct case_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// One parameter or gradient tensor of a case, its values exactly as in the file (f4 and f8 read as double).
struct case_tensor {
    std::string name;                // "layers.0.weight", "layers.0.bias" (PyTorch state_dict names)
    std::vector<std::size_t> shape;  // weight (out, in); bias (out,)
    io::npy_dtype dtype;             // f4 or f8
    std::vector<double> values;      // C order
};

struct validation_case {
    std::filesystem::path directory;
    nn::model_spec model;  // Dense(out, bias) then, unless identity, an activation layer, per case layer
    nn::loss_kind loss;    // mse or softmax_cross_entropy
    io::npy_array x;       // (N, input_dim), f4 or f8, N >= 1
    // mse: (N, outputs) f4/f8; softmax_cross_entropy: int64 (or int32) labels (N,) in [0, outputs)
    io::npy_array y;
    std::vector<case_tensor> parameters;  // network order: layers.0.weight, layers.0.bias, layers.1.weight, ...
    std::vector<case_tensor> gradients;   // the same names, shapes and order
    io::npy_dtype dtype;                  // the gradients' dtype (all share one): f4 or f8; the case "is" fp32 or fp64
    std::optional<std::string> loss_text;  // loss.txt's number, trimmed, when present (a decimal, inf or nan)
};

// Throws case_error.
validation_case read_case(const std::filesystem::path& directory);

}  // namespace gradlab::validate
