#pragma once
// The dimensions of a GEMM call, checked: what every precision's gemm() does
// first. Element (i, l) of op(A) and (l, j) of op(B) are read through
// op_a()/op_b(), for the generic paths.

#include <cstddef>
#include <stdexcept>
#include <string>

#include "gradlab/kernels/gemm.hpp"
#include "gradlab/tensor/matrix_view.hpp"

namespace gradlab::kernels_detail {

struct gemm_shape {
    std::size_t m = 0, n = 0, k = 0;
};

// The m, n, k of C = op(A) op(B); throws std::invalid_argument naming the
// layout and the three shapes when they do not fit together.
template <class A, class B, class C>
gemm_shape checked_gemm_shape(gemm_layout layout, matrix_view<A> a, matrix_view<B> b, matrix_view<C> c) {
    const bool a_transposed = layout == gemm_layout::tn;
    const bool b_transposed = layout == gemm_layout::nt;
    const std::size_t m = a_transposed ? a.cols() : a.rows();
    const std::size_t k = a_transposed ? a.rows() : a.cols();
    const std::size_t k_of_b = b_transposed ? b.cols() : b.rows();
    const std::size_t n = b_transposed ? b.rows() : b.cols();
    if (k != k_of_b || c.rows() != m || c.cols() != n)
        throw std::invalid_argument(std::string("gemm ") + gemm_layout_name(layout) + ": A " +
                                    detail::shape_text(a.rows(), a.cols()) + ", B " +
                                    detail::shape_text(b.rows(), b.cols()) + " and C " +
                                    detail::shape_text(c.rows(), c.cols()) + " do not fit together (" +
                                    (layout == gemm_layout::nt   ? "A m x k, B n x k, C m x n"
                                     : layout == gemm_layout::nn ? "A m x k, B k x n, C m x n"
                                                                 : "A k x m, B k x n, C m x n") +
                                    ")");
    return {m, n, k};
}

// op(A)(i, l) and op(B)(l, j) for `layout`.
template <class T>
const T& op_a(gemm_layout layout, matrix_view<const T> a, std::size_t i, std::size_t l) {
    return layout == gemm_layout::tn ? a(l, i) : a(i, l);
}
template <class T>
const T& op_b(gemm_layout layout, matrix_view<const T> b, std::size_t l, std::size_t j) {
    return layout == gemm_layout::nt ? b(j, l) : b(l, j);
}

}  // namespace gradlab::kernels_detail
