// Initialisers against torch.nn.init's definitions (init.hpp):
// - uniform schemes stay within their bound and reach it; normal ones have
//   the target mean and variance, within five standard errors of the sample
//   statistics (a false alarm has probability below 1e-6 per check);
// - orthogonal gives W W^T = g^2 I (or W^T W) to 1e-70 in mp256, and is the
//   Q of the QR of the normal matrix with R's diagonal positive, as
//   orthogonal_'s sign correction makes it;
// - gains are calculate_gain's; the multiplier scales every weight;
// - same seed, same bits; another seed, other values; any thread count;
// - fp32, fp64, bf16 and mp64 values are the mp256 values rounded once.

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <mpfr.h>
#include <omp.h>

#include "gradlab/nn/init.hpp"

using namespace gradlab;
using namespace gradlab::nn;

namespace {

mpfr_srcptr ptr(const mp_float& x) { return x.backend().data(); }

parameter_layout weight_layout(std::size_t rows, std::size_t cols, activation next = {}) {
    parameter_layout p;
    p.name = "layers.0.weight";
    p.rows = rows;
    p.cols = cols;
    p.fan_in = cols;
    p.fan_out = rows;
    p.next_activation = next;
    return p;
}

parameter_layout bias_layout(std::size_t width) {
    parameter_layout p;
    p.name = "layers.0.bias";
    p.role = parameter_role::bias;
    p.rows = 1;
    p.cols = width;
    return p;
}

matrix<mp_float> one_weight(const parameter_layout& p, const init_spec& spec, int bits = 64,
                            std::uint64_t seed = 7) {
    return initial_parameters({p}, spec, seed, bits).at(0);
}

init_spec with_scheme(init_scheme scheme) {
    init_spec spec;
    spec.scheme = scheme;
    return spec;
}

struct moments {
    double mean, variance, max_abs;
    std::size_t count;
};

moments moments_of(const matrix<mp_float>& m) {
    moments s{0, 0, 0, m.size()};
    for (const auto& v : m.elements()) s.mean += static_cast<double>(v);
    s.mean /= static_cast<double>(s.count);
    for (const auto& v : m.elements()) {
        const double d = static_cast<double>(v) - s.mean;
        s.variance += d * d;
        s.max_abs = std::max(s.max_abs, std::abs(static_cast<double>(v)));
    }
    s.variance /= static_cast<double>(s.count - 1);
    return s;
}

// The sample mean within five standard errors of `mean`, and the sample
// variance within five of `variance`; `excess` is the distribution's
// mu_4 / sigma^4 - 1 (4/5 uniform, 2 normal), the relative variance of
// one squared deviation.
void require_moments(const moments& s, double mean, double variance, double excess) {
    const double n = static_cast<double>(s.count);
    INFO("sample mean " << s.mean << " (target " << mean << "), variance " << s.variance << " (target "
                        << variance << "), " << s.count << " values");
    CHECK(std::abs(s.mean - mean) <= 5 * std::sqrt(variance / n));
    CHECK(std::abs(s.variance / variance - 1) <= 5 * std::sqrt(excess / n));
}

// The largest |entry of x x^T - (numerator / denominator) I|, at 512 bits.
double distance_from_scaled_identity(const matrix<mp_float>& x, long numerator = 1, long denominator = 1) {
    mpfr_t dot, term, target;
    mpfr_inits2(512, dot, term, target, static_cast<mpfr_ptr>(nullptr));
    mpfr_set_si(target, numerator, MPFR_RNDN);
    mpfr_div_si(target, target, denominator, MPFR_RNDN);
    double worst = 0;
    for (std::size_t i = 0; i < x.rows(); ++i)
        for (std::size_t j = 0; j < x.rows(); ++j) {
            if (i == j) mpfr_neg(dot, target, MPFR_RNDN);
            else mpfr_set_zero(dot, 1);
            for (std::size_t k = 0; k < x.cols(); ++k) {
                mpfr_mul(term, ptr(x(i, k)), ptr(x(j, k)), MPFR_RNDN);
                mpfr_add(dot, dot, term, MPFR_RNDN);
            }
            worst = std::max(worst, std::abs(mpfr_get_d(dot, MPFR_RNDN)));
        }
    mpfr_clears(dot, term, target, static_cast<mpfr_ptr>(nullptr));
    return worst;
}

matrix<mp_float> transposed(const matrix<mp_float>& m) {
    matrix<mp_float> t(m.cols(), m.rows(), element_precision{static_cast<int>(mpfr_get_prec(ptr(m(0, 0))))});
    for (std::size_t i = 0; i < m.rows(); ++i)
        for (std::size_t j = 0; j < m.cols(); ++j) t(j, i) = m(i, j);
    return t;
}

bool bitwise_equal(const std::vector<matrix<mp_float>>& a, const std::vector<matrix<mp_float>>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t k = 0; k < a.size(); ++k)
        for (std::size_t e = 0; e < a[k].size(); ++e) {
            mpfr_srcptr x = ptr(a[k].elements()[e]), y = ptr(b[k].elements()[e]);
            if (mpfr_get_prec(x) != mpfr_get_prec(y) || !mpfr_equal_p(x, y) || mpfr_signbit(x) != mpfr_signbit(y))
                return false;
        }
    return true;
}

