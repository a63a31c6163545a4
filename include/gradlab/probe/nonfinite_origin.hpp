#pragma once
// Where a NaN or Inf first arose: the first operation of a lane whose
// operands were all finite and whose result was not (DESIGN.md,
// "Instrumentation"). The lane's probe (lane_probe.hpp) checks every
// computed tensor of a step in order, so the first non-finite tensor whose
// inputs were finite names the operation; the functions here find the
// element and explain it from the operands.
//
// Operations, by where they sit:
//   forward   dense: "matmul" (x W^T) or "bias_add"; activation: its name
//             ("sigmoid", ...); "batch_norm", "layer_norm", "residual"
//   loss      the loss's name ("mse", ...); backward: "<loss>_gradient"
//   backward  dense: "matmul" (input gradient dy W, weight gradient dy^T x),
//             "column_sum" (bias gradient); activation: "<name>_derivative"
//             (dy times f'(x)); "batch_norm", "layer_norm", "residual"
//   update    "<optimizer>_update" (the weight after the step)
// A dot product is explained exactly: its exact value (MPFR) tells an
// overflow of the result ("the exact dot product exceeds the format") from
// one of a partial sum (exact value finite), and its largest term is shown.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "gradlab/nn/arithmetic.hpp"
#include "gradlab/tensor/matrix_view.hpp"

namespace gradlab::probe {

struct operand {
    std::string name;   // "x[3,0]", "W[0,1]", "exact x[3,:]·W[0,:]"
    std::string value;  // decimal, enough digits to read back the value
};

struct nonfinite_origin {
    std::size_t step = 0;
    std::optional<std::size_t> layer;  // none for the loss
    std::string layer_kind;            // "dense", "activation", ..., "loss"
    std::string op;
    std::string pass;    // "forward", "backward", "update"
    std::string tensor;  // the result: "pre_activation", "activation_gradient", "layers.0.weight", ...
    std::size_t row = 0, col = 0;  // of the first non-finite element, row-major
    std::string value;             // "inf", "-inf" or "nan"
    std::vector<operand> operands;
    std::string explanation;
};

// The first non-finite element of x in row-major order, as (row, col).
template <scalar_type T>
std::optional<std::pair<std::size_t, std::size_t>> first_nonfinite(matrix_view<const nn::storage_t<T>> x);

// A value as decimal text that reads back to it ("inf", "-inf", "nan" for the specials).
template <scalar_type T>
std::string decimal_text(const nn::storage_t<T>& x, const nn::arithmetic<T>& a);

// Explains element (row, col) = sum_k a[k] b[k] (+ addend) of a dot
// product whose result is not finite: op "matmul", or "bias_add" when the
// exact dot is finite in the format but adding the addend is not. `a_name`
// and `b_name` name the operands' elements ("x[3,%]": % becomes k), dot_name
// the product ("x[3,:]·W[0,:]"). Fills op, operands and explanation of `origin`.
template <scalar_type T>
void explain_dot(const nn::arithmetic<T>& a, std::span<const nn::storage_t<T>> lhs, std::size_t lhs_stride,
                 std::span<const nn::storage_t<T>> rhs, std::size_t rhs_stride, std::size_t length,
                 const nn::storage_t<T>* addend, const std::string& lhs_name, const std::string& rhs_name,
                 const std::string& dot_name, nonfinite_origin& origin);

}  // namespace gradlab::probe
