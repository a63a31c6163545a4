#pragma once
// The interface every layer implements, in every precision T.
//
// A layer maps a batch (rows are examples, columns features) forward and
// carries the gradient of the loss backward. forward() keeps what backward()
// needs (its input view, its output, statistics); the view it returns lives in
// the layer's own buffers and stays valid until its next forward(). The input
// view must stay valid until backward() has run. backward() overwrites the
// gradients of the layer's parameters (no accumulation across calls) and
// returns dL/dx, computed only when asked for (the first layer's is never
// needed).
//
// Buffers grow to the largest batch seen and are reused, never shrunk: after
// the first step a training step allocates nothing.
//
// Recurrent cells (a later issue) fit the same interface by unrolling inside
// the layer: forward() over a batch of sequences laid out as rows, backward()
// through time internally; nothing outside the layer changes.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "gradlab/nn/arithmetic.hpp"
#include "gradlab/tensor/matrix.hpp"

namespace gradlab::nn {

// Training uses batch statistics (BatchNorm) and updates running ones;
// evaluation uses the running statistics.
enum class pass_mode { training, evaluation };

// What a parameter is, for initialisation and for reports.
enum class parameter_role {
    weight,      // a Dense weight, (out, in); fan_in = in, fan_out = out
    bias,        // a Dense bias, (1, out)
    norm_scale,  // gamma of BatchNorm and LayerNorm, (1, features), initially 1
    norm_shift,  // beta of BatchNorm and LayerNorm, (1, features), initially 0
    slope,       // PReLU's learnable slope, (1, 1), initially its parameter
};

template <scalar_type T>
struct parameter {
    std::string name;  // as PyTorch's state_dict names it: "layers.3.weight"
    parameter_role role;
    matrix<storage_t<T>> value;
    matrix<storage_t<T>> gradient;  // same shape as value
    // For weights: the activation that follows the layer (initialisers take
    // its gain) and the fans; unused for the other roles.
    activation next_activation{};
    std::size_t fan_in = 0, fan_out = 0;
};

template <scalar_type T>
class layer {
public:
    using value = storage_t<T>;

    virtual ~layer() = default;

    // "dense", "activation", "batch_norm", "layer_norm", "residual".
    virtual std::string_view kind() const = 0;
    virtual std::size_t input_width() const = 0;
    virtual std::size_t output_width() const = 0;

    // x has input_width() columns; the result has output_width() columns and as many rows.
    virtual matrix_view<const value> forward(matrix_view<const value> x, pass_mode mode) = 0;
    // dy = dL/d(output of the last forward); returns dL/dx when
    // need_input_gradient, else an empty view.
    virtual matrix_view<const value> backward(matrix_view<const value> dy, bool need_input_gradient) = 0;

    // Appends this layer's parameters (nested layers' included), in a fixed
    // order. Called once, by the owner at its construction, which prefixes
    // their names ("layers.3.", "body.0.") in place.
    virtual void collect_parameters(std::vector<parameter<T>*>& out) { (void)out; }

    layer() = default;
    layer(const layer&) = delete;
    layer& operator=(const layer&) = delete;
};

// The first `rows` rows of `buffer`, which is reallocated (zeros) only when it
// has fewer rows or other columns.
template <scalar_type T>
matrix_view<storage_t<T>> rows_of(matrix<storage_t<T>>& buffer, std::size_t rows, std::size_t cols,
                                  const arithmetic<T>& a) {
    if (buffer.rows() < rows || buffer.cols() != cols) buffer = a.matrix_of(rows, cols);
    return buffer.row_range(0, rows);
}

}  // namespace gradlab::nn
