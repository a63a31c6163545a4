// The GEMM of the emulated formats (values of the format in float storage),
// with either accumulation of kernels/gemm.hpp.
//
// gemm_accumulation::fp32: the float GEMM, then C rounded once with
// round_array; element (i, j) of C draws stream index o + i n + j (o =
// sr.offset).
//
// gemm_accumulation::format: each element of C is computed as
//     s = r(op(A)(i, 0) op(B)(0, j)),  s = r(s + r(op(A)(i, l) op(B)(l, j))) for l = 1 .. k-1,
//     s = r(alpha s)                   when alpha != 1 (k = 0: s = 0, alpha unused),
//     C(i, j) = r(s + r(beta C(i, j))) when beta != 0 (k = 0: r(beta C(i, j))),
// where r is one correct rounding of the exact value to the format in `mode`
// (SIMD kernel: kernels/simd/gemm_emulated_kernel.hpp). alpha and beta are
// used as the floats they are. An exact zero sum is +0 unless both terms
// are -0, or, rounding downward, either term is -0 or they cancel (IEEE 754).
// Stochastic rounding takes the probability from the exact value as
// round_to_format does, except for precisions p > 21 (custom formats), whose
// sums are seen rounded to odd at 53 bits: within 2^(p-53) then.
// The roundings of element (i, j) draw these stream indices:
//     the product of term l           o + (i k + l) n + j
//     the sum that adds term l >= 1   o + m n k + (i k + l) n + j
//     alpha s                         o + 2 m n k + i n + j
//     beta C(i, j)                    o + 2 m n k + m n + i n + j
//     the sum with beta C(i, j)       o + 2 m n k + 2 m n + i n + j
// so one call uses indices below o + 2 m n k + 3 m n, whatever the thread
// count and instruction set; isa::generic computes the same with the scalar
// round_to_format.

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

#include "elementwise_dispatch.hpp"
#include "gemm_shape.hpp"
#include "growable_buffer.hpp"
#include "round_to_odd.hpp"
#include "gradlab/kernels/gemm.hpp"
#include "gradlab/kernels/simd/gemm_emulated_kernel.hpp"
#include "gradlab/platform/gradual_underflow_scope.hpp"
#include "gradlab/scalar/round_array.hpp"
#include "gradlab/tensor/matrix.hpp"

