// gemm() against the exact alpha op(A) op(B) + beta C0 (MPFR, each term exact,
// the sum rounded once to 1024 bits), element by element, for every precision,
// layout and instruction set: |C - A B| <= gamma_k |A| |B| with alpha = 1 and
// beta = 0, as gemm.hpp states, and gamma_(k+2) (|alpha| |A| |B| + |beta| |C0|)
// otherwise (gemm_bound derives both, and the +acc32 bound). u is the
// precision's unit roundoff: 2^-p to nearest, 2^(1-p) for an emulated format's
// other modes; for mp, that of C's precision.

#include <catch2/catch.hpp>

#include <deque>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "gradlab/kernels/gemm.hpp"
#include "support/gemm_oracle.hpp"

using namespace gradlab;
using namespace gradlab::test;

namespace {

struct scalars {
    double alpha, beta;
};

// Around the register tiles (4 to 12 rows, 4 to 32 columns) and one past.
constexpr std::size_t edge_sizes[] = {0, 1, 7, 17, 64, 129};

std::vector<gemm_dims> cube(std::span<const std::size_t> sizes) {
    std::vector<gemm_dims> dims;
    for (std::size_t m : sizes)
        for (std::size_t n : sizes)
            for (std::size_t k : sizes) dims.push_back({m, n, k});
    return dims;
}

// Non-square shapes, and for fp32 and fp64 shapes crossing the cache blocks
// of gemm_native.cpp (kc 256, nc 512 floats or 256 doubles, mc 1536): k > 256
// sums several k-blocks; odd m and n end in partial tiles and blocks.
const std::vector<gemm_dims> odd_shapes = {{3, 129, 17},  {65, 1, 33},    {1, 300, 257}, {257, 3, 300}, {131, 97, 300},
                                           {300, 5, 513}, {13, 301, 259}, {5, 515, 259}, {1543, 3, 260}};
const std::vector<gemm_dims> general_odd_shapes = {{3, 129, 17}, {65, 1, 33}, {13, 301, 259}, {5, 515, 259}};
const std::vector<gemm_dims> small_odd_shapes = {{3, 129, 17}, {65, 1, 33}, {2, 9, 70}, {33, 20, 5}};
// For the slower precisions: the cube without 129, which comes once.
constexpr std::size_t small_sizes[] = {0, 1, 7, 17, 64};
const std::vector<gemm_dims> small_odd_shapes_and_largest = {
    {3, 129, 17}, {65, 1, 33}, {2, 9, 70}, {33, 20, 5}, {129, 129, 129}};

// Every branch of the tile update: alpha 1 or not, beta 0, 1 or neither.
constexpr scalars general_scalars[] = {{-0.75, 0}, {1, 1}, {-0.75, 1.5}};

// What a check may change from its defaults.
template <class T>
struct check_options {
    std::optional<std::pair<int, int>> exponents = {};  // of the inputs' magnitudes; default the case's
    const gemm_case<T>* a_case = nullptr;               // A and B in other precisions than C
    const gemm_case<T>* b_case = nullptr;
    std::span<const gemm_layout> layouts = all_gemm_layouts;
};

// For each shape: random op(A), op(B), C0 in the precision of cases[0], every
// variant of every case in every layout, each element against the exact
// value, computed once for all. The worst ratio per variant goes to `worst`.
// A case whose s u reaches 1/2 at a shape is left out there: gamma_s is at
// least 1 and bounds nothing.
template <class T>
void check_within_bound(std::span<const gemm_case<T>> cases, std::span<const gemm_dims> shapes, scalars s,
                        worst_ratios& worst, const check_options<std::type_identity_t<T>>& options = {}) {
    const auto& first = cases.front();
    const auto [min_exponent, max_exponent] =
        options.exponents.value_or(std::pair{first.min_exponent, first.max_exponent});
    const bool plain = s.alpha == 1 && s.beta == 0;
    for (const auto& [m, n, k] : shapes) {
        const gemm_inputs<T> x(first, {m, n, k}, min_exponent, max_exponent, options.a_case, options.b_case);
        const T alpha = first.value(s.alpha), beta = first.value(s.beta);
        std::deque<gemm_bound> bounds;
        std::vector<bounded_result<T>> results;
        for (const auto& c : cases) {
            if (std::ldexp(static_cast<double>(plain ? k : k + 2), static_cast<int>(-c.unit.log2_inverse_u)) >= 0.5)
                continue;
            bounds.emplace_back(k, plain, c.unit, c.final_rounding);
            for (const auto& v : c.variants)
                for (gemm_layout layout : options.layouts)
                    results.push_back({v.name + (plain ? "" : " (alpha, beta)"),
                                       gemm_result(v, layout, alpha, x.op_a, x.op_b, beta, x.c0), &bounds.back()});
        }
        const gemm_oracle<T> oracle(x.op_a, x.op_b, alpha, beta, x.c0);
        const auto worst_here = worst_over_bound(oracle, std::span<const bounded_result<T>>(results));
        for (std::size_t r = 0; r < results.size(); ++r) {
            INFO(results[r].name << " " << gemm_layout_name(options.layouts[r % options.layouts.size()]) << ": m " << m
                                 << " n " << n << " k " << k << ", alpha " << s.alpha << " beta " << s.beta
                                 << ", worst at " << worst_here[r].where);
            CHECK(worst_here[r].ratio <= 1);
            worst.record(results[r].name + (k >= 64 ? ", k >= 64" : ""), worst_here[r].ratio);
        }
    }
}

template <class T>
void check_within_bound(const gemm_case<T>& c, std::span<const gemm_dims> shapes, scalars s, worst_ratios& worst,
                        const check_options<std::type_identity_t<T>>& options = {}) {
    check_within_bound(std::span<const gemm_case<T>>(&c, 1), shapes, s, worst, options);
}

// The whole set for the cases: the cube of `sizes` and `plain_shapes` with
// alpha 1, beta 0; the general scalars on the cube's diagonal and
// `general_shapes`.
template <class T>
void check_cases(std::span<const gemm_case<T>> cases, std::span<const std::size_t> sizes,
                 std::span<const gemm_dims> plain_shapes, std::span<const gemm_dims> general_shapes,
                 worst_ratios& worst) {
    auto plain = cube(sizes);
    plain.insert(plain.end(), plain_shapes.begin(), plain_shapes.end());
    check_within_bound(cases, plain, {1, 0}, worst);
    std::vector<gemm_dims> general(general_shapes.begin(), general_shapes.end());
    for (std::size_t size : sizes) general.push_back({size, size, size});
    for (scalars s : general_scalars) check_within_bound(cases, general, s, worst);
}

template <class T>
void check_cases(const gemm_case<T>& c, std::span<const std::size_t> sizes, std::span<const gemm_dims> plain_shapes,
                 std::span<const gemm_dims> general_shapes, worst_ratios& worst) {
    check_cases(std::span<const gemm_case<T>>(&c, 1), sizes, plain_shapes, general_shapes, worst);
}

// fp16 or bf16 in both policies and every mode, on the instruction set in
// use: every other one gives the bits of the scalar reference (format) or
// rounds the fp32 result of its own instruction set, which meets the fp32
// bound (+acc32), as gemm_emulated_rounds_as_documented checks.
std::vector<gemm_case<float>> emulated_cases(const float_format& format) {
    std::vector<gemm_case<float>> cases;
    for (auto accumulation : {gemm_accumulation::format, gemm_accumulation::fp32})
        for (rounding_mode mode : {rounding_mode::nearest_even, rounding_mode::toward_zero, rounding_mode::upward,
                                   rounding_mode::downward, rounding_mode::stochastic})
            cases.push_back(emulated_case(format, mode, accumulation, {.key = 0x5eed}, {active_isa()}));
    return cases;
}

}  // namespace

