#pragma once
// The affine part of BatchNorm and LayerNorm: y = gamma x_hat + beta, with
// gamma and beta (1, features) rows applied elementwise to every row of the
// batch (PyTorch's "weight" and "bias"; gamma starts at 1, beta at 0).
// Its gradients are sums over the batch: dgamma = sum(dy x_hat), dbeta = sum(dy).

#include <span>
#include <vector>

#include "gradlab/nn/column_sums.hpp"
#include "gradlab/nn/layer.hpp"

namespace gradlab::nn {

// sum_dy = sum over the batch of dy, sum_dy_x_hat = sum of dy x_hat (each
// (1, features)); `products` is scratch of dy's shape. These are dbeta and
// dgamma, and BatchNorm's dx needs them with or without the affine part.
template <scalar_type T>
void sum_dy_and_dy_x_hat(column_sums<T>& sum_over_batch, arithmetic<T>& a, matrix_view<const storage_t<T>> dy,
                         matrix_view<const storage_t<T>> x_hat, matrix_view<storage_t<T>> products,
                         std::span<storage_t<T>> sum_dy, std::span<storage_t<T>> sum_dy_x_hat);

template <scalar_type T>
class affine_transform {
public:
    using value = storage_t<T>;

    affine_transform(std::size_t width, arithmetic<T>& a);

    parameter<T>& gamma() { return gamma_; }
    parameter<T>& beta() { return beta_; }
    void collect_parameters(std::vector<parameter<T>*>& out);

    // y = gamma x_hat + beta, in a buffer of the transform's.
    matrix_view<const value> forward(matrix_view<const value> x_hat);
    // Overwrites dgamma and dbeta (see sum_dy_and_dy_x_hat).
    void backward(matrix_view<const value> dy, matrix_view<const value> x_hat, matrix_view<value> products,
                  column_sums<T>& sum_over_batch);

private:
    arithmetic<T>& a_;
    parameter<T> gamma_, beta_;
    matrix<value> y_;
};

}  // namespace gradlab::nn