namespace gradlab {

namespace {

using namespace kernels_detail;

// Below this many multiply-adds (some 30 us on one core) the GEMM runs on the
// calling thread alone; the result is the same either way.
constexpr std::size_t min_work_for_threads = std::size_t{1} << 15;
// Packed op(B) is held in panels of at most this many doubles (8 MiB), at
// least one chunk of columns.
constexpr std::size_t max_panel_doubles = std::size_t{1} << 20;

struct emulated_gemm_args {
    gemm_layout layout;
    float alpha;
    matrix_view<const float> a, b;
    float beta;
    matrix_view<float> c;
    gemm_shape shape;
};

// isa::generic: the formula above element by element with round_to_format.
void gemm_in_format_scalar(const emulated_gemm_args& g, const float_format& format, rounding_mode mode,
                           const sr_stream& sr) {
    const std::size_t m = g.shape.m, n = g.shape.n, k = g.shape.k;
    const bool stochastic = mode == rounding_mode::stochastic;
    const auto r = [&](double x, std::uint64_t index) {
        return round_to_format(x, format, mode, stochastic ? sr.bits(sr.offset + index) : 0);
    };
    const std::uint64_t mnk = std::uint64_t{m} * n * k, mn = std::uint64_t{m} * n;
    const auto rows = static_cast<std::ptrdiff_t>(m);
#pragma omp parallel if (mnk >= min_work_for_threads)
    {
        const gradual_underflow_scope exact_subnormals;  // float subnormals are values of bf16
#pragma omp for schedule(static)
        for (std::ptrdiff_t row = 0; row < rows; ++row) {
            const auto i = static_cast<std::size_t>(row);
            for (std::size_t j = 0; j < n; ++j) {
                const std::uint64_t element = i * n + j;
                double s = 0;
                for (std::size_t l = 0; l < k; ++l) {
                    const std::uint64_t index = (std::uint64_t{i} * k + l) * n + j;
                    const double product =
                        r(double{op_a(g.layout, g.a, i, l)} * double{op_b(g.layout, g.b, l, j)}, index);
                    s = l == 0 ? product : r(add_round_to_odd(s, product, mode), mnk + index);
                }
                if (k > 0 && g.alpha != 1.0f) s = r(double{g.alpha} * s, 2 * mnk + element);
                if (g.beta != 0.0f) {
                    const double term = r(double{g.beta} * double{g.c(i, j)}, 2 * mnk + mn + element);
                    s = k > 0 ? r(add_round_to_odd(s, term, mode), 2 * mnk + 2 * mn + element) : term;
                }
                g.c(i, j) = static_cast<float>(s);
            }
        }
    }
}

// Columns [j, j + width) of op(B) as doubles, row l at to + l * C (C =
// emulated_gemm_columns), zero from width to C.
void pack_chunk(gemm_layout layout, matrix_view<const float> b, std::size_t k, std::size_t j, std::size_t width,
                double* to) {
    constexpr std::size_t C = simd::emulated_gemm_columns;
    for (std::size_t l = 0; l < k; ++l)
        for (std::size_t t = 0; t < C; ++t) to[l * C + t] = t < width ? double{op_b(layout, b, l, j + t)} : 0.0;
}

// The SIMD path: op(B) packed chunk by chunk of emulated_gemm_columns
// columns, a panel of chunks at a time, into a buffer the calling thread
// keeps from call to call; the threads share out the (chunk, row) pairs of a
// panel chunk-major, so that a thread's consecutive pairs reuse one packed
// chunk.
template <class Arch>
void gemm_in_format_simd(const emulated_gemm_args& g, const simd::emulated_gemm_problem& problem) {
    constexpr std::size_t C = simd::emulated_gemm_columns;
    const std::size_t m = g.shape.m, n = g.shape.n, k = g.shape.k;
    const std::size_t chunks = (n + C - 1) / C;
    const std::size_t panel_chunks = std::clamp<std::size_t>(max_panel_doubles / (std::max<std::size_t>(k, 1) * C), 1,
                                                             std::max<std::size_t>(chunks, 1));
    // The calling thread's, kept for its later calls; 64-byte aligned, and
    // so are the chunks of k C doubles in it.
    thread_local growable_buffer<double> panel_buffer;
    double* const panel = panel_buffer.first(panel_chunks * k * C).data();
    const auto width = [&](std::size_t chunk) { return std::min(C, n - chunk * C); };
    const bool a_transposed = g.layout == gemm_layout::tn;
    // Row i of C on chunk `chunk`, packed at `packed`.
    const auto kernel = [&](std::size_t i, std::size_t chunk, const double* packed) {
        const std::size_t j = chunk * C;
        simd::emulated_gemm_kernel<Arch>(problem, {.i = i,
                                                   .j = j,
                                                   .width = width(chunk),
                                                   .a = g.a.data() + (a_transposed ? i : i * k),
                                                   .a_step = a_transposed ? m : 1,
                                                   .b = packed,
                                                   .c = g.c.data() + i * n + j});
    };
#pragma omp parallel if (std::uint64_t{m} * n * k >= min_work_for_threads)
    {
        const gradual_underflow_scope exact_subnormals;  // float subnormals are values of bf16
        for (std::size_t first = 0; first < chunks; first += panel_chunks) {
            const auto count = static_cast<std::ptrdiff_t>(std::min(panel_chunks, chunks - first));
#pragma omp for schedule(static)
            for (std::ptrdiff_t t = 0; t < count; ++t) {
                const auto in_panel = static_cast<std::size_t>(t);
                pack_chunk(g.layout, g.b, k, (first + in_panel) * C, width(first + in_panel),
                           panel + in_panel * k * C);
            }
#pragma omp for schedule(static)
            for (std::ptrdiff_t t = 0; t < count * static_cast<std::ptrdiff_t>(m); ++t) {
                const std::size_t in_panel = static_cast<std::size_t>(t) / m;
                kernel(static_cast<std::size_t>(t) % m, first + in_panel, panel + in_panel * k * C);
            }
        }
    }
}

}  // namespace

void gemm(gemm_layout layout, float alpha, matrix_view<const float> a, matrix_view<const float> b, float beta,
          matrix_view<float> c, const float_format& format, rounding_mode mode, gemm_accumulation accumulation,
          const std::optional<sr_stream>& sr, isa level) {
    const gemm_shape shape = checked_gemm_shape(layout, a, b, c);
    require_float_storage("gemm", format);
    require_stream_for_stochastic("gemm", mode, sr);
    require_supported_isa(level, "gemm");
    if (accumulation == gemm_accumulation::fp32) {
        gemm(layout, alpha, a, b, beta, c, level);
        round_array(c.elements(), c.elements(), format, mode, sr, level);
        return;
    }
    const emulated_gemm_args args{layout, alpha, a, b, beta, c, shape};
    const sr_stream stream = sr.value_or(sr_stream{});
    if (level == isa::generic) return gemm_in_format_scalar(args, format, mode, stream);
    const simd::emulated_gemm_problem problem{
        .m = shape.m,
        .n = shape.n,
        .k = shape.k,
        .alpha = alpha,
        .beta = beta,
        .format = simd::rounding_constants_for<double>(format),
        .mode = mode,
        .sr = stream,
    };
    with_arch(level, [&]<class Arch>() { gemm_in_format_simd<Arch>(args, problem); });
}

}  // namespace gradlab
