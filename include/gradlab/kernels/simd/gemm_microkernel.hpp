#pragma once
// The GEMM micro-kernel contract: the only instruction-set-specific part of
// the float and double GEMM (declarations; the definitions are in
// gemm_microkernel_impl.hpp, compiled once per instruction set in
// src/kernels/simd/gemm_microkernel_<isa>.cpp). Blocking, packing and the
// OpenMP partition are portable code in src/kernels/gemm_native.cpp.
//
// A call computes one register tile of C, mr rows by nr columns:
//
//   AB(r, j) = sum over l < kc of a[l * mr + r] * b[l * nr + j]
//   C(r, j)  = alpha AB(r, j) + beta C(r, j)      for r < m, j < n only
//
// `a` is a packed micro-panel of op(A) (for each l, the mr entries of one
// column), `b` one of op(B) (for each l, nr entries of one row), both
// zero-padded to full tiles by the kernel set's own pack functions below;
// `b` is aligned to the vector width, `a` need not be. Row r of the tile is
// c + r * ldc.
//
// Each AB(r, j) is a chain of fused multiply-adds in increasing l, from +0
// (on an instruction set without FMA, a multiply then an add). Then
// t = alpha AB rounded (skipped when alpha is 1), and C = t when beta is 0,
// t + C when beta is 1, else fma(beta, C, t).
//
// When beta is 0 the kernel writes C and never reads it: C may hold NaN or
// Inf from before. Edge tiles (m < mr or n < nr) are the kernel's job, and
// give the same bits as the same entries of a full tile would.

#include <cstddef>

namespace gradlab::simd {

// A strided view of a matrix: entry (r, l) is data[r * row_stride + l * depth_stride].
template <class T>
struct strided_source {
    const T* data;
    std::size_t row_stride, depth_stride;
    const T* at(std::size_t r, std::size_t l) const { return data + r * row_stride + l * depth_stride; }
};

template <class T>
struct gemm_microkernel {
    std::size_t mr = 0;  // tile rows: entries of A broadcast per step
    std::size_t nr = 0;  // tile columns: a few SIMD vectors of B per step
    void (*compute)(std::size_t kc, const T* a, const T* b, T alpha, T beta, T* c, std::size_t ldc, std::size_t m,
                    std::size_t n) = nullptr;
    // Packs a micro-panel of B from rows that run along k (op(B) of nt):
    // b[l * nr + j] = src[j * stride + l] for j < rows <= nr, l < kc, and 0
    // for rows <= j < nr. A transpose, done in registers.
    void (*pack_b_transposed)(const T* src, std::size_t stride, std::size_t rows, std::size_t kc, T* b) = nullptr;
    // Pack rows [0, rows) of src into micro-panels of w = mr (pack_a) or
    // nr (pack_b) rows: panel p holds dst[p * w * depth + l * w + r] =
    // src(p * w + r, l) for l < depth, zero-padded to whole panels.
    // Portable code, compiled per instruction set for its wider copies.
    void (*pack_a)(strided_source<T> src, std::size_t rows, std::size_t depth, T* dst) = nullptr;
    void (*pack_b)(strided_source<T> src, std::size_t rows, std::size_t depth, T* dst) = nullptr;
};

// The micro-kernel compiled for Arch (an xsimd architecture).
template <class Arch, class T>
gemm_microkernel<T> gemm_microkernel_for();

// The portable one, without SIMD: what isa::generic runs.
template <class T>
gemm_microkernel<T> gemm_microkernel_scalar();

}  // namespace gradlab::simd