constexpr double sqrt2 = 1.4142135623730951;
constexpr double tanh_gain = 5.0 / 3.0;

}  // namespace

TEST_CASE("uniform schemes stay within +-bound, reach it, and have variance bound^2 / 3", "[nn][init]") {
    struct scheme_case {
        const char* name;
        init_spec spec;
        activation next;
        double bound;
    };
    // 200 x 300: fan_in 300, fan_out 200.
    init_spec he_out = with_scheme(init_scheme::he_uniform);
    he_out.mode = fan_mode::fan_out;
    const std::vector<scheme_case> cases{
        {"xavier_uniform before tanh", with_scheme(init_scheme::xavier_uniform), {activation_kind::tanh},
         tanh_gain * std::sqrt(6.0 / 500)},
        {"he_uniform fan_in before relu", with_scheme(init_scheme::he_uniform), {activation_kind::relu},
         sqrt2 * std::sqrt(3.0 / 300)},
        {"he_uniform fan_out before relu", he_out, {activation_kind::relu}, sqrt2 * std::sqrt(3.0 / 200)},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        const auto w = one_weight(weight_layout(200, 300, c.next), c.spec);
        const auto s = moments_of(w);
        // Values are within the bound up to their last rounding (2^-64
        // relative); the bound here is computed in double (a few 2^-53).
        // 60000 uniforms all stay below 0.999 bound with probability e^-60.
        CHECK(s.max_abs <= c.bound * (1 + 1e-12));
        CHECK(s.max_abs >= 0.999 * c.bound);
        require_moments(s, 0.0, c.bound * c.bound / 3, 0.8);
    }
}

TEST_CASE("uniform(low, high) stays within [low, high), reaches both ends, ignores the gain", "[nn][init]") {
    {
        init_spec spec = with_scheme(init_scheme::uniform);
        spec.low = "-0.3";
        spec.high = "0.7";
        const auto w = one_weight(weight_layout(200, 300, {activation_kind::tanh}), spec);  // no gain
        double lo = 1, hi = -1;
        for (const auto& v : w.elements()) {
            lo = std::min(lo, static_cast<double>(v));
            hi = std::max(hi, static_cast<double>(v));
        }
        CHECK(lo >= -0.3);
        CHECK(hi <= 0.7);
        CHECK(lo <= -0.299);
        CHECK(hi >= 0.699);
        require_moments(moments_of(w), 0.2, 1.0 / 12, 0.8);
    }
}

