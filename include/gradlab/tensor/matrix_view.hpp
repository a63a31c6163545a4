#pragma once
// A non-owning row-major view of rows x cols elements: what kernels take as
// arguments. matrix_view<const T> reads, matrix_view<T> writes; a view of T
// converts to a view of const T. Like std::span the view is shallow: copying
// it copies a pointer, and a const view still grants access to its elements.
//
// Rows are contiguous and follow each other with no padding (the leading
// dimension is cols), so a view of consecutive rows is itself one contiguous
// block and every view can hand out all its elements as one span. Only the
// owning matrix's data() is promised to be 64-byte aligned: row i starts on a
// 64-byte boundary only when i * cols * sizeof(T) is a multiple of 64.

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace gradlab {

namespace detail {

inline std::string shape_text(std::size_t rows, std::size_t cols) {
    return std::to_string(rows) + "x" + std::to_string(cols);
}

[[noreturn]] inline void throw_outside_shape(std::size_t i, std::size_t j, std::size_t rows, std::size_t cols) {
    throw std::out_of_range("gradlab matrix at(" + std::to_string(i) + ", " + std::to_string(j) +
                            "): index outside the " + shape_text(rows, cols) + " shape");
}

[[noreturn]] inline void throw_bad_row_range(std::size_t begin, std::size_t end, std::size_t rows,
                                             std::size_t cols) {
    throw std::out_of_range("gradlab matrix row_range(" + std::to_string(begin) + ", " + std::to_string(end) +
                            ") of a " + shape_text(rows, cols) + " matrix: need begin <= end <= " +
                            std::to_string(rows));
}

}  // namespace detail

template <class T>
class matrix_view {
public:
    using element_type = T;
    using value_type = std::remove_cv_t<T>;

    constexpr matrix_view() noexcept = default;

    // `data` points to rows * cols elements, row after row.
    constexpr matrix_view(T* data, std::size_t rows, std::size_t cols) noexcept
        : data_(data), rows_(rows), cols_(cols) {
        assert(cols == 0 || rows <= SIZE_MAX / cols);
    }

    // A view of const elements from a view of mutable ones (as std::span).
    template <class U>
        requires(!std::is_same_v<U, T> && std::is_convertible_v<U (*)[], T (*)[]>)
    constexpr matrix_view(matrix_view<U> other) noexcept
        : data_(other.data()), rows_(other.rows()), cols_(other.cols()) {}

    constexpr std::size_t rows() const noexcept { return rows_; }
    constexpr std::size_t cols() const noexcept { return cols_; }
    constexpr std::size_t size() const noexcept { return rows_ * cols_; }
    constexpr bool empty() const noexcept { return size() == 0; }
    constexpr T* data() const noexcept { return data_; }

    // Unchecked: the hot path. Out-of-range indices only trip an assert in debug builds.
    constexpr T& operator()(std::size_t i, std::size_t j) const noexcept {
        assert(i < rows_ && j < cols_);
        return data_[i * cols_ + j];
    }

    // Checked: throws std::out_of_range naming the index and the shape.
    constexpr T& at(std::size_t i, std::size_t j) const {
        if (i >= rows_ || j >= cols_) detail::throw_outside_shape(i, j, rows_, cols_);
        return data_[i * cols_ + j];
    }

    constexpr std::span<T> row(std::size_t i) const noexcept {
        assert(i < rows_);
        return {data_ + i * cols_, cols_};
    }

    // Every element, row after row.
    constexpr std::span<T> elements() const noexcept { return {data_, size()}; }

    // Rows [begin, end) (a mini-batch), aliasing this view's elements; throws
    // std::out_of_range unless begin <= end <= rows().
    constexpr matrix_view row_range(std::size_t begin, std::size_t end) const {
        if (begin > end || end > rows_) detail::throw_bad_row_range(begin, end, rows_, cols_);
        return {data_ + begin * cols_, end - begin, cols_};
    }

private:
    T* data_ = nullptr;
    std::size_t rows_ = 0;
    std::size_t cols_ = 0;
};

}  // namespace gradlab
