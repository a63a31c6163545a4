#pragma once
// matrix<T>: an owning row-major rows x cols array whose storage starts on a
// 64-byte boundary, so SIMD kernels may use aligned loads at data(). Rows are
// not padded (matrix_view.hpp says why that is enough). Views of it are
// matrix_view<T> and matrix_view<const T>.
//
// Elements are constructed and destroyed one by one, never copied as bytes,
// because MPFR numbers own heap memory and carry their own precision. Boost's
// default MPFR precision is a global, so a matrix of MPFR numbers is given its
// precision explicitly (element_precision) or takes it from the elements it
// copies, never from that global.

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>

#include <mpfr.h>

#include "gradlab/tensor/matrix_view.hpp"

namespace gradlab {

// The cache line, and the width of an AVX-512 register, in bytes.
inline constexpr std::size_t matrix_alignment = 64;

// Significand bits for the elements of a matrix of runtime-precision numbers
// (MPFR); scalars whose precision is fixed by their type ignore it.
struct element_precision {
    long bits = 0;
};

// The std::bad_alloc a matrix throws when its storage cannot be allocated;
// what() names the shape.
class matrix_bad_alloc : public std::bad_alloc {
public:
    explicit matrix_bad_alloc(const std::string& message) : message_(message) {}
    const char* what() const noexcept override { return message_.what(); }

private:
    std::runtime_error message_;  // a string whose copy cannot throw, as exceptions need
};

namespace detail {

// Boost.Multiprecision numbers on an MPFR backend: their precision is a value
// each element carries, set and kept here through MPFR itself.
template <class T>
concept mpfr_number = requires(T& x) {
    { x.backend().data() } -> std::convertible_to<mpfr_ptr>;
};

// `value` rounded once, to nearest, to `precision` bits if T is an MPFR
// number; otherwise `value`.
template <class T>
T with_precision(const T& value, element_precision precision) {
    if constexpr (mpfr_number<T>) {
        if (precision.bits < MPFR_PREC_MIN || precision.bits > MPFR_PREC_MAX)
            throw std::invalid_argument("gradlab matrix: an MPFR precision of " + std::to_string(precision.bits) +
                                        " bits is outside [" + std::to_string(MPFR_PREC_MIN) + ", " +
                                        std::to_string(MPFR_PREC_MAX) + "]");
        T result;  // at Boost's global default precision for an instant only
        mpfr_set_prec(result.backend().data(), precision.bits);
        mpfr_set(result.backend().data(), value.backend().data(), MPFR_RNDN);
        return result;
    } else {
        return value;
    }
}

// `to = from`, except that an MPFR number keeps its own precision (Boost's
// assignment would take the precision of `from`).
template <class T>
void assign_value(T& to, const T& from) {
    if constexpr (mpfr_number<T>)
        mpfr_set(to.backend().data(), from.backend().data(), MPFR_RNDN);
    else
        to = from;
}

template <class T>
inline constexpr std::align_val_t storage_alignment{std::max(matrix_alignment, alignof(T))};

inline std::string shape_description(std::size_t rows, std::size_t cols, std::size_t element_bytes) {
    return "gradlab matrix of shape " + shape_text(rows, cols) + " with " + std::to_string(element_bytes) +
           "-byte elements";
}

template <class T>
struct uninitialized_storage {
    T* first = nullptr;  // nullptr when count is 0
    std::size_t count = 0;
};

// Storage for rows x cols elements, not yet constructed.
template <class T>
uninitialized_storage<T> allocate_elements(std::size_t rows, std::size_t cols) {
    // PTRDIFF_MAX, not SIZE_MAX, bounds the bytes (as for std::vector): the
    // difference of two pointers into the storage must be representable.
    constexpr std::size_t max_count = PTRDIFF_MAX / sizeof(T);
    if (cols != 0 && rows > max_count / cols)
        throw std::length_error(shape_description(rows, cols, sizeof(T)) + " needs more than PTRDIFF_MAX bytes");
    const std::size_t count = rows * cols;
    if (count == 0) return {};
    void* first = ::operator new(count * sizeof(T), storage_alignment<T>, std::nothrow);
    if (first == nullptr)
        throw matrix_bad_alloc(shape_description(rows, cols, sizeof(T)) + ": cannot allocate " +
                               std::to_string(count * sizeof(T)) + " bytes");
    return {static_cast<T*>(first), count};
}

template <class T>
void deallocate_elements(T* storage) noexcept {
    ::operator delete(storage, storage_alignment<T>);
}

}  // namespace detail

template <class T>
class matrix {
public:
    using value_type = T;

    // 0 x 0, no storage.
    matrix() noexcept = default;