TEST_CASE("gemm: fp32 and fp64 within gamma_k |A||B| of the exact product, every layout and instruction set",
          "[kernels][gemm]") {
    // 20 binades and mixed signs: cancellation, and every product rounded
    worst_ratios worst;
    check_cases(native_case<float>(), edge_sizes, odd_shapes, general_odd_shapes, worst);
    check_cases(native_case<double>(), edge_sizes, odd_shapes, general_odd_shapes, worst);
    worst.report("fp32 and fp64 gemm");
}

TEST_CASE("gemm: f128 within gamma_k |A||B| of the exact product, every layout", "[kernels][gemm]") {
    worst_ratios worst;
    check_cases(native_case<float128>(), small_sizes, small_odd_shapes_and_largest, small_odd_shapes, worst);
    worst.report("f128 gemm");
}

TEST_CASE("gemm: mp128 and mp256 within gamma_k |A||B| of the exact product, every layout", "[kernels][gemm][mp]") {
    worst_ratios worst;
    constexpr std::size_t sizes[] = {0, 1, 7, 17};
    for (long bits : {128L, 256L}) check_cases(mp_case(bits), sizes, small_odd_shapes, small_odd_shapes, worst);
    // once at the largest sizes, in one layout
    constexpr gemm_dims largest[] = {{64, 64, 64}, {129, 129, 129}};
    constexpr gemm_layout nn[] = {gemm_layout::nn};
    check_within_bound(mp_case(256), largest, {1, 0}, worst, {.layouts = nn});
    // Exponents from 2^-4000 to 2^4000: products too far apart for an exact
    // accumulator, whichever way gemm_mp.cpp then sums them.
    for (scalars s : {scalars{1, 0}, scalars{-0.75, 1.5}})
        check_within_bound(mp_case(256), small_odd_shapes, s, worst, {.exponents = std::pair{-4000, 4000}});
    worst.report("mp gemm");
}

