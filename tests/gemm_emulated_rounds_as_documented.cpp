// The emulated GEMM computes what src/kernels/gemm_emulated.cpp documents,
// bit for bit, on every instruction set and in every layout and rounding
// mode, stochastic rounding with its documented stream indices included:
//   format policy: each product and each sum in increasing l rounded once to
//     the format, then alpha s and beta C and their sum, each rounded; checked
//     against that formula evaluated here from exact values (MPFR) with
//     round_to_format;
//   +acc32: the float GEMM on the same instruction set, then each element
//     rounded once, element (i, j) drawing index offset + i n + j.
// Inputs span the formats' whole ranges as well as moderate magnitudes:
// subnormals, overflow to Inf, Inf - Inf, signed zeros, sums of far-apart
// values (where a rounding to float first would round twice).

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "gradlab/kernels/gemm.hpp"
#include "support/gemm_oracle.hpp"

using namespace gradlab;
using namespace gradlab::test;

namespace {

constexpr rounding_mode all_modes[] = {rounding_mode::nearest_even, rounding_mode::toward_zero, rounding_mode::upward,
                                       rounding_mode::downward, rounding_mode::stochastic};

// The chunk of 32 columns of the SIMD kernel, and past it; k = 0.
constexpr gemm_dims shapes[] = {{3, 70, 9}, {5, 33, 17}, {1, 1, 1}, {2, 3, 0}, {4, 32, 40}};

struct scalars {
    float alpha, beta;
};
// alpha 1 or not (0.3 is no value of either format: it is used as the float it
// is), beta 0, 1 or neither
constexpr scalars all_scalars[] = {{1, 0}, {0.3f, 0}, {1, 1}, {-2, -0.7f}};

// gemm_emulated.cpp's formula for one element, every operation computed
// exactly by MPFR and rounded once by round_to_format.
class documented_formula {
public:
    documented_formula(const float_format& format, rounding_mode mode, sr_stream sr)
        : format_(format), mode_(mode), sr_(sr) {}

    float element(const matrix<float>& op_a, const matrix<float>& op_b, float alpha, float beta,
                  const matrix<float>& c0, std::size_t i, std::size_t j) const {
        const std::uint64_t m = op_a.rows(), n = op_b.cols(), k = op_a.cols();
        const std::uint64_t mnk = m * n * k, mn = m * n, e = i * n + j;
        double s = 0;
        for (std::size_t l = 0; l < k; ++l) {
            const std::uint64_t index = (i * k + l) * n + j;
            const double product = multiply(op_a(i, l), op_b(l, j), index);
            s = l == 0 ? product : add(s, product, mnk + index);
        }
        if (k > 0 && alpha != 1) s = multiply(alpha, s, 2 * mnk + e);
        if (beta != 0) {
            const double term = multiply(beta, c0(i, j), 2 * mnk + mn + e);
            s = k > 0 ? add(s, term, 2 * mnk + 2 * mn + e) : term;
        }
        return static_cast<float>(s);
    }

private:
    enum class operation { multiply, add };

    // x y of two doubles is exact in 106 bits, x + y in 2200; an exact zero
    // sum takes IEEE 754's sign: -0 rounding downward, else +0 unless both
    // terms are -0.
    double rounded(operation op, double x, double y, std::uint64_t index) const {
        mp a(53), b(53), exact(op == operation::multiply ? 106 : 2200);
        mpfr_set_d(a.v, x, MPFR_RNDN);
        mpfr_set_d(b.v, y, MPFR_RNDN);
        if (op == operation::multiply) mpfr_mul(exact.v, a.v, b.v, MPFR_RNDN);
        else mpfr_add(exact.v, a.v, b.v, mode_ == rounding_mode::downward ? MPFR_RNDD : MPFR_RNDN);
        const bool stochastic = mode_ == rounding_mode::stochastic;
        return round_to_format(exact.v, format_, mode_, stochastic ? sr_.bits(sr_.offset + index) : 0);
    }
    double multiply(double x, double y, std::uint64_t index) const { return rounded(operation::multiply, x, y, index); }
    double add(double x, double y, std::uint64_t index) const { return rounded(operation::add, x, y, index); }

