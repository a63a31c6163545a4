#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "gradlab/nn/layer.hpp"
#include "gradlab/nn/loss.hpp"

namespace gradlab::nn {

namespace loss_detail {

template <class V>
void require_same_shape(std::string_view loss, matrix_view<const V> output, matrix_view<const V> target) {
    if (output.rows() != target.rows() || output.cols() != target.cols())
        throw std::invalid_argument(std::string(loss) + ": targets of shape " +
                                    gradlab::detail::shape_text(target.rows(), target.cols()) +
                                    " for outputs of shape " +
                                    gradlab::detail::shape_text(output.rows(), output.cols()));
}

// One label per row, each in [0, classes). Builds no string unless it throws.
inline void require_labels(std::span<const std::int64_t> labels, std::size_t rows, std::size_t classes) {
    if (labels.size() != rows)
        throw std::invalid_argument("softmax_cross_entropy loss: " + std::to_string(labels.size()) + " labels for " +
                                    std::to_string(rows) + " rows of logits");
    for (std::size_t r = 0; r < rows; ++r)
        if (labels[r] < 0 || static_cast<std::uint64_t>(labels[r]) >= classes)
            throw std::invalid_argument("softmax_cross_entropy loss: label " + std::to_string(labels[r]) + " in row " +
                                        std::to_string(r) + " is outside [0, " + std::to_string(classes) +
                                        ") for " + std::to_string(classes) + " classes");
}

// The element of a matrix as a one-element span: a scalar for arithmetic<T>.
template <class V>
std::span<V> element(matrix_view<V> m, std::size_t i, std::size_t j) {
    return {&m(i, j), 1};
}

}  // namespace loss_detail

// Mean squared error: L = sum (y - t)^2 / N, dL/dy = (2 seed / N) (y - t).
template <scalar_type T>
class mse_loss final : public loss_function<T> {
public:
    using value = storage_t<T>;

    explicit mse_loss(arithmetic<T>& a)
        : a_(a), count_(a.zero()), two_over_count_(a.zero()), factor_(a.zero()), sum_(a.zero()) {}

    loss_kind kind() const override { return loss_kind::mse; }

    void forward(matrix_view<const value> y, const batch_targets<T>& target, value& loss) override {
        loss_detail::require_same_shape("mse loss", y, target.values);
        const auto d = rows_of(diff_, y.rows(), y.cols(), a_);
        const auto sq = rows_of(square_, y.rows(), y.cols(), a_);
        a_.subtract(y.elements(), target.values.elements(), d.elements());
        a_.multiply(d.elements(), d.elements(), sq.elements());
        a_.sum(sq.elements(), sum_);
        if (y.size() != size_) {  // only when the batch shape changes: a step allocates nothing
            size_ = y.size();
            count_ = a_.number(std::to_string(size_));
            two_over_count_ = a_.ratio(2, static_cast<long>(size_));
        }
        a_.divide(std::span(&sum_, 1), std::span(&count_, 1), std::span(&loss, 1));
        rows_ = y.rows();
    }

    matrix_view<const value> backward(const value& seed) override {
        a_.scale(seed, std::span(&two_over_count_, 1), std::span(&factor_, 1));
        const auto d = diff_.row_range(0, rows_);
        const auto g = rows_of(gradient_, rows_, d.cols(), a_);
        a_.scale(factor_, d.elements(), g.elements());
        return g;
    }

private:
    arithmetic<T>& a_;
    value count_, two_over_count_, factor_, sum_;
    std::size_t size_ = 0, rows_ = 0;
    matrix<value> diff_, square_, gradient_;
};

// Softmax cross-entropy from logits z (N rows, C classes) and labels l, in
// PyTorch's order of operations (log_softmax, then nll_loss, mean):
//   s = z - max(z) per row, lse = log(sum exp(s)) per row,
//   L = sum over rows of (lse - s_l) / N,
//   dL/dz = (exp(s - lse) - onehot(l)) c with c = seed / N.
// The label's p - 1 is exact for p >= 1/2, so (p - 1) c is rounded once, as
// PyTorch's fused p c - c (a multiply-add contracted in its AVX2 kernel) is;
// p c - c rounded twice would cost up to 2^k ulps when p = 1 - 2^-k.
// A NaN or +Inf logit makes its row, and L, NaN; a -Inf logit at the label
// makes L +Inf; -Inf elsewhere is an exact 0 probability.
template <scalar_type T>
class softmax_cross_entropy_loss final : public loss_function<T> {
public:
    using value = storage_t<T>;

    explicit softmax_cross_entropy_loss(arithmetic<T>& a)
        : a_(a), one_(a.number("1")), minus_one_(a.number("-1")), count_(a.zero()), factor_(a.zero()),
          sum_(a.zero()) {}

    loss_kind kind() const override { return loss_kind::softmax_cross_entropy; }

