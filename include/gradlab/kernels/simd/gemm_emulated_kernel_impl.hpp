#pragma once
// Definition of the emulated GEMM kernel: included only by the per-ISA
// translation units that instantiate it (see gemm_emulated_kernel.hpp).

#include <cstddef>
#include <cstdint>
#include <limits>

#include <xsimd/xsimd.hpp>

#include "gradlab/kernels/simd/gemm_emulated_kernel.hpp"
#include "gradlab/scalar/simd/round_array_kernel_impl.hpp"

namespace gradlab::simd {

namespace detail {

// Batches per group of columns: independent chains of add-then-round, enough
// to hide the latency of one step of a chain (some 40 cycles) behind the others.
inline constexpr std::size_t emulated_gemm_unroll = 4;

// Double lanes rounded to the format in Mode.
template <class Arch, rounding_mode Mode>
class format_lanes {
public:
    using D = xsimd::batch<double, Arch>;
    using B = xsimd::batch<std::int64_t, Arch>;
    using U = xsimd::batch<std::uint64_t, Arch>;
    static constexpr std::size_t group = emulated_gemm_unroll * D::size;

    format_lanes(const rounding_constants<double>& k, const sr_stream& sr)
        : k_(k), sr_(sr), lowest_normal_(k.emin_biased), top_binade_(k.emax_biased), normal_shift_(k.base_shift) {}

    // Every batch of x rounded to the format, in place; random31 from random()
    // (read only by stochastic rounding). One test for the whole group picks
    // the fast path of round_array, which also rounds ±0 to itself (no lane
    // here is a binary64 subnormal, so exponent 0 means zero).
    void round(D (&x)[emulated_gemm_unroll], const B (&random31)[emulated_gemm_unroll]) const {
        const B zero(std::int64_t{0});
        auto normal = xsimd::batch_bool<std::int64_t, Arch>(true);
        for (const D& v : x) {
            const B exponent = xsimd::bitwise_cast<B>((xsimd::bitwise_cast<U>(v) >> 52) & U(std::uint64_t{0x7ff}));
            normal = normal & ((exponent >= lowest_normal_) | (exponent == zero)) & (exponent < top_binade_);
        }
        const bool fast = xsimd::all(normal);
        for (std::size_t u = 0; u < emulated_gemm_unroll; ++u) {
            const B bits = xsimd::bitwise_cast<B>(x[u]);
            B rounded;
            if (!fast) rounded = round_lanes<Arch, Mode, double>(bits, random31[u], k_);
            else if (Mode == rounding_mode::stochastic && normal_shift_ > 31)
                rounded = stochastic_normal_lanes(bits, random31[u]);
            else rounded = round_normal_lanes<Arch, Mode, double>(bits, random31[u], static_cast<int>(normal_shift_));
            x[u] = xsimd::bitwise_cast<D>(rounded);
        }
    }

    // The random bits of stream indices index, index + 1, ... for the group
    // of emulated_gemm_unroll batches that starts there.
    void random(std::uint64_t index, B (&random31)[emulated_gemm_unroll]) const {
        if constexpr (Mode == rounding_mode::stochastic) {
            // hashed in 32-bit lanes, twice as many per batch, then widened
            using R = xsimd::batch<std::int32_t, Arch>;
            alignas(64) std::int32_t bits[group];
            for (std::size_t h = 0; h < group; h += R::size)
                random_lanes<Arch, float>(sr_, index + h).store_aligned(bits + h);
            for (std::size_t u = 0; u < emulated_gemm_unroll; ++u) random31[u] = B::load_aligned(bits + u * D::size);
        } else {
            (void)index;
            for (auto& r : random31) r = B(std::int64_t{0});
        }
    }

private:
    // Stochastic rounding on the fast path when it drops s > 31 bits (more
    // than round_normal_lanes takes): with q = s - 31 and N the dropped bits,
    // round_to_format's rule ceil(N / 2^q) + r >= 2^31 holds exactly when
    // N + (r + 1) 2^q - 1 >= 2^s, a carry out of the dropped bits.
    B stochastic_normal_lanes(B x, B random31) const {
        const B sign_mask(std::numeric_limits<std::int64_t>::min());
        const B sign = x & sign_mask;
        const int q = static_cast<int>(normal_shift_) - 31;
        const B mask((std::int64_t{1} << normal_shift_) - 1);
        const B increment = (random31 << q) + B((std::int64_t{1} << q) - 1);
        return (((x ^ sign) + increment) & ~mask) | sign;
    }

