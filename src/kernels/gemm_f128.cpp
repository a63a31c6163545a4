// The binary128 GEMM: plain loops on Boost's float128 (libquadmath), OpenMP
// over rows of C. Element (i, j) is s = op(A)(i, 0) op(B)(0, j), then s = s +
// op(A)(i, l) op(B)(l, j) for l = 1 .. k-1, every product and sum rounded (no
// fused multiply-add), then C(i, j) = alpha s + beta C(i, j) (alpha s when
// beta is 0, s itself when alpha is 1; k = 0: beta C(i, j), or 0). Each
// element is computed by one thread in that order, so the bits do not depend
// on the thread count. Each thread keeps its row of sums from call to call:
// after the first, a call allocates nothing.

#include <cstddef>
#include <span>

#include "gemm_shape.hpp"
#include "growable_buffer.hpp"
#include "gradlab/kernels/gemm.hpp"

namespace gradlab {

namespace {

using kernels_detail::gemm_shape;

// Below this many multiply-adds (some 200 us on one core) the GEMM runs on
// the calling thread alone.
constexpr std::size_t min_work_for_threads = 4096;

// Row i of op(A) op(B) into `sums` (k >= 1): for nn and tn, l outer and
// j inner, so that rows of B are read in order while each sum still takes its
// terms in increasing l; for nt, a dot product of two contiguous rows.
void row_sums(gemm_layout layout, matrix_view<const float128> a, matrix_view<const float128> b, const gemm_shape& shape,
              std::size_t i, std::span<float128> sums) {
    using kernels_detail::op_a;
    if (layout == gemm_layout::nt) {
        for (std::size_t j = 0; j < shape.n; ++j) {
            float128 s = a(i, 0) * b(j, 0);
            for (std::size_t l = 1; l < shape.k; ++l) s += a(i, l) * b(j, l);
            sums[j] = s;
        }
        return;
    }
    const float128 first = op_a(layout, a, i, 0);
    for (std::size_t j = 0; j < shape.n; ++j) sums[j] = first * b(0, j);
    for (std::size_t l = 1; l < shape.k; ++l) {
        const float128 factor = op_a(layout, a, i, l);
        for (std::size_t j = 0; j < shape.n; ++j) sums[j] += factor * b(l, j);
    }
}

// n sums, this thread's.
std::span<float128> row_of_sums(std::size_t n) {
    thread_local kernels_detail::growable_buffer<float128> sums;
    return sums.first(n);
}

}  // namespace

void gemm(gemm_layout layout, const float128& alpha, matrix_view<const float128> a, matrix_view<const float128> b,
          const float128& beta, matrix_view<float128> c) {
    const gemm_shape shape = kernels_detail::checked_gemm_shape(layout, a, b, c);
    const auto rows = static_cast<std::ptrdiff_t>(shape.m);
    const bool scale = alpha != 1, accumulate = beta != 0;
#pragma omp parallel if (shape.m * shape.n * shape.k >= min_work_for_threads)
    {
        const std::span<float128> sums = row_of_sums(shape.k > 0 ? shape.n : 0);
#pragma omp for schedule(static)
        for (std::ptrdiff_t row = 0; row < rows; ++row) {
            const auto i = static_cast<std::size_t>(row);
            if (shape.k == 0) {
                for (std::size_t j = 0; j < shape.n; ++j) c(i, j) = accumulate ? float128(beta * c(i, j)) : float128(0);
                continue;
            }
            row_sums(layout, a, b, shape, i, sums);
            for (std::size_t j = 0; j < shape.n; ++j) {
                const float128 s = scale ? float128(alpha * sums[j]) : sums[j];
                c(i, j) = accumulate ? float128(s + beta * c(i, j)) : s;
            }
        }
    }
}

}  // namespace gradlab
