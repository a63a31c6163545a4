#pragma once

#include "gradlab/nn/affine_transform.hpp"

namespace gradlab::nn {

template <scalar_type T>
void sum_dy_and_dy_x_hat(column_sums<T>& sum_over_batch, arithmetic<T>& a, matrix_view<const storage_t<T>> dy,
                         matrix_view<const storage_t<T>> x_hat, matrix_view<storage_t<T>> products,
                         std::span<storage_t<T>> sum_dy, std::span<storage_t<T>> sum_dy_x_hat) {
    sum_over_batch(dy, sum_dy);
    a.multiply(dy.elements(), x_hat.elements(), products.elements());
    sum_over_batch(products, sum_dy_x_hat);
}

template <scalar_type T>
affine_transform<T>::affine_transform(std::size_t width, arithmetic<T>& a)
    : a_(a),
      gamma_{"weight", parameter_role::norm_scale, a.matrix_of(1, width), a.matrix_of(1, width)},
      beta_{"bias", parameter_role::norm_shift, a.matrix_of(1, width), a.matrix_of(1, width)} {
    a.fill(gamma_.value.elements(), a.number("1"));
}

template <scalar_type T>
void affine_transform<T>::collect_parameters(std::vector<parameter<T>*>& out) {
    out.push_back(&gamma_);
    out.push_back(&beta_);
}

template <scalar_type T>
matrix_view<const typename affine_transform<T>::value> affine_transform<T>::forward(matrix_view<const value> x_hat) {
    const std::size_t n = x_hat.rows();
    const auto y = rows_of(y_, n, x_hat.cols(), a_);
    for (std::size_t r = 0; r < n; ++r) {
        a_.multiply(x_hat.row(r), gamma_.value.elements(), y.row(r));
        a_.add(y.row(r), beta_.value.elements(), y.row(r));
    }
    return y;
}

template <scalar_type T>
void affine_transform<T>::backward(matrix_view<const value> dy, matrix_view<const value> x_hat,
                                   matrix_view<value> products, column_sums<T>& sum_over_batch) {
    sum_dy_and_dy_x_hat(sum_over_batch, a_, dy, x_hat, products, beta_.gradient.elements(),
                        gamma_.gradient.elements());
}

}  // namespace gradlab::nn