    float_format format_;
    rounding_mode mode_;
    sr_stream sr_;
};

// Two sets of inputs: moderate magnitudes with signed zeros among them, and
// magnitudes over the format's whole range, its subnormals included.
std::vector<gemm_inputs<float>> input_sets(const gemm_case<float>& c, gemm_dims d) {
    std::vector<gemm_inputs<float>> sets;
    sets.emplace_back(c, d);
    for (auto* x : {&sets[0].op_a, &sets[0].op_b})
        for (std::size_t e = 0; e < x->size(); e += 7) x->elements()[e] = e % 2 ? -0.0f : 0.0f;
    const float_format& f = *c.format;
    sets.emplace_back(c, d, f.emin - f.precision + 1, f.emax);
    return sets;
}

template <class Check>
void for_each_emulated_case(gemm_accumulation accumulation, Check check) {
    const sr_stream sr{.key = 0xfeedfacecafebeefULL, .offset = 1000};
    for (const auto& format : {binary16(), bfloat16()})
        for (rounding_mode mode : all_modes) {
            const auto c = emulated_case(format, mode, accumulation, sr);
            for (gemm_dims d : shapes)
                for (const auto& x : input_sets(c, d))
                    for (scalars s : all_scalars) {
                        INFO(c.name << " " << d.m << "x" << d.n << "x" << d.k << ", alpha " << s.alpha << " beta "
                                    << s.beta);
                        check(c, mode, x, s, sr);
                    }
        }
}

// Checks every variant of c in every layout against expected(variant, layout).
template <class Expected>
void check_every_variant(const gemm_case<float>& c, const gemm_inputs<float>& x, scalars s, Expected expected) {
    for_each_variant_and_layout(c, [&](const auto& v, gemm_layout layout) {
        const auto got = gemm_result(v, layout, s.alpha, x.op_a, x.op_b, s.beta, x.c0);
        std::string where;
        const std::size_t differences = count_differences(got, expected(v, layout), where);
        INFO(differences << " differ, the first at " << where);
        CHECK(differences == 0);
    });
}

}  // namespace

TEST_CASE("gemm: emulated fp16 and bf16 round every product and sum as gemm_emulated.cpp documents",
          "[kernels][gemm][emulated]") {
    for_each_emulated_case(gemm_accumulation::format,
                           [](const auto& c, rounding_mode mode, const auto& x, scalars s, sr_stream sr) {
                               const documented_formula formula(*c.format, mode, sr);
                               matrix<float> expected(x.c0.rows(), x.c0.cols());
                               for (std::size_t i = 0; i < expected.rows(); ++i)
                                   for (std::size_t j = 0; j < expected.cols(); ++j)
                                       expected(i, j) = formula.element(x.op_a, x.op_b, s.alpha, s.beta, x.c0, i, j);
                               check_every_variant(c, x, s, [&](const auto&, gemm_layout) { return expected; });
                           });
}

TEST_CASE("gemm: emulated +acc32 is the float GEMM rounded once, element (i, j) drawing offset + i n + j",
          "[kernels][gemm][emulated]") {
    for_each_emulated_case(
        gemm_accumulation::fp32, [](const auto& c, rounding_mode mode, const auto& x, scalars s, sr_stream sr) {
            check_every_variant(c, x, s, [&](const auto& v, gemm_layout layout) {
                const gemm_operands<float> stored(layout, x.op_a, x.op_b);
                matrix<float> expected = x.c0;
                gemm(layout, s.alpha, stored.a.view(), stored.b.view(), s.beta, expected.view(), *v.level);
                for (std::size_t i = 0; i < expected.rows(); ++i)
                    for (std::size_t j = 0; j < expected.cols(); ++j) {
                        const std::uint32_t random =
                            mode == rounding_mode::stochastic ? sr.bits(sr.offset + i * expected.cols() + j) : 0;
                        expected(i, j) = static_cast<float>(round_to_format(expected(i, j), *c.format, mode, random));
                    }
                return expected;
            });
        });
}

TEST_CASE("gemm: emulated stochastic rounding gives other bits from another stream offset",
          "[kernels][gemm][emulated]") {
    // The formula and the rounding above match with offset 1000; here the
    // offset is seen to move the draws at all.
    for (auto accumulation : {gemm_accumulation::format, gemm_accumulation::fp32}) {
        const auto at_0 = emulated_case(bfloat16(), rounding_mode::stochastic, accumulation, {.key = 5, .offset = 0});
        const auto at_1 = emulated_case(bfloat16(), rounding_mode::stochastic, accumulation, {.key = 5, .offset = 1});
        const gemm_inputs<float> x(at_0, {17, 19, 23});
        for (std::size_t v = 0; v < at_0.variants.size(); ++v) {
            const auto first = gemm_result(at_0.variants[v], gemm_layout::nn, 1.0f, x.op_a, x.op_b, 0.0f, x.c0);
            const auto again = gemm_result(at_0.variants[v], gemm_layout::nn, 1.0f, x.op_a, x.op_b, 0.0f, x.c0);
            const auto moved = gemm_result(at_1.variants[v], gemm_layout::nn, 1.0f, x.op_a, x.op_b, 0.0f, x.c0);
            std::string where;
            INFO(at_0.variants[v].name);
            CHECK(count_differences(again, first, where) == 0);
            CHECK(count_differences(moved, first, where) > 0);
        }
    }
}
