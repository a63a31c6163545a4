#pragma once
// batcher<T> (include/gradlab/nn/batches.hpp), included only by the
// per-family instantiation files (engine_<family>.cpp).

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>

#include "gradlab/nn/batches.hpp"

namespace gradlab::nn {

template <scalar_type T>
batcher<T>::batcher(matrix_view<const value> x, matrix_view<const value> y, std::span<const std::int64_t> labels,
                    const batch_options& options, std::uint64_t seed, arithmetic<T>& a)
    : a_(a),
      x_(x),
      y_(y),
      labels_(labels),
      batch_size_(options.batch_size),
      count_(nn::batch_count(x.rows(), options)),
      seed_(seed),
      shuffle_(options.shuffle),
      order_(x.rows()) {
    if (y.rows() != x.rows() || (!labels.empty() && labels.size() != x.rows()))
        throw std::invalid_argument("mini-batches: x has " + std::to_string(x.rows()) + " rows, y " +
                                    std::to_string(y.rows()) + " and the labels " + std::to_string(labels.size()) +
                                    "; each must have one per sample (labels may be absent)");
    const std::size_t rows = std::min(batch_size_, x.rows());
    x_rows_ = a.matrix_of(rows, x.cols());
    y_rows_ = a.matrix_of(rows, y.cols());
    label_rows_.resize(labels.empty() ? 0 : rows);
    start_epoch(0);
}

template <scalar_type T>
void batcher<T>::start_epoch(std::uint64_t epoch) {
    if (shuffle_) shuffled_order(seed_, epoch, order_);
    else std::iota(order_.begin(), order_.end(), std::size_t{0});
}

template <scalar_type T>
mini_batch<T> batcher<T>::batch(std::size_t b) {
    if (b >= count_)
        throw std::out_of_range("mini-batches: batch " + std::to_string(b) + " of an epoch of " +
                                std::to_string(count_));
    const std::size_t first = b * batch_size_;
    const std::size_t rows = std::min(batch_size_, order_.size() - first);
    for (std::size_t k = 0; k < rows; ++k) {
        const std::size_t sample = order_[first + k];
        a_.copy(x_.row(sample), x_rows_.row(k));
        a_.copy(y_.row(sample), y_rows_.row(k));
        if (!labels_.empty()) label_rows_[k] = labels_[sample];
    }
    return {x_rows_.row_range(0, rows), y_rows_.row_range(0, rows),
            std::span<const std::int64_t>(label_rows_).first(labels_.empty() ? 0 : rows),
            std::span<const std::size_t>(order_).subspan(first, rows)};
}

}  // namespace gradlab::nn
