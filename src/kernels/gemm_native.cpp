// The float and double GEMM: the five blocking loops around the micro-kernel
// (kernels/simd/gemm_microkernel.hpp), packing, and the OpenMP partition, all
// portable. With C m x n, op(A) m x k, op(B) k x n:
//
//   for each block of mc rows of C                     (A block: L3)
//     for each block of kc along k, in increasing order
//       pack op(A)'s block into micro-panels of mr rows
//       for each block of nc columns of C
//         pack op(B)'s block into micro-panels of nr columns   (L2)
//         for each micro-panel of A                     (L1)
//           for each micro-panel of B: the micro-kernel, one tile of C
//
// The k blocks are the only place the order of the sum is decided, and their
// boundaries depend on k alone. Threads run these loops on disjoint blocks of
// whole tiles of C, each with its own packing buffers, so a tile is computed
// the same way whichever thread computes it and no thread waits for another.
// The first k block applies beta, the later ones add (beta = 1). A thread's
// packing buffers are its own, grown to the largest block it has packed and
// kept for its later calls: after the first, a call allocates nothing.

#include <omp.h>

#include <algorithm>
#include <cstddef>
#include <utility>

#include <xsimd/xsimd.hpp>

#include "gemm_shape.hpp"
#include "growable_buffer.hpp"
#include "gradlab/kernels/gemm.hpp"
#include "gradlab/kernels/simd/gemm_microkernel.hpp"
#include "gradlab/platform/gradual_underflow_scope.hpp"

