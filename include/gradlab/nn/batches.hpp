#pragma once
// Seeded, shuffled mini-batches.
//
// Epoch e visits the samples in the order of a permutation drawn by
// Fisher-Yates from counter_rng(seed, 0x5348'5546'0000'0000 + e): for
// i = n - 1 down to 1, with w = block(i)[0] + 2^32 block(i)[1],
// j = floor(w (i + 1) / 2^64), and order[i], order[j] swap. Each draw is
// indexed by (epoch, position): the order is reproducible and does not depend
// on the thread count. Multiply-shift without rejection (Lemire 2019) makes
// j's probabilities differ from 1 / (i + 1) by less than 2^-64 each.
//
// The batches of an epoch are consecutive slices of its order, batch_size
// rows each; the last one holds the rest (fewer rows) unless drop_last
// leaves it out.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "gradlab/nn/arithmetic.hpp"
#include "gradlab/tensor/matrix.hpp"

namespace gradlab::nn {

struct batch_options {
    std::size_t batch_size = 32;
    bool drop_last = false;
    bool shuffle = true;  // false: every epoch visits the samples in order
    bool operator==(const batch_options&) const = default;
};

// order = the sample order of `epoch`, a permutation of 0, ..., order.size() - 1.
// Throws std::out_of_range for 2^48 samples or more (counter_rng's slots).
void shuffled_order(std::uint64_t seed, std::uint64_t epoch, std::span<std::size_t> order);

// Batches per epoch for `samples` samples; throws std::invalid_argument for a batch size of 0.
std::size_t batch_count(std::size_t samples, const batch_options& options);

template <scalar_type T>
struct mini_batch {
    matrix_view<const storage_t<T>> x;
    matrix_view<const storage_t<T>> y;
    std::span<const std::int64_t> labels;  // empty when the data have none
    std::span<const std::size_t> indices;  // the sample behind each row
};

// Gathers the rows of one precision's data into batch buffers made at
// construction and reused for every batch: nothing is allocated afterwards.
// The data are borrowed and must outlive the batcher.
template <scalar_type T>
class batcher {
public:
    using value = storage_t<T>;

    // x, y and labels (empty, or one per sample) describe the same samples,
    // row by row; std::invalid_argument otherwise. Starts at epoch 0.
    batcher(matrix_view<const value> x, matrix_view<const value> y, std::span<const std::int64_t> labels,
            const batch_options& options, std::uint64_t seed, arithmetic<T>& a);

    std::size_t batch_count() const { return count_; }
    // Draws the order of `epoch`; the batches taken next are that epoch's.
    void start_epoch(std::uint64_t epoch);
    std::span<const std::size_t> order() const { return order_; }
    // Batch b (< batch_count()) of the current epoch, gathered; its views
    // stay valid until the next call. std::out_of_range for b too large.
    mini_batch<T> batch(std::size_t b);

private:
    arithmetic<T>& a_;
    matrix_view<const value> x_, y_;
    std::span<const std::int64_t> labels_;
    std::size_t batch_size_, count_;
    std::uint64_t seed_;
    bool shuffle_;
    std::vector<std::size_t> order_;
    matrix<value> x_rows_, y_rows_;
    std::vector<std::int64_t> label_rows_;
};

}  // namespace gradlab::nn