TEST_CASE("normal schemes have their target mean and variance", "[nn][init]") {
    struct scheme_case {
        const char* name;
        init_spec spec;
        activation next;
        double mean, standard_deviation;
    };
    init_spec he_out = with_scheme(init_scheme::he_normal);
    he_out.mode = fan_mode::fan_out;
    init_spec normal = with_scheme(init_scheme::normal);
    normal.mean = "0.5";
    normal.standard_deviation = "0.2";
    const std::vector<scheme_case> cases{
        {"xavier_normal before sigmoid", with_scheme(init_scheme::xavier_normal), {activation_kind::sigmoid}, 0,
         std::sqrt(2.0 / 500)},
        {"he_normal fan_in before leaky_relu 0.2", with_scheme(init_scheme::he_normal),
         {activation_kind::leaky_relu, 0.2}, 0, std::sqrt(2.0 / (1 + 0.04)) / std::sqrt(300.0)},
        {"he_normal fan_out before relu", he_out, {activation_kind::relu}, 0, sqrt2 / std::sqrt(200.0)},
        {"lecun_normal (no gain) before relu", with_scheme(init_scheme::lecun_normal), {activation_kind::relu}, 0,
         1 / std::sqrt(300.0)},
        {"normal(0.5, 0.2) (no gain) before tanh", normal, {activation_kind::tanh}, 0.5, 0.2},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        const auto s = moments_of(one_weight(weight_layout(200, 300, c.next), c.spec));
        require_moments(s, c.mean, c.standard_deviation * c.standard_deviation, 2.0);
    }
}

TEST_CASE("orthogonal: W W^T = g^2 I to 1e-70 in mp256, the Q of a positive-diagonal QR", "[nn][init]") {
    // Rounding Q g to 256 bits perturbs each entry by 2^-257 relative: an
    // entry of W W^T by about k 2^-256 (k <= 20 terms), some 1e-76.
    const double bound = 1e-70;
    for (const auto& [rows, cols] : std::vector<std::pair<std::size_t, std::size_t>>{{12, 20}, {16, 16}, {20, 12}}) {
        INFO("shape " << rows << "x" << cols);
        const auto layout = weight_layout(rows, cols);
        const auto w = one_weight(layout, with_scheme(init_scheme::orthogonal), 256);
        // Orthonormal rows when rows <= cols, else orthonormal columns.
        const auto wt = transposed(w);
        const auto& short_side = rows <= cols ? w : wt;
        CHECK(distance_from_scaled_identity(short_side) <= bound);

        // The standard normal matrix A that orthogonal decomposed, and
        // R = Q^T A (tall) or R^T = A Q (wide): R upper triangular with a
        // positive diagonal.
        const init_spec standard{.scheme = init_scheme::normal, .standard_deviation = "1"};
        const auto a = one_weight(layout, standard, 256);
        const auto& q = rows >= cols ? w : wt;  // orthonormal columns, m x n
        const auto m = rows >= cols ? a : transposed(a);
        mpfr_t r, term;
        mpfr_inits2(512, r, term, static_cast<mpfr_ptr>(nullptr));
        double below_diagonal = 0, smallest_diagonal = INFINITY;
        for (std::size_t i = 0; i < q.cols(); ++i)
            for (std::size_t j = 0; j <= i; ++j) {  // R(i, j) = q_i . m_j
                mpfr_set_zero(r, 1);
                for (std::size_t k = 0; k < q.rows(); ++k) {
                    mpfr_mul(term, ptr(q(k, i)), ptr(m(k, j)), MPFR_RNDN);
                    mpfr_add(r, r, term, MPFR_RNDN);
                }
                if (i == j) smallest_diagonal = std::min(smallest_diagonal, mpfr_get_d(r, MPFR_RNDN));
                else below_diagonal = std::max(below_diagonal, std::abs(mpfr_get_d(r, MPFR_RNDN)));
            }
        mpfr_clears(r, term, static_cast<mpfr_ptr>(nullptr));
        INFO("largest |R| below the diagonal " << below_diagonal << ", smallest diagonal " << smallest_diagonal);
        CHECK(below_diagonal <= bound);
        CHECK(smallest_diagonal > bound);
    }

    {
        INFO("gain and multiplier: W W^T = (5/3 * 0.5)^2 I before tanh");
        init_spec spec = with_scheme(init_scheme::orthogonal);
        spec.multiplier = "0.5";
        const auto w = one_weight(weight_layout(10, 14, {activation_kind::tanh}), spec, 256);
        CHECK(distance_from_scaled_identity(w, 25, 36) <= bound);
    }
}

