#pragma once

#include <stdexcept>
#include <string>

#include "gradlab/nn/batch_norm.hpp"

namespace gradlab::nn {

template <scalar_type T>
batch_norm<T>::batch_norm(std::size_t width, const batch_norm_spec& spec, arithmetic<T>& a)
    : a_(a),
      width_(width),
      epsilon_(a.number(spec.epsilon)),
      momentum_(a.number(spec.momentum)),
      keep_(a.zero()),
      sum_over_batch_(a) {
    if (width == 0) throw std::invalid_argument("batch_norm layer: the width must be positive");
    const value one = a.number("1");
    a.subtract(std::span(&one, 1), std::span(&momentum_, 1), std::span(&keep_, 1));
    for (auto* row : {&running_mean_, &running_var_, &ones_, &count_, &count_less_one_, &mean_, &var_, &inv_std_,
                      &step_, &scale_, &mean_dy_, &mean_dy_x_hat_})
        *row = a.matrix_of(1, width);
    a.fill(running_var_.elements(), one);
    a.fill(ones_.elements(), one);
    if (spec.affine) affine_.emplace(width, a);
}

template <scalar_type T>
void batch_norm<T>::collect_parameters(std::vector<parameter<T>*>& out) {
    if (affine_) affine_->collect_parameters(out);
}

template <scalar_type T>
void batch_norm<T>::count_batch(std::size_t rows) {
    if (rows == counted_rows_) return;
    a_.fill(count_.elements(), a_.ratio(static_cast<long>(rows), 1));
    a_.fill(count_less_one_.elements(), a_.ratio(static_cast<long>(rows) - 1, 1));
    counted_rows_ = rows;
}

template <scalar_type T>
void batch_norm<T>::inverse_deviation(std::span<const value> var) {
    a_.add_scalar(var, epsilon_, inv_std_.elements());
    a_.square_root(inv_std_.elements(), inv_std_.elements());
    a_.divide(ones_.elements(), inv_std_.elements(), inv_std_.elements());
}

template <scalar_type T>
void batch_norm<T>::blend(matrix<value>& running, std::span<value> batch) {
    a_.scale(momentum_, batch, batch);
    a_.axpy(keep_, running.elements(), batch, running.elements());
}

template <scalar_type T>
void batch_norm<T>::batch_statistics(matrix_view<const value> x) {
    const std::size_t n = x.rows();
    if (n < 2)
        throw std::invalid_argument("batch_norm layer: training needs more than 1 example per batch (the variance "
                                    "of one is undefined), got a batch of " +
                                    std::to_string(n) + " with " + std::to_string(width_) + " features");
    count_batch(n);
    sum_over_batch_(x, mean_.elements());
    a_.divide(mean_.elements(), count_.elements(), mean_.elements());
    const auto centred = x_hat_.row_range(0, n);
    for (std::size_t r = 0; r < n; ++r) a_.subtract(x.row(r), mean_.elements(), centred.row(r));
    const auto squares = rows_of(scratch_, n, width_, a_);
    a_.multiply(centred.elements(), centred.elements(), squares.elements());
    sum_over_batch_(squares, var_.elements());  // the sum of squared deviations, for now

    a_.copy(mean_.elements(), step_.elements());
    blend(running_mean_, step_.elements());
    a_.divide(var_.elements(), count_less_one_.elements(), step_.elements());
    blend(running_var_, step_.elements());

    a_.divide(var_.elements(), count_.elements(), var_.elements());
    inverse_deviation(var_.elements());
}

template <scalar_type T>
matrix_view<const typename batch_norm<T>::value> batch_norm<T>::forward(matrix_view<const value> x, pass_mode mode) {
    const std::size_t n = x.rows();
    const auto x_hat = rows_of(x_hat_, n, width_, a_);
    if (mode == pass_mode::training) {
        batch_statistics(x);
    } else {
        for (std::size_t r = 0; r < n; ++r) a_.subtract(x.row(r), running_mean_.elements(), x_hat.row(r));
        inverse_deviation(running_var_.elements());
    }
    mode_ = mode;
    for (std::size_t r = 0; r < n; ++r) a_.multiply(x_hat.row(r), inv_std_.elements(), x_hat.row(r));
    if (!affine_) return x_hat;
    return affine_->forward(x_hat);
}

template <scalar_type T>
matrix_view<const typename batch_norm<T>::value> batch_norm<T>::backward(matrix_view<const value> dy,
                                                                          bool need_input_gradient) {
    const std::size_t n = dy.rows();
    const auto x_hat = x_hat_.row_range(0, n);
    const auto products = rows_of(scratch_, n, width_, a_);
    const bool batch_terms = need_input_gradient && mode_ == pass_mode::training;
    // sum(dy) and sum(dy x_hat): the parameters' gradients, and N times the
    // means dx needs (without affine, summed straight into those means' rows)
    const auto sum_dy = affine_ ? affine_->beta().gradient.elements() : mean_dy_.elements();
    const auto sum_dy_x_hat = affine_ ? affine_->gamma().gradient.elements() : mean_dy_x_hat_.elements();
    if (affine_ || batch_terms) sum_dy_and_dy_x_hat(sum_over_batch_, a_, dy, x_hat, products, sum_dy, sum_dy_x_hat);
    if (!need_input_gradient) return {};

    if (affine_) a_.multiply(affine_->gamma().value.elements(), inv_std_.elements(), scale_.elements());
    else a_.copy(inv_std_.elements(), scale_.elements());
    const auto dx = rows_of(dx_, n, width_, a_);
    if (!batch_terms) {
        for (std::size_t r = 0; r < n; ++r) a_.multiply(dy.row(r), scale_.elements(), dx.row(r));
        return dx;
    }
    a_.divide(sum_dy, count_.elements(), mean_dy_.elements());
    a_.divide(sum_dy_x_hat, count_.elements(), mean_dy_x_hat_.elements());
    for (std::size_t r = 0; r < n; ++r) {
        a_.subtract(dy.row(r), mean_dy_.elements(), dx.row(r));
        a_.multiply(x_hat.row(r), mean_dy_x_hat_.elements(), products.row(r));
        a_.subtract(dx.row(r), products.row(r), dx.row(r));
        a_.multiply(dx.row(r), scale_.elements(), dx.row(r));
    }
    return dx;
}

}  // namespace gradlab::nn