    rounding_constants<double> k_;
    sr_stream sr_;
    B lowest_normal_, top_binade_;
    std::int64_t normal_shift_;
};

// x + y rounded to odd in binary64, for x and y format values (or products
// of two floats): the exact sum when it is a double, else whichever of the
// two doubles around it has an odd last bit. Rounding that once more to p <=
// 51 bits gives the correctly rounded sum in every mode (Boldo and Melquiond,
// "When double rounding is odd", 2005); the sums never overflow, and never
// fall below binary64's normal range unless exact.
template <class Arch, rounding_mode Mode>
inline xsimd::batch<double, Arch> add_round_to_odd(xsimd::batch<double, Arch> x, xsimd::batch<double, Arch> y) {
    using D = xsimd::batch<double, Arch>;
    using U = xsimd::batch<std::uint64_t, Arch>;
    const D s = x + y;
    // Knuth's TwoSum: s + e == x + y exactly.
    const D y_part = s - x;
    const D e = (x - (s - y_part)) + (y - y_part);
    // Inexact: x + y lies strictly between s and its neighbour on e's side.
    // Truncating it (one step down in magnitude when e points toward zero)
    // and setting the last bit gives the odd one of the two. When s is Inf or
    // NaN, e is NaN and s stays.
    const U s_bits = xsimd::bitwise_cast<U>(s);
    const U toward_zero = (s_bits ^ xsimd::bitwise_cast<U>(e)) >> 63;
    const D truncated_odd = xsimd::bitwise_cast<D>((s_bits - toward_zero) | U(std::uint64_t{1}));
    D odd = xsimd::select(xsimd::abs(e) > D(0.0), truncated_odd, s);
    // IEEE 754: an exact zero sum is -0 when rounding downward unless both
    // terms are +0 (binary64's round to nearest gave +0).
    if constexpr (Mode == rounding_mode::downward) odd = xsimd::select(s == D(0.0), (x | y) & D(-0.0), odd);
    return odd;
}

// C(i, j) for the columns of one group; C goes through a buffer, so that a
// group may end past the chunk's width.
template <class Arch, rounding_mode Mode>
void emulated_gemm_group(const emulated_gemm_problem& problem, const emulated_gemm_chunk& chunk,
                         const format_lanes<Arch, Mode>& format, std::size_t g) {
    using D = xsimd::batch<double, Arch>;
    using B = xsimd::batch<std::int64_t, Arch>;
    constexpr std::size_t L = D::size, W = emulated_gemm_unroll;
    const std::size_t m = problem.m, n = problem.n, k = problem.k;
    const std::size_t columns = chunk.width - g < W * L ? chunk.width - g : W * L;
    // Stream indices of the group's first lane (see gemm_emulated.cpp).
    const std::uint64_t products = problem.sr.offset + chunk.i * k * n + chunk.j + g;
    const std::uint64_t sums = products + m * n * k;
    const std::uint64_t scaled = problem.sr.offset + 2 * m * n * k + chunk.i * n + chunk.j + g;
    B r[W], q[W];
    D c[W], t[W];

    if (k > 0) {
        const D a0(static_cast<double>(chunk.a[0]));
        format.random(products, r);
        for (std::size_t u = 0; u < W; ++u) c[u] = a0 * D::load_aligned(chunk.b + g + u * L);
        format.round(c, r);
        for (std::size_t l = 1; l < k; ++l) {
            const D a(static_cast<double>(chunk.a[l * chunk.a_step]));
            const double* b = chunk.b + l * emulated_gemm_columns + g;
            format.random(products + l * n, r);
            format.random(sums + l * n, q);
            for (std::size_t u = 0; u < W; ++u) t[u] = a * D::load_aligned(b + u * L);
            format.round(t, r);
            for (std::size_t u = 0; u < W; ++u) c[u] = add_round_to_odd<Arch, Mode>(c[u], t[u]);
            format.round(c, q);
        }
        if (problem.alpha != 1.0f) {
            format.random(scaled, r);
            const D alpha(static_cast<double>(problem.alpha));
            for (auto& v : c) v = alpha * v;
            format.round(c, r);
        }
    } else {
        for (auto& v : c) v = D(0.0);
    }

    alignas(64) float buffer[W * L] = {};
    if (problem.beta != 0.0f) {
        for (std::size_t v = 0; v < columns; ++v) buffer[v] = chunk.c[g + v];
        format.random(scaled + m * n, r);
        format.random(scaled + 2 * m * n, q);
        const D beta(static_cast<double>(problem.beta));
        for (std::size_t u = 0; u < W; ++u) t[u] = beta * D::load_aligned(buffer + u * L);
        format.round(t, r);
        if (k > 0) {
            for (std::size_t u = 0; u < W; ++u) c[u] = add_round_to_odd<Arch, Mode>(c[u], t[u]);
            format.round(c, q);
        } else {
            for (std::size_t u = 0; u < W; ++u) c[u] = t[u];
        }
    }
    for (std::size_t u = 0; u < W; ++u) c[u].store_aligned(buffer + u * L);
    for (std::size_t v = 0; v < columns; ++v) chunk.c[g + v] = buffer[v];
}

template <class Arch, rounding_mode Mode>
void emulated_gemm_loop(const emulated_gemm_problem& problem, const emulated_gemm_chunk& chunk) {
    // a copy of the constants: stores through chunk.c may alias anything
    const format_lanes<Arch, Mode> format(problem.format, problem.sr);
    for (std::size_t g = 0; g < chunk.width; g += format.group) emulated_gemm_group(problem, chunk, format, g);
}

}  // namespace detail

template <class Arch>
void emulated_gemm_kernel(const emulated_gemm_problem& problem, const emulated_gemm_chunk& chunk) {
    switch (problem.mode) {
        case rounding_mode::nearest_even:
            return detail::emulated_gemm_loop<Arch, rounding_mode::nearest_even>(problem, chunk);
        case rounding_mode::toward_zero:
            return detail::emulated_gemm_loop<Arch, rounding_mode::toward_zero>(problem, chunk);
        case rounding_mode::upward: return detail::emulated_gemm_loop<Arch, rounding_mode::upward>(problem, chunk);
        case rounding_mode::downward: return detail::emulated_gemm_loop<Arch, rounding_mode::downward>(problem, chunk);
        case rounding_mode::stochastic:
            return detail::emulated_gemm_loop<Arch, rounding_mode::stochastic>(problem, chunk);
    }
}

}  // namespace gradlab::simd

// Instantiated per instruction set in src/kernels/simd/gemm_emulated_<isa>.cpp.
#define GRADLAB_INSTANTIATE_EMULATED_GEMM(ARCH) \
    template void gradlab::simd::emulated_gemm_kernel<ARCH>(const emulated_gemm_problem&, const emulated_gemm_chunk&);