TEST_CASE("gains are torch.nn.init.calculate_gain's", "[nn][init]") {
    // calculate_gain's values as Python computes them in double (5.0 / 3,
    // math.sqrt(2.0), math.sqrt(2.0 / (1 + slope ** 2))): ours are rounded
    // once from the exact value, Python's after up to three roundings, so
    // they may differ by 1 ulp. prelu takes leaky_relu's gain at its slope;
    // torch has no gain for elu, gelu and softplus, and we use 1 (init.hpp).
    struct gain_case {
        activation f;
        double torch;
    };
    const std::vector<gain_case> cases{
        {{activation_kind::identity}, 1.0},
        {{activation_kind::sigmoid}, 1.0},
        {{activation_kind::tanh}, 5.0 / 3},
        {{activation_kind::relu}, std::sqrt(2.0)},
        {{activation_kind::leaky_relu}, std::sqrt(2.0 / (1 + 0.01 * 0.01))},
        {{activation_kind::leaky_relu, 0.2}, std::sqrt(2.0 / (1 + 0.2 * 0.2))},
        {{activation_kind::prelu}, std::sqrt(2.0 / (1 + 0.25 * 0.25))},
        {{activation_kind::elu}, 1.0},
        {{activation_kind::gelu}, 1.0},
        {{activation_kind::softplus}, 1.0},
    };
    for (const auto& c : cases) {
        INFO(activation_name(c.f.kind) << " " << c.f.parameter);
        const auto g = activation_gain(c.f, 256);
        CHECK(ulp_distance(to_fp64(ptr(g)), c.torch, binary64()) <= 1);
    }
    // At 256 bits, correctly rounded: |3 g - 5| <= 3 ulp(g) / 2 and |g^2 - 2| <= 2 g ulp(g) / 2.
    mpfr_t d;
    mpfr_init2(d, 1024);
    mpfr_mul_ui(d, ptr(activation_gain({activation_kind::tanh}, 256)), 3, MPFR_RNDN);
    mpfr_sub_ui(d, d, 5, MPFR_RNDN);
    CHECK(std::abs(mpfr_get_d(d, MPFR_RNDN)) <= 1.5 * 0x1p-255);
    mpfr_sqr(d, ptr(activation_gain({activation_kind::relu}, 256)), MPFR_RNDN);
    mpfr_sub_ui(d, d, 2, MPFR_RNDN);
    CHECK(std::abs(mpfr_get_d(d, MPFR_RNDN)) <= 1.5 * 0x1p-255);
    mpfr_clear(d);
}

