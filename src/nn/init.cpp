#include "gradlab/nn/init.hpp"

#include <span>
#include <stdexcept>
#include <string>
#include <utility>

#include <mpfr.h>

#include "gradlab/scalar/conversions.hpp"
#include "gradlab/scalar/counter_rng.hpp"
#include "name_table.hpp"

namespace gradlab::nn {

namespace {

constexpr std::pair<init_scheme, std::string_view> scheme_names[] = {
    {init_scheme::xavier_uniform, "xavier_uniform"}, {init_scheme::xavier_normal, "xavier_normal"},
    {init_scheme::he_uniform, "he_uniform"},         {init_scheme::he_normal, "he_normal"},
    {init_scheme::he_uniform, "kaiming_uniform"},    {init_scheme::he_normal, "kaiming_normal"},
    {init_scheme::lecun_normal, "lecun_normal"},     {init_scheme::orthogonal, "orthogonal"},
    {init_scheme::uniform, "uniform"},               {init_scheme::normal, "normal"},
};

constexpr std::pair<fan_mode, std::string_view> mode_names[] = {
    {fan_mode::fan_in, "fan_in"},
    {fan_mode::fan_out, "fan_out"},
};

// Bits beyond the output's with which constants and the QR are computed, so
// that rounding them once more to the output is as good as rounding once.
constexpr int guard_bits = 64;

mpfr_ptr ptr(mp_float& x) { return x.backend().data(); }
mpfr_srcptr ptr(const mp_float& x) { return x.backend().data(); }

mp_float zero_at(int bits) { return to_mp(0.0, bits); }

// The spec's settings read once, at `bits`.
struct settings {
    mp_float multiplier, low, high, mean, standard_deviation, bias;
};

mp_float read_setting(const std::string& text, std::string_view what, int bits) {
    mp_float x = zero_at(bits);
    if (!parse_number(text, ptr(x)) || !mpfr_number_p(ptr(x)))
        throw std::invalid_argument("init: " + std::string(what) + " '" + text + "' is not a finite number");
    return x;
}

settings read_settings(const init_spec& spec, int bits) {
    settings s{read_setting(spec.multiplier, "multiplier", bits), read_setting(spec.low, "low", bits),
               read_setting(spec.high, "high", bits),             read_setting(spec.mean, "mean", bits),
               read_setting(spec.standard_deviation, "standard_deviation", bits),
               read_setting(spec.bias, "bias", bits)};
    if (spec.scheme == init_scheme::uniform && mpfr_greater_p(ptr(s.low), ptr(s.high)))
        throw std::invalid_argument("init: uniform needs low <= high, got low " + spec.low + ", high " + spec.high);
    if (spec.scheme == init_scheme::normal && mpfr_sgn(ptr(s.standard_deviation)) < 0)
        throw std::invalid_argument("init: normal needs a standard_deviation >= 0, got " + spec.standard_deviation);
    return s;
}

// factor * sqrt(numerator / denominator) at `bits`.
mp_float scaled_root(unsigned long numerator, std::size_t denominator, const mp_float& factor, int bits) {
    mp_float r = zero_at(bits);
    mpfr_set_ui(ptr(r), numerator, MPFR_RNDN);
    mpfr_div_ui(ptr(r), ptr(r), denominator, MPFR_RNDN);
    mpfr_sqrt(ptr(r), ptr(r), MPFR_RNDN);
    mpfr_mul(ptr(r), ptr(r), ptr(factor), MPFR_RNDN);
    return r;
}

mp_float product(const mp_float& x, const mp_float& y, int bits) {
    mp_float r = zero_at(bits);
    mpfr_mul(ptr(r), ptr(x), ptr(y), MPFR_RNDN);
    return r;
}

// out = U(-bound, bound), rounded once.
void fill_symmetric_uniform(const counter_rng& rng, matrix<mp_float>& out, const mp_float& bound, int bits) {
    mp_float width = zero_at(bits), low = zero_at(bits);
    mpfr_mul_2ui(ptr(width), ptr(bound), 1, MPFR_RNDN);  // exact
    mpfr_neg(ptr(low), ptr(bound), MPFR_RNDN);
    rng.fill_uniform(out.elements(), 0, width, low);
}

void fill_zero_mean_normal(const counter_rng& rng, matrix<mp_float>& out, const mp_float& standard_deviation,
                           int bits) {
    rng.fill_normal(out.elements(), 0, standard_deviation, zero_at(bits));
}

// <x, y> into out, one rounding per term, in index order.
void dot(std::span<const mp_float> x, std::span<const mp_float> y, mpfr_ptr out) {
    mpfr_set_zero(out, 1);
    for (std::size_t k = 0; k < x.size(); ++k) mpfr_fma(out, ptr(x[k]), ptr(y[k]), out, MPFR_RNDN);
}

// factor Q, rounded once to `bits`, Q the Q factor of a = QR with R's
// diagonal positive (orthonormal columns) when a is tall, else the transpose
// of a^T's (orthonormal rows). Gram-Schmidt orthogonalises a^T's rows (tall
// a's columns) against the previous ones twice; each projection and each
// element's update is one thread's fixed-order loop, so the result does not
// depend on the thread count.
matrix<mp_float> orthonormal_factor(const matrix<mp_float>& a, const mp_float& factor, int bits) {
    const int working = bits + guard_bits;
    const bool tall = a.rows() >= a.cols();
    const std::size_t n = tall ? a.cols() : a.rows(), m = tall ? a.rows() : a.cols();
    matrix<mp_float> q(n, m, element_precision{working});  // row j: vector j
    for (std::size_t j = 0; j < n; ++j)
        for (std::size_t k = 0; k < m; ++k) mpfr_set(ptr(q(j, k)), ptr(tall ? a(k, j) : a(j, k)), MPFR_RNDN);

    matrix<mp_float> minus_projection(1, n, element_precision{working});
    mp_float norm = zero_at(working);
    for (std::size_t j = 0; j < n; ++j) {
        const auto v = q.row(j);
        const auto jj = static_cast<std::ptrdiff_t>(j), mm = static_cast<std::ptrdiff_t>(m);
        for (int pass = 0; pass < 2; ++pass) {
#pragma omp parallel for schedule(static)
            for (std::ptrdiff_t i = 0; i < jj; ++i) {
                mpfr_ptr r = ptr(minus_projection(0, static_cast<std::size_t>(i)));
                dot(q.row(static_cast<std::size_t>(i)), v, r);
                mpfr_neg(r, r, MPFR_RNDN);
            }
#pragma omp parallel for schedule(static)
            for (std::ptrdiff_t k = 0; k < mm; ++k)
                for (std::size_t i = 0; i < j; ++i)
                    mpfr_fma(ptr(v[k]), ptr(minus_projection(0, i)), ptr(q(i, static_cast<std::size_t>(k))),
                             ptr(v[k]), MPFR_RNDN);
        }
        dot(v, v, ptr(norm));
        if (mpfr_zero_p(ptr(norm)))
            throw std::runtime_error("init: orthogonal drew a rank-deficient normal matrix; try another seed");
        mpfr_sqrt(ptr(norm), ptr(norm), MPFR_RNDN);
        for (auto& e : v) mpfr_div(ptr(e), ptr(e), ptr(norm), MPFR_RNDN);
    }

    matrix<mp_float> w(a.rows(), a.cols(), element_precision{bits});
    for (std::size_t i = 0; i < a.rows(); ++i)
        for (std::size_t j = 0; j < a.cols(); ++j)
            mpfr_mul(ptr(w(i, j)), ptr(tall ? q(j, i) : q(i, j)), ptr(factor), MPFR_RNDN);
    return w;
}

void require_fans(const parameter_layout& p) {
    if (p.fan_in == 0 || p.fan_out == 0)
        throw std::invalid_argument("init: weight " + p.name + " has fan_in " + std::to_string(p.fan_in) +
                                    " and fan_out " + std::to_string(p.fan_out) + "; both must be positive");
}

matrix<mp_float> weight_values(const parameter_layout& p, const init_spec& spec, const settings& s,
                               const counter_rng& rng, int bits) {
    require_fans(p);
    const int working = bits + guard_bits;
    const mp_float gained = product(s.multiplier, activation_gain(p.next_activation, working), working);
    const std::size_t fan = spec.mode == fan_mode::fan_in ? p.fan_in : p.fan_out;
    matrix<mp_float> out(p.rows, p.cols, element_precision{bits});
    switch (spec.scheme) {
        case init_scheme::xavier_uniform:
            fill_symmetric_uniform(rng, out, scaled_root(6, p.fan_in + p.fan_out, gained, working), working);
            break;
        case init_scheme::xavier_normal:
            fill_zero_mean_normal(rng, out, scaled_root(2, p.fan_in + p.fan_out, gained, working), working);
            break;
        case init_scheme::he_uniform:
            fill_symmetric_uniform(rng, out, scaled_root(3, fan, gained, working), working);
            break;
        case init_scheme::he_normal:
            fill_zero_mean_normal(rng, out, scaled_root(1, fan, gained, working), working);
            break;
        case init_scheme::lecun_normal:
            fill_zero_mean_normal(rng, out, scaled_root(1, p.fan_in, s.multiplier, working), working);
            break;
        case init_scheme::orthogonal:
            rng.fill_normal(out.elements(), 0);  // what `normal` with mean 0, std 1 draws
            return orthonormal_factor(out, gained, bits);
        case init_scheme::uniform: {
            mp_float width = zero_at(working);
            mpfr_sub(ptr(width), ptr(s.high), ptr(s.low), MPFR_RNDN);
            rng.fill_uniform(out.elements(), 0, product(width, s.multiplier, working),
                             product(s.low, s.multiplier, working));
            break;
        }
        case init_scheme::normal:
            rng.fill_normal(out.elements(), 0, product(s.standard_deviation, s.multiplier, working),
                            product(s.mean, s.multiplier, working));
            break;
    }
    return out;
}

// A (rows, cols) matrix of `bits`-bit values, each x rounded once.
matrix<mp_float> constant(const parameter_layout& p, mpfr_srcptr x, int bits) {
    matrix<mp_float> out(p.rows, p.cols, element_precision{bits});
    for (auto& e : out.elements()) mpfr_set(ptr(e), x, MPFR_RNDN);
    return out;
}

}  // namespace

std::string_view init_scheme_name(init_scheme scheme) { return detail::name_in(scheme_names, scheme); }
init_scheme parse_init_scheme(std::string_view name) {
    return detail::parse_name_in(scheme_names, name, "initialisation scheme");
}
std::string_view fan_mode_name(fan_mode mode) { return detail::name_in(mode_names, mode); }
fan_mode parse_fan_mode(std::string_view name) { return detail::parse_name_in(mode_names, name, "fan mode"); }

mp_float activation_gain(const activation& f, int bits) {
    mp_float g = zero_at(bits);
    switch (f.kind) {
        case activation_kind::tanh: {
            mp_float five = to_mp(5.0, 8);
            mpfr_div_ui(ptr(g), ptr(five), 3, MPFR_RNDN);
            break;
        }
        case activation_kind::relu: mpfr_sqrt_ui(ptr(g), 2, MPFR_RNDN); break;
        case activation_kind::leaky_relu:
        case activation_kind::prelu: {
            // sqrt(2 / (1 + s^2)), s the double parameter (exact), at bits + 64, then rounded.
            mp_float x = to_mp(f.parameter, bits + guard_bits);
            mpfr_sqr(ptr(x), ptr(x), MPFR_RNDN);
            mpfr_add_ui(ptr(x), ptr(x), 1, MPFR_RNDN);
            mpfr_ui_div(ptr(x), 2, ptr(x), MPFR_RNDN);
            mpfr_sqrt(ptr(x), ptr(x), MPFR_RNDN);
            mpfr_set(ptr(g), ptr(x), MPFR_RNDN);
            break;
        }
        default: mpfr_set_ui(ptr(g), 1, MPFR_RNDN); break;
    }
    return g;
}

std::vector<matrix<mp_float>> initial_parameters(const std::vector<parameter_layout>& layout, const init_spec& spec,
                                                 std::uint64_t seed, int bits) {
    if (bits < 2) throw std::invalid_argument("init: " + std::to_string(bits) + " bits; at least 2 are needed");
    const settings s = read_settings(spec, bits + guard_bits);
    mp_float one = to_mp(1.0, 2), zero = to_mp(0.0, 2);
    std::vector<matrix<mp_float>> values;
    values.reserve(layout.size());
    for (std::size_t k = 0; k < layout.size(); ++k) {
        const parameter_layout& p = layout[k];
        switch (p.role) {
            case parameter_role::weight:
                values.push_back(weight_values(p, spec, s, counter_rng(seed, init_stream_base + k), bits));
                break;
            case parameter_role::bias: values.push_back(constant(p, ptr(s.bias), bits)); break;
            case parameter_role::norm_scale: values.push_back(constant(p, ptr(one), bits)); break;
            case parameter_role::norm_shift: values.push_back(constant(p, ptr(zero), bits)); break;
            case parameter_role::slope: values.push_back(constant(p, ptr(p.slope), bits)); break;
        }
    }
    return values;
}

}  // namespace gradlab::nn