namespace gradlab {

const char* gemm_layout_name(gemm_layout layout) {
    switch (layout) {
        case gemm_layout::nt: return "nt";
        case gemm_layout::nn: return "nn";
        case gemm_layout::tn: return "tn";
    }
    return "?";
}

namespace {

// Block sizes in elements: kc * nc entries of B fill half of a 1 MiB L2
// (512 KiB); an A micro-panel, kc * mr entries (6 KiB of float with mr = 6),
// stays in the 32 KiB L1 while B micro-panels stream past it.
template <class T>
struct gemm_blocking {
    static constexpr std::size_t kc = 256, mc = 1536, nc = 2048 / sizeof(T);
};

// Products below this many multiply-adds run on one thread: starting the
// team would cost more than it saves.
constexpr std::size_t parallel_threshold = 64 * 64 * 64;

// C = beta C (k = 0): C is not read when beta is 0.
template <class T>
void scale_c(T beta, matrix_view<T> c) {
    if (beta == T(1)) return;
    for (T& x : c.elements()) x = beta == T(0) ? T(0) : beta * x;
}

template <class T>
simd::gemm_microkernel<T> microkernel_for(isa level) {
    switch (level) {
        case isa::generic: return simd::gemm_microkernel_scalar<T>();
#if defined(GRADLAB_HAVE_AVX512)
        case isa::avx512: return simd::gemm_microkernel_for<xsimd::avx512bw, T>();
#endif
#if defined(GRADLAB_HAVE_AVX2)
        case isa::avx2: return simd::gemm_microkernel_for<xsimd::fma3<xsimd::avx2>, T>();
#endif
        default: return simd::gemm_microkernel_for<xsimd::default_arch, T>();
    }
}

// One call's operands and kernel: op(A)(i, l) and op(B)(l, j) as strided
// sources indexed (row of a panel, depth).
template <class T>
struct gemm_problem {
    simd::gemm_microkernel<T> kernel;
    simd::strided_source<T> a, b;
    T alpha, beta;
    T* c;
    std::size_t ldc, k;
};

// The sub-block of C rows [i_begin, i_end) x columns [j_begin, j_end), by
// the blocked loops of the header comment, on this thread alone with its own
// packing buffers.
template <class T>
void compute_block(const gemm_problem<T>& p, std::size_t i_begin, std::size_t i_end, std::size_t j_begin,
                   std::size_t j_end) {
    const gradual_underflow_scope exact_subnormals;
    const simd::gemm_microkernel<T>& kernel = p.kernel;
    const std::size_t mr = kernel.mr, nr = kernel.nr;
    const std::size_t mc = gemm_blocking<T>::mc / mr * mr, nc = gemm_blocking<T>::nc / nr * nr;
    const std::size_t kc = std::min(gemm_blocking<T>::kc, p.k);
    // This thread's packing buffers, kept for its later calls.
    thread_local kernels_detail::growable_buffer<T> a_buffer, b_buffer;
    T* packed_a = a_buffer.first(std::min(mc, (i_end - i_begin + mr - 1) / mr * mr) * kc).data();
    T* packed_b = b_buffer.first(kc * std::min(nc, (j_end - j_begin + nr - 1) / nr * nr)).data();
    for (std::size_t i0 = i_begin; i0 < i_end; i0 += mc) {
        const std::size_t mb = std::min(mc, i_end - i0);
        for (std::size_t l0 = 0; l0 < p.k; l0 += kc) {
            const std::size_t kb = std::min(kc, p.k - l0);
            kernel.pack_a(simd::strided_source<T>{p.a.at(i0, l0), p.a.row_stride, p.a.depth_stride}, mb, kb, packed_a);
            for (std::size_t j0 = j_begin; j0 < j_end; j0 += nc) {
                const std::size_t nb = std::min(nc, j_end - j0);
                const simd::strided_source<T> block{p.b.at(j0, l0), p.b.row_stride, p.b.depth_stride};
                if (block.depth_stride == 1)
                    for (std::size_t q = 0; q < nb; q += nr)
                        kernel.pack_b_transposed(block.at(q, 0), block.row_stride, std::min(nr, nb - q), kb,
                                                 packed_b + q * kb);
                else
                    kernel.pack_b(block, nb, kb, packed_b);
                // One A panel stays in L1 while the B panels stream past it.
                const T beta = l0 == 0 ? p.beta : T(1);
                for (std::size_t r = 0; r < mb; r += mr)
                    for (std::size_t q = 0; q < nb; q += nr)
                        kernel.compute(kb, packed_a + r * kb, packed_b + q * kb, p.alpha, beta,
                                       p.c + (i0 + r) * p.ldc + j0 + q, p.ldc, std::min(mr, mb - r),
                                       std::min(nr, nb - q));
            }
        }
    }
}

// [begin, end) of part t of `count` units split into `parts` near-equal runs.
inline std::pair<std::size_t, std::size_t> share(std::size_t count, int t, int parts) {
    return {count * t / parts, count * (t + 1) / parts};
}

template <class T>
void gemm_native(gemm_layout layout, T alpha, matrix_view<const T> a, matrix_view<const T> b, T beta,
                 matrix_view<T> c, isa level) {
    const auto [m, n, k] = kernels_detail::checked_gemm_shape(layout, a, b, c);
    require_supported_isa(level, "gemm");
    if (m == 0 || n == 0) return;
    if (k == 0) {
        const gradual_underflow_scope exact_subnormals;
        return scale_c(beta, c);
    }
    const gemm_problem<T> p{microkernel_for<T>(level),
                            layout == gemm_layout::tn ? simd::strided_source<T>{a.data(), 1, m}
                                                      : simd::strided_source<T>{a.data(), k, 1},
                            layout == gemm_layout::nt ? simd::strided_source<T>{b.data(), k, 1}
                                                      : simd::strided_source<T>{b.data(), 1, n},
                            alpha,
                            beta,
                            c.data(),
                            n,
                            k};
    // Threads take disjoint blocks of whole tiles of C, columns when there
    // are enough tile columns to go round, else rows: no thread waits for
    // another (a barrier costs dearly when the machine is shared), and each
    // tile is computed the same way whoever computes it.
    const bool parallel = m * n * k >= parallel_threshold && !omp_in_parallel();
#pragma omp parallel if (parallel)
    {
        const int t = omp_get_thread_num(), threads = omp_get_num_threads();
        const std::size_t col_tiles = (n + p.kernel.nr - 1) / p.kernel.nr;
        const std::size_t row_tiles = (m + p.kernel.mr - 1) / p.kernel.mr;
        if (col_tiles >= std::size_t(threads)) {
            const auto [first, last] = share(col_tiles, t, threads);
            if (first < last) compute_block(p, 0, m, first * p.kernel.nr, std::min(n, last * p.kernel.nr));
        } else {
            const auto [first, last] = share(row_tiles, t, threads);
            if (first < last) compute_block(p, first * p.kernel.mr, std::min(m, last * p.kernel.mr), 0, n);
        }
    }
}

}  // namespace

void gemm(gemm_layout layout, float alpha, matrix_view<const float> a, matrix_view<const float> b, float beta,
          matrix_view<float> c, isa level) {
    gemm_native(layout, alpha, a, b, beta, c, level);
}

void gemm(gemm_layout layout, double alpha, matrix_view<const double> a, matrix_view<const double> b, double beta,
          matrix_view<double> c, isa level) {
    gemm_native(layout, alpha, a, b, beta, c, level);
}

}  // namespace gradlab