TEST_CASE("the multiplier scales every weight and nothing else", "[nn][init]") {
    // A power of two commutes with rounding: the values are exactly doubled.
    // 0.1 is within a few ulps: each value is rounded at most twice either way.
    const std::vector<parameter_layout> layout{weight_layout(6, 9, {activation_kind::relu}), bias_layout(6)};
    for (const init_scheme scheme : {init_scheme::xavier_uniform, init_scheme::xavier_normal, init_scheme::he_uniform,
                                     init_scheme::he_normal, init_scheme::lecun_normal, init_scheme::orthogonal,
                                     init_scheme::uniform, init_scheme::normal}) {
        INFO("scheme " << init_scheme_name(scheme));
        const auto with_multiplier = [&](const char* multiplier) {
            return initial_parameters(layout, {.scheme = scheme, .multiplier = multiplier, .bias = "0.125"}, 3, 64);
        };
        const auto base = with_multiplier("1");
        const auto doubled = with_multiplier("2");
        const auto tenth = with_multiplier("0.1");
        mpfr_t x, relative;
        mpfr_inits2(256, x, relative, static_cast<mpfr_ptr>(nullptr));
        for (std::size_t e = 0; e < base[0].size(); ++e) {
            mpfr_srcptr b = ptr(base[0].elements()[e]);
            mpfr_mul_2ui(x, b, 1, MPFR_RNDN);
            CHECK(mpfr_equal_p(ptr(doubled[0].elements()[e]), x));
            mpfr_div_ui(x, b, 10, MPFR_RNDN);
            mpfr_sub(relative, ptr(tenth[0].elements()[e]), x, MPFR_RNDN);
            mpfr_div(relative, relative, x, MPFR_RNDN);
            CHECK(std::abs(mpfr_get_d(relative, MPFR_RNDN)) <= 0x1p-61);
        }
        mpfr_clears(x, relative, static_cast<mpfr_ptr>(nullptr));
        for (std::size_t e = 0; e < base[1].size(); ++e) {
            CHECK(static_cast<double>(base[1].elements()[e]) == 0.125);
            CHECK(static_cast<double>(tenth[1].elements()[e]) == 0.125);
        }
    }
}

TEST_CASE("the same seed gives the same bits, another seed other values, at any thread count", "[nn][init]") {
    const std::vector<parameter_layout> layout{weight_layout(40, 30, {activation_kind::tanh}),
                                               weight_layout(30, 40, {activation_kind::relu})};
    for (const init_scheme scheme : {init_scheme::xavier_uniform, init_scheme::he_normal, init_scheme::orthogonal}) {
        INFO("scheme " << init_scheme_name(scheme));
        const auto spec = with_scheme(scheme);
        const int threads = omp_get_max_threads();
        omp_set_num_threads(1);
        const auto one_thread = initial_parameters(layout, spec, 11, 128);
        omp_set_num_threads(2);
        const auto two_threads = initial_parameters(layout, spec, 11, 128);
        omp_set_num_threads(threads);
        const auto again = initial_parameters(layout, spec, 11, 128);
        CHECK(bitwise_equal(one_thread, two_threads));
        CHECK(bitwise_equal(one_thread, again));

        const auto other = initial_parameters(layout, spec, 12, 128);
        std::size_t same = 0, total = 0;
        for (std::size_t k = 0; k < other.size(); ++k)
            for (std::size_t e = 0; e < other[k].size(); ++e, ++total)
                same += mpfr_equal_p(ptr(other[k].elements()[e]), ptr(one_thread[k].elements()[e])) ? 1 : 0;
        CHECK(same == 0);
        // The two weights draw from streams of their own.
        CHECK_FALSE(mpfr_equal_p(ptr(one_thread[0](0, 0)), ptr(one_thread[1](0, 0))));
    }
}