    void forward(matrix_view<const value> z, const batch_targets<T>& target, value& loss) override {
        using loss_detail::element;
        const std::size_t n = z.rows(), c = z.cols();
        loss_detail::require_labels(target.labels, n, c);
        labels_.assign(target.labels.begin(), target.labels.end());  // keeps its capacity

        const auto negated_max = rows_of(negated_max_, n, 1, a_);
        a_.row_max(z, negated_max.elements());
        a_.scale(minus_one_, negated_max.elements(), negated_max.elements());  // exact
        const auto s = rows_of(shifted_, n, c, a_);
        for (std::size_t r = 0; r < n; ++r) a_.add_scalar(z.row(r), negated_max(r, 0), s.row(r));
        const auto e = rows_of(exponentials_, n, c, a_);
        a_.exponential(s.elements(), e.elements());
        const auto lse = rows_of(log_sums_, n, 1, a_);
        for (std::size_t r = 0; r < n; ++r) a_.sum(e.row(r), lse(r, 0));
        a_.logarithm(lse.elements(), lse.elements());

        const auto row_loss = rows_of(row_losses_, n, 1, a_);
        for (std::size_t r = 0; r < n; ++r) a_.copy(element(s, r, label(r)), row_loss.row(r));
        a_.subtract(lse.elements(), row_loss.elements(), row_loss.elements());
        a_.sum(row_loss.elements(), sum_);
        if (n != counted_rows_) {  // only when the batch size changes: a step allocates nothing
            counted_rows_ = n;
            count_ = a_.number(std::to_string(n));
        }
        a_.divide(std::span(&sum_, 1), std::span(&count_, 1), std::span(&loss, 1));
    }

    matrix_view<const value> backward(const value& seed) override {
        using loss_detail::element;
        const std::size_t n = labels_.size();
        const auto s = shifted_.row_range(0, n);
        const auto negated_lse = row_losses_.row_range(0, n);  // the row losses are spent
        a_.scale(minus_one_, log_sums_.row_range(0, n).elements(), negated_lse.elements());
        a_.divide(std::span(&seed, 1), std::span(&count_, 1), std::span(&factor_, 1));

        const auto g = rows_of(gradient_, n, s.cols(), a_);
        for (std::size_t r = 0; r < n; ++r) a_.add_scalar(s.row(r), negated_lse(r, 0), g.row(r));  // log softmax
        a_.exponential(g.elements(), g.elements());  // softmax
        for (std::size_t r = 0; r < n; ++r)
            a_.subtract(element(g, r, label(r)), std::span(&one_, 1), element(g, r, label(r)));
        a_.scale(factor_, g.elements(), g.elements());
        return g;
    }

private:
    std::size_t label(std::size_t row) const { return static_cast<std::size_t>(labels_[row]); }

    arithmetic<T>& a_;
    value one_, minus_one_, count_, factor_, sum_;
    std::size_t counted_rows_ = 0;
    std::vector<std::int64_t> labels_;
    matrix<value> negated_max_, shifted_, exponentials_, log_sums_, row_losses_, gradient_;
};

// Binary cross-entropy from logits z and targets t in [0, 1], mean over all
// N elements: L = sum (softplus(z) - z t) / N, dL/dz = (sigmoid(z) - t) c with
// c = seed / N. softplus and sigmoid are the activation kernels' (no overflow
// for large |z|). The forward pass keeps sigmoid(z) - t for the backward one.
// An infinite logit makes L NaN or +Inf (the limit is not taken, as in
// PyTorch), while its gradient is the finite limit sigmoid(±Inf) - t.
template <scalar_type T>
class bce_with_logits_loss final : public loss_function<T> {
public:
    using value = storage_t<T>;

    explicit bce_with_logits_loss(arithmetic<T>& a) : a_(a), count_(a.zero()), factor_(a.zero()), sum_(a.zero()) {}

    loss_kind kind() const override { return loss_kind::bce_with_logits; }

    void forward(matrix_view<const value> z, const batch_targets<T>& target, value& loss) override {
        loss_detail::require_same_shape("bce_with_logits loss", z, target.values);
        const auto t = target.values.elements();
        const auto terms = rows_of(terms_, z.rows(), z.cols(), a_);
        const auto product = rows_of(product_, z.rows(), z.cols(), a_);
        a_.activation_forward({activation_kind::softplus}, z.elements(), terms.elements());
        a_.multiply(z.elements(), t, product.elements());
        a_.subtract(terms.elements(), product.elements(), terms.elements());
        a_.sum(terms.elements(), sum_);
        if (z.size() != size_) {  // only when the batch shape changes: a step allocates nothing
            size_ = z.size();
            count_ = a_.number(std::to_string(size_));
        }
        a_.divide(std::span(&sum_, 1), std::span(&count_, 1), std::span(&loss, 1));

        const auto residual = rows_of(residual_, z.rows(), z.cols(), a_);
        a_.activation_forward({activation_kind::sigmoid}, z.elements(), residual.elements());
        a_.subtract(residual.elements(), t, residual.elements());
        rows_ = z.rows();
    }

    matrix_view<const value> backward(const value& seed) override {
        a_.divide(std::span(&seed, 1), std::span(&count_, 1), std::span(&factor_, 1));
        const auto r = residual_.row_range(0, rows_);
        const auto g = rows_of(gradient_, rows_, r.cols(), a_);
        a_.scale(factor_, r.elements(), g.elements());
        return g;
    }

private:
    arithmetic<T>& a_;
    value count_, factor_, sum_;
    std::size_t size_ = 0, rows_ = 0;
    matrix<value> terms_, product_, residual_, gradient_;
};

template <scalar_type T>
std::unique_ptr<loss_function<T>> make_loss(loss_kind kind, arithmetic<T>& a) {
    switch (kind) {
        case loss_kind::mse: return std::make_unique<mse_loss<T>>(a);
        case loss_kind::softmax_cross_entropy: return std::make_unique<softmax_cross_entropy_loss<T>>(a);
        case loss_kind::bce_with_logits: return std::make_unique<bce_with_logits_loss<T>>(a);
    }
    throw std::invalid_argument("unknown loss kind " + std::to_string(static_cast<int>(kind)));
}

}  // namespace gradlab::nn