    // rows x cols zeros. MPFR numbers need a precision: use the next constructor.
    matrix(std::size_t rows, std::size_t cols)
        requires(!detail::mpfr_number<T>)
        : matrix(rows, cols, T()) {}
    // rows x cols zeros, each of `precision` bits if T is an MPFR number.
    matrix(std::size_t rows, std::size_t cols, element_precision precision) : matrix(rows, cols, T(), precision) {}
    // rows x cols copies of `fill` (MPFR numbers: at the precision of `fill`).
    matrix(std::size_t rows, std::size_t cols, const T& fill) {
        create(rows, cols, [&](T* first, std::size_t count) { std::uninitialized_fill_n(first, count, fill); });
    }
    // rows x cols copies of `fill`, each rounded to `precision` bits if T is an MPFR number.
    matrix(std::size_t rows, std::size_t cols, const T& fill, element_precision precision)
        : matrix(rows, cols, detail::with_precision(fill, precision)) {}

    // A deep copy; MPFR elements keep their precisions.
    matrix(const matrix& other) {
        create(other.rows_, other.cols_,
               [&](T* first, std::size_t count) { std::uninitialized_copy_n(other.data_, count, first); });
    }
    // Takes the storage; `other` is left 0 x 0.
    matrix(matrix&& other) noexcept
        : data_(std::exchange(other.data_, nullptr)),
          rows_(std::exchange(other.rows_, 0)),
          cols_(std::exchange(other.cols_, 0)) {}

    // Copy and swap: on an exception the matrix is unchanged.
    matrix& operator=(const matrix& other) {
        if (this != &other) matrix(other).swap(*this);
        return *this;
    }
    matrix& operator=(matrix&& other) noexcept {
        matrix(std::move(other)).swap(*this);
        return *this;
    }

    ~matrix() {
        std::destroy_n(data_, size());
        detail::deallocate_elements(data_);
    }

    void swap(matrix& other) noexcept {
        std::swap(data_, other.data_);
        std::swap(rows_, other.rows_);
        std::swap(cols_, other.cols_);
    }
    friend void swap(matrix& a, matrix& b) noexcept { a.swap(b); }

    std::size_t rows() const noexcept { return rows_; }
    std::size_t cols() const noexcept { return cols_; }
    std::size_t size() const noexcept { return rows_ * cols_; }
    bool empty() const noexcept { return size() == 0; }
    // 64-byte aligned; nullptr when the matrix is empty.
    T* data() noexcept { return data_; }
    const T* data() const noexcept { return data_; }

    matrix_view<T> view() noexcept { return {data_, rows_, cols_}; }
    matrix_view<const T> view() const noexcept { return {data_, rows_, cols_}; }
    operator matrix_view<T>() noexcept { return view(); }
    operator matrix_view<const T>() const noexcept { return view(); }

    // The accessors of matrix_view, with its checks.
    T& operator()(std::size_t i, std::size_t j) noexcept { return view()(i, j); }
    const T& operator()(std::size_t i, std::size_t j) const noexcept { return view()(i, j); }
    T& at(std::size_t i, std::size_t j) { return view().at(i, j); }
    const T& at(std::size_t i, std::size_t j) const { return view().at(i, j); }
    std::span<T> row(std::size_t i) noexcept { return view().row(i); }
    std::span<const T> row(std::size_t i) const noexcept { return view().row(i); }
    std::span<T> elements() noexcept { return view().elements(); }
    std::span<const T> elements() const noexcept { return view().elements(); }
    matrix_view<T> row_range(std::size_t begin, std::size_t end) { return view().row_range(begin, end); }
    matrix_view<const T> row_range(std::size_t begin, std::size_t end) const { return view().row_range(begin, end); }

    // Sets every element to `value`; MPFR elements keep their own precision
    // and receive `value` rounded to nearest.
    void fill(const T& value) {
        for (T& x : elements()) detail::assign_value(x, value);
    }

private:
    // Allocates the storage and lets `construct(first, count)` construct every
    // element; `construct` must destroy what it built if it throws (as the
    // std::uninitialized_* algorithms do).
    template <class Construct>
    void create(std::size_t rows, std::size_t cols, Construct construct) {
        const auto storage = detail::allocate_elements<T>(rows, cols);
        try {
            construct(storage.first, storage.count);
        } catch (...) {
            detail::deallocate_elements(storage.first);
            throw;
        }
        data_ = storage.first;
        rows_ = rows;
        cols_ = cols;
    }

    T* data_ = nullptr;
    std::size_t rows_ = 0;
    std::size_t cols_ = 0;
};

}  // namespace gradlab