TEST_CASE("each precision's parameters are the mp256 values rounded once", "[nn][init]") {
    model_spec spec{5, {}};
    spec.layers.emplace_back(dense_spec{7});
    spec.layers.emplace_back(activation_spec{{activation_kind::prelu, 0.1}});
    spec.layers.emplace_back(dense_spec{3});
    arithmetic<mp_float> a256(parse_precision("mp256"));
    const network<mp_float> reference(spec, a256);
    const auto layout = parameter_layouts(reference);
    REQUIRE(layout.size() == 5);  // weight, bias, slope, weight, bias
    CHECK(layout[0].name == "layers.0.weight");
    CHECK(layout[0].fan_in == 5);
    CHECK(layout[0].fan_out == 7);
    CHECK(layout[0].next_activation.kind == activation_kind::prelu);
    CHECK(layout[2].role == parameter_role::slope);

    init_spec init = with_scheme(init_scheme::he_normal);
    init.bias = "0.1";
    const auto values = initial_parameters(layout, init, 2024, 256);
    // The slope and the biases: the decimals, at 256 bits.
    mp_float tenth = to_mp(0.0, 256);
    mpfr_set_str(tenth.backend().data(), "0.1", 10, MPFR_RNDN);
    CHECK(mpfr_equal_p(ptr(values[2](0, 0)), ptr(tenth)));
    CHECK(mpfr_equal_p(ptr(values[1](0, 3)), ptr(tenth)));

    arithmetic<float> a32(parse_precision("fp32"));
    network<float> n32(spec, a32);
    load_parameters(n32, values);
    arithmetic<double> a64(parse_precision("fp64"));
    network<double> n64(spec, a64);
    load_parameters(n64, values);
    arithmetic<emulated_float> abf16(parse_precision("bf16"));
    network<emulated_float> nbf16(spec, abf16);
    load_parameters(nbf16, values);
    arithmetic<mp_float> amp64(parse_precision("mp64"));
    network<mp_float> nmp64(spec, amp64);
    load_parameters(nmp64, values);

    std::size_t compared = 0;
    for (std::size_t k = 0; k < values.size(); ++k)
        for (std::size_t e = 0; e < values[k].size(); ++e, ++compared) {
            mpfr_srcptr x = ptr(values[k].elements()[e]);
            INFO("parameter " << layout[k].name << " element " << e);
            CHECK(n32.parameters()[k]->value.elements()[e] == to_fp32(x));
            CHECK(n64.parameters()[k]->value.elements()[e] == to_fp64(x));
            CHECK(nbf16.parameters()[k]->value.elements()[e] ==
                  static_cast<float>(round_to_format(x, bfloat16(), rounding_mode::nearest_even)));
            const mp_float& v64 = nmp64.parameters()[k]->value.elements()[e];
            CHECK(mpfr_get_prec(ptr(v64)) == 64);
            CHECK(mpfr_equal_p(ptr(v64), ptr(to_mp(x, 64))));
        }
    CHECK(compared == 7 * 5 + 7 + 1 + 3 * 7 + 3);
}

TEST_CASE("initialisation rejects bad settings, naming them", "[nn][init]") {
    const std::vector<parameter_layout> layout{weight_layout(3, 4)};
    init_spec spec;
    spec.multiplier = "two";
    CHECK_THROWS_WITH(initial_parameters(layout, spec, 1, 64), Catch::Contains("multiplier 'two'"));
    spec = with_scheme(init_scheme::uniform);
    spec.low = "1";
    spec.high = "0";
    CHECK_THROWS_WITH(initial_parameters(layout, spec, 1, 64), Catch::Contains("low <= high"));
    spec = with_scheme(init_scheme::normal);
    spec.standard_deviation = "-1";
    CHECK_THROWS_WITH(initial_parameters(layout, spec, 1, 64), Catch::Contains("standard_deviation >= 0"));
    CHECK_THROWS_WITH(initial_parameters(layout, init_spec{}, 1, 1), Catch::Contains("at least 2"));
    auto no_fan = layout;
    no_fan[0].fan_in = 0;
    CHECK_THROWS_WITH(initial_parameters(no_fan, init_spec{}, 1, 64), Catch::Contains("layers.0.weight"));

    CHECK(parse_init_scheme("kaiming_uniform") == init_scheme::he_uniform);
    CHECK(parse_init_scheme("kaiming_normal") == init_scheme::he_normal);
    CHECK(init_scheme_name(init_scheme::he_uniform) == "he_uniform");
    CHECK_THROWS_WITH(parse_init_scheme("glorot"), Catch::Contains("xavier_uniform"));
    CHECK(parse_fan_mode("fan_out") == fan_mode::fan_out);

    model_spec model{2, {}};
    model.layers.emplace_back(dense_spec{3});
    arithmetic<double> a(parse_precision("fp64"));
    network<double> net(model, a);
    CHECK_THROWS_WITH(load_parameters(net, {}), Catch::Contains("0 values for 2 parameters"));
    auto values = initial_parameters({weight_layout(3, 2), weight_layout(3, 2)}, init_spec{}, 1, 64);
    CHECK_THROWS_WITH(load_parameters(net, values), Catch::Contains("layers.0.bias"));
}
