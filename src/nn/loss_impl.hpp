#pragma once

#include <stdexcept>
#include <string>

#include "gradlab/nn/layer.hpp"
#include "gradlab/nn/loss.hpp"

namespace gradlab::nn {

namespace loss_detail {

inline std::string shape_text(std::size_t rows, std::size_t cols) {
    return std::to_string(rows) + "x" + std::to_string(cols);
}

template <class V>
void require_same_shape(std::string_view loss, matrix_view<const V> output, matrix_view<const V> target) {
    if (output.rows() != target.rows() || output.cols() != target.cols())
        throw std::invalid_argument(std::string(loss) + ": targets of shape " +
                                    shape_text(target.rows(), target.cols()) + " for outputs of shape " +
                                    shape_text(output.rows(), output.cols()));
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

template <scalar_type T>
std::unique_ptr<loss_function<T>> make_loss(loss_kind kind, arithmetic<T>& a) {
    switch (kind) {
        case loss_kind::mse: return std::make_unique<mse_loss<T>>(a);
        default: throw std::invalid_argument("loss " + std::string(loss_name(kind)) + " is not built yet");
    }
}

}  // namespace gradlab::nn