TEST_CASE("gemm: mp results take C's precision whatever the inputs' (u of C in gamma_k)", "[kernels][gemm][mp]") {
    worst_ratios worst;
    constexpr gemm_dims shapes[] = {{7, 17, 64}, {17, 7, 33}, {1, 1, 129}};
    // Wide inputs into a narrow C: every product and sum rounded to 128 bits.
    const auto narrow = mp_case(128), wide_a = mp_case(256), wide_b = mp_case(192);
    for (scalars s : {scalars{1, 0}, scalars{-0.75, 1.5}})
        check_within_bound(narrow, shapes, s, worst, {.a_case = &wide_a, .b_case = &wide_b});
    // Narrow inputs into a wide C: products exact, sums rounded to 256 bits.
    const auto wide = mp_case(256), narrow_a = mp_case(64), narrow_b = mp_case(100);
    check_within_bound(wide, shapes, {1, 0}, worst, {.a_case = &narrow_a, .b_case = &narrow_b});
    worst.report("mp gemm, mixed precisions (named after C)");
}

TEST_CASE("gemm: fp16 and bf16 within gamma_k |A||B| (format's u) or the +acc32 bound, every mode",
          "[kernels][gemm][emulated]") {
    // Every operation rounded to the format: gamma_s with the format's u.
    // +acc32: (1 + u_f) gamma_s(fp32) M + u_f |X| + eta_f (gemm_bound).
    // Underflow is in the bounds (2 s eta); the inputs keep clear of overflow.
    worst_ratios worst;
    for (const auto& format : {binary16(), bfloat16()})
        check_cases(std::span<const gemm_case<float>>(emulated_cases(format)), small_sizes,
                    small_odd_shapes_and_largest, small_odd_shapes, worst);
    worst.report("emulated gemm (" + std::string(isa_name(active_isa())) + ")");
}
