#pragma once
// Definitions of the GEMM micro-kernels (the contract is in
// gemm_microkernel.hpp): included only by the per-ISA translation units.

#include <cstddef>
#include <type_traits>

#include <xsimd/xsimd.hpp>

#include "gradlab/kernels/simd/elementwise_kernel.hpp"
#include "gradlab/kernels/simd/gemm_microkernel.hpp"
#include "gradlab/kernels/simd/transpose_tile.hpp"

namespace gradlab::simd {

namespace detail {

// Tile shapes, in rows x SIMD vectors: mr * vectors accumulators plus the
// vectors of B and one broadcast must fit the register file (32 registers
// with AVX-512, 16 below it).
template <class Arch, class T>
struct gemm_tile_shape {
    static constexpr std::size_t rows = 6, vectors = 2;
};
#if XSIMD_WITH_AVX512F
template <>
struct gemm_tile_shape<xsimd::avx512bw, float> {
    static constexpr std::size_t rows = 6, vectors = 4;
};
template <>
struct gemm_tile_shape<xsimd::avx512bw, double> {
    static constexpr std::size_t rows = 8, vectors = 3;
};
#endif

// x y + z, fused where the instruction set has FMA (xsimd 8.1's fma is a
// multiply and an add for AVX-512, so that one is spelled out); a multiply
// then an add without it, so the baseline never calls a software fma.
template <class V>
inline V multiply_add(V x, V y, V z) {
    if constexpr (std::is_floating_point_v<V>) {
        return x * y + z;
#if XSIMD_WITH_AVX512F
    } else if constexpr (std::is_base_of_v<xsimd::avx512f, typename V::arch_type>) {
        if constexpr (std::is_same_v<typename V::value_type, float>)
            return _mm512_fmadd_ps(x, y, z);
        else
            return _mm512_fmadd_pd(x, y, z);
#endif
    } else {
        return xsimd::fma(x, y, z);
    }
}

// Lanes: an xsimd batch, or T itself for the scalar kernel.
template <class V>
struct lane_ops {
    using value_type = typename V::value_type;
    static constexpr std::size_t size = V::size;
    static V load(const value_type* p) { return V::load_unaligned(p); }
    static V load_aligned(const value_type* p) { return V::load_aligned(p); }
    static void store(V v, value_type* p) { v.store_unaligned(p); }
};
template <class V>
    requires std::is_floating_point_v<V>
struct lane_ops<V> {
    using value_type = V;
    static constexpr std::size_t size = 1;
    static V load(const V* p) { return *p; }
    static V load_aligned(const V* p) { return *p; }
    static void store(V v, V* p) { *p = v; }
};

// The tile's update of C (see the contract), on rows of `ld` entries.
template <class V, std::size_t MR, std::size_t NV, class T = typename lane_ops<V>::value_type>
inline void update_tile(const V (&ab)[MR][NV], T alpha, T beta, T* c, std::size_t ld) {
    using L = lane_ops<V>;
    for (std::size_t r = 0; r < MR; ++r) {
        for (std::size_t v = 0; v < NV; ++v) {
            T* p = c + r * ld + v * L::size;
            // rounded(): alpha AB is rounded before the add, never contracted
            // into one FMA with it (GCC contracts by default with -mfma).
            const V t = alpha == T(1) ? ab[r][v] : rounded(V(alpha) * ab[r][v]);
            if (beta == T(0))
                L::store(t, p);
            else if (beta == T(1))
                L::store(t + L::load(p), p);
            else
                L::store(multiply_add(V(beta), L::load(p), t), p);
        }
    }
}

template <class V, std::size_t MR, std::size_t NV, class T = typename lane_ops<V>::value_type>
void compute_tile(std::size_t kc, const T* a, const T* b, T alpha, T beta, T* c, std::size_t ldc, std::size_t m,
                  std::size_t n) {
    using L = lane_ops<V>;
    constexpr std::size_t nr = NV * L::size;
    V ab[MR][NV];
#pragma GCC unroll 32
    for (std::size_t r = 0; r < MR; ++r)
#pragma GCC unroll 4
        for (std::size_t v = 0; v < NV; ++v) ab[r][v] = V(T(0));
    for (std::size_t l = 0; l < kc; ++l, a += MR, b += nr) {
        V bv[NV];
#pragma GCC unroll 4
        for (std::size_t v = 0; v < NV; ++v) bv[v] = L::load_aligned(b + v * L::size);
#pragma GCC unroll 32
        for (std::size_t r = 0; r < MR; ++r) {
            const V ar(a[r]);
#pragma GCC unroll 4
            for (std::size_t v = 0; v < NV; ++v) ab[r][v] = multiply_add(ar, bv[v], ab[r][v]);
        }
    }
    if (m == MR && n == nr) {
        update_tile(ab, alpha, beta, c, ldc);
        return;
    }
    // An edge tile: the same update on a copy of the entries it owns.
    alignas(64) T tile[MR * nr] = {};
    if (beta != T(0))
        for (std::size_t r = 0; r < m; ++r)
            for (std::size_t j = 0; j < n; ++j) tile[r * nr + j] = c[r * ldc + j];
    update_tile(ab, alpha, beta, tile, nr);
    for (std::size_t r = 0; r < m; ++r)
        for (std::size_t j = 0; j < n; ++j) c[r * ldc + j] = tile[r * nr + j];
}

// The contract's pack_b_transposed, in tiles of W x W (W = 1: element by
// element, for the scalar kernel).
template <class Arch, class T, std::size_t NR, std::size_t W>
void pack_b_transposed(const T* src, std::size_t stride, std::size_t rows, std::size_t kc, T* b) {
    std::size_t j0 = 0;
    if constexpr (W > 1) {
        for (; j0 + W <= rows; j0 += W) {
            std::size_t l0 = 0;
            for (; l0 + W <= kc; l0 += W)
                transpose_tile<Arch, T, W>(src + j0 * stride + l0, stride, b + l0 * NR + j0, NR);
            for (; l0 < kc; ++l0)
                for (std::size_t j = j0; j < j0 + W; ++j) b[l0 * NR + j] = src[j * stride + l0];
        }
    }
    for (std::size_t l = 0; l < kc; ++l) {
        for (std::size_t j = j0; j < rows; ++j) b[l * NR + j] = src[j * stride + l];
        for (std::size_t j = rows; j < NR; ++j) b[l * NR + j] = T(0);
    }
}

// The contract's pack_a and pack_b, for panels of `width` rows. Reads follow
// whichever side of src is contiguous: along l, row by row; along r, depth by
// depth across every panel (panel by panel would read a few cache lines of
// each row of src, a pattern no hardware prefetcher follows), prefetching
// into L2 the depth 16 ahead. Arch keeps the instruction sets' instantiations
// apart.
template <class Arch, class T, std::size_t width>
void pack_panels(strided_source<T> src, std::size_t rows, std::size_t depth, T* dst) {
    // src(r, l), spelled out rather than through strided_source::at: an
    // inline function shared with baseline code would become a symbol of
    // this instruction set's library wherever the compiler did not inline it.
    const auto at = [&src](std::size_t r, std::size_t l) {
        return src.data + r * src.row_stride + l * src.depth_stride;
    };
    const std::size_t panels = (rows + width - 1) / width;
    for (std::size_t p = 0; p < panels; ++p) {
        T* panel = dst + p * width * depth;
        const std::size_t r0 = p * width, used = rows - r0 < width ? rows - r0 : width;
        if (src.depth_stride == 1)
            for (std::size_t r = 0; r < used; ++r)
                for (std::size_t l = 0; l < depth; ++l) panel[l * width + r] = at(r0 + r, 0)[l];
        for (std::size_t l = 0; l < depth; ++l)
            for (std::size_t r = used; r < width; ++r) panel[l * width + r] = T(0);
    }
    if (src.depth_stride == 1) return;
    constexpr std::size_t prefetch_distance = 16;  // in depths
    constexpr std::size_t line = 64 / sizeof(T);   // entries per cache line
    for (std::size_t l = 0; l < depth; ++l) {
        if (l + prefetch_distance < depth)
            for (std::size_t r = 0; r < rows; r += line) __builtin_prefetch(at(r, l + prefetch_distance), 0, 2);
        const T* s = at(0, l);
        for (std::size_t r0 = 0; r0 < rows; r0 += width) {
            T* d = dst + r0 * depth + l * width;
            if (rows - r0 >= width) {  // a whole panel: a copy of fixed length
                for (std::size_t r = 0; r < width; ++r) d[r] = s[r0 + r];
            } else {
                for (std::size_t r = 0; r < rows - r0; ++r) d[r] = s[r0 + r];
            }
        }
    }
}

}  // namespace detail

template <class Arch, class T>
gemm_microkernel<T> gemm_microkernel_for() {
    using shape = detail::gemm_tile_shape<Arch, T>;
    using V = xsimd::batch<T, Arch>;
    constexpr std::size_t nr = shape::vectors * V::size;
    return {shape::rows, nr, &detail::compute_tile<V, shape::rows, shape::vectors>,
            &detail::pack_b_transposed<Arch, T, nr, V::size>, &detail::pack_panels<Arch, T, shape::rows>,
            &detail::pack_panels<Arch, T, nr>};
}

template <class T>
gemm_microkernel<T> gemm_microkernel_scalar() {
    return {4, 4, &detail::compute_tile<T, 4, 4>, &detail::pack_b_transposed<void, T, 4, 1>,
            &detail::pack_panels<void, T, 4>, &detail::pack_panels<void, T, 4>};
}

}  // namespace gradlab::simd

#define GRADLAB_INSTANTIATE_GEMM_MICROKERNEL(ARCH)                                                   \
    template gradlab::simd::gemm_microkernel<float> gradlab::simd::gemm_microkernel_for<ARCH, float>(); \
    template gradlab::simd::gemm_microkernel<double> gradlab::simd::gemm_microkernel_for<ARCH, double>();
