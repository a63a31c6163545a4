#pragma once
// A square tile of one SIMD register a side, transposed in registers: the
// packing of op(B) for the nt layout, whose rows run along k. Included only by
// the per-ISA GEMM translation units.
//
// xsimd 8.1 has no two-register shuffle, so this uses the vector extension of
// GCC and Clang (__builtin_shuffle), which each instruction set compiles to
// its own permutes (vpermt2ps on AVX-512). log2(N) rounds of interleaving
// rows i and i + N/2 transpose an N x N tile: after round s, every row holds
// 2^s-element runs of the transpose.

#include <cstddef>
#include <cstring>
#include <type_traits>

namespace gradlab::simd {

namespace detail {

// N lanes of T as a GCC vector (a typedef: the attribute needs a declaration).
template <class T, std::size_t N>
struct vector_of {
    typedef T type __attribute__((vector_size(N * sizeof(T))));
};

}  // namespace detail

// dst[l * dst_stride + r] = src[r * src_stride + l] for r, l < N. Arch only
// keeps the instantiations of different instruction sets apart.
template <class Arch, class T, std::size_t N>
[[gnu::always_inline]] inline void transpose_tile(const T* src, std::size_t src_stride, T* dst, std::size_t dst_stride) {
    using V = typename detail::vector_of<T, N>::type;
    using index = std::conditional_t<sizeof(T) == 4, int, long long>;
    using I = typename detail::vector_of<index, N>::type;
    I low{}, high{};
    for (std::size_t i = 0; i < N / 2; ++i) {
        low[2 * i] = index(i);
        low[2 * i + 1] = index(i + N);
        high[2 * i] = index(i + N / 2);
        high[2 * i + 1] = index(i + N / 2 + N);
    }
    V v[N];
#pragma GCC unroll 16
    for (std::size_t r = 0; r < N; ++r) std::memcpy(&v[r], src + r * src_stride, sizeof(V));
#pragma GCC unroll 4
    for (std::size_t round = 1; round < N; round *= 2) {
        V w[N];
#pragma GCC unroll 16
        for (std::size_t i = 0; i < N / 2; ++i) {
            w[2 * i] = __builtin_shuffle(v[i], v[i + N / 2], low);
            w[2 * i + 1] = __builtin_shuffle(v[i], v[i + N / 2], high);
        }
#pragma GCC unroll 16
        for (std::size_t i = 0; i < N; ++i) v[i] = w[i];
    }
#pragma GCC unroll 16
    for (std::size_t l = 0; l < N; ++l) std::memcpy(dst + l * dst_stride, &v[l], sizeof(V));
}

}  // namespace gradlab::simd
