#include "gradlab/nn/dataset.hpp"

#include <stdexcept>
#include <string>
#include <variant>

#include <mpfr.h>

#include "gradlab/scalar/counter_rng.hpp"

namespace gradlab::nn {

namespace {

constexpr std::uint64_t teacher_x_stream = 0xda7a'0001;
constexpr std::uint64_t teacher_parameter_stream = 0xda7a'0002;
constexpr std::uint64_t blob_centre_stream = 0xda7a'0011;
constexpr std::uint64_t blob_noise_stream = 0xda7a'0012;
constexpr std::uint64_t spiral_position_stream = 0xda7a'0021;
constexpr std::uint64_t spiral_noise_stream = 0xda7a'0022;

mpfr_ptr out(mp_float& x) { return x.backend().data(); }
mpfr_srcptr in(const mp_float& x) { return x.backend().data(); }

arithmetic<mp_float> mp_arithmetic(int bits) {
    return arithmetic<mp_float>(parse_precision("mp" + std::to_string(bits)));
}

matrix<mp_float> mp_matrix(std::size_t rows, std::size_t cols, int bits) {
    return matrix<mp_float>(rows, cols, element_precision{bits});
}

// A non-negative real setting read at the precision; `what` names it in errors.
mp_float non_negative_setting(const arithmetic<mp_float>& a, std::string_view decimal, const char* what) {
    const mp_float v = a.number(decimal);
    if (!mpfr_number_p(in(v)) || mpfr_sgn(in(v)) < 0)
        throw std::invalid_argument(std::string(what) + " '" + std::string(decimal) +
                                    "' must be a finite non-negative number");
    return v;
}

void require_positive(std::size_t n, const char* what) {
    if (n == 0) throw std::invalid_argument(std::string(what) + " must be positive");
}

}  // namespace

network<mp_float> teacher_network(const teacher_student_spec& spec, std::uint64_t seed, arithmetic<mp_float>& a) {
    require_positive(spec.input_dim, "teacher-student: input_dim");
    require_positive(spec.output_dim, "teacher-student: output_dim");
    if (spec.hidden_depth > 0) require_positive(spec.hidden_width, "teacher-student: hidden_width");
    network<mp_float> teacher(
        multilayer_perceptron(spec.input_dim, spec.hidden_width, spec.hidden_depth, spec.hidden, spec.output_dim), a);
    const counter_rng rng(seed, teacher_parameter_stream);
    const mp_float zero = a.zero();
    mp_float scale = a.zero();
    std::uint64_t first = 0;
    // Parameters come layer by layer, each weight before its bias: the bias
    // takes the fan-in of the weight just seen.
    for (auto* p : teacher.parameters()) {
        if (p->role == parameter_role::weight) {
            mpfr_set_ui(out(scale), p->value.cols(), MPFR_RNDN);
            mpfr_rec_sqrt(out(scale), in(scale), MPFR_RNDN);
        }
        rng.fill_normal(p->value.elements(), first, scale, zero);
        first += p->value.size();
    }
    return teacher;
}

dataset teacher_student(const teacher_student_spec& spec, std::uint64_t seed, int bits) {
    auto a = mp_arithmetic(bits);
    auto teacher = teacher_network(spec, seed, a);
    dataset d{mp_matrix(spec.samples, spec.input_dim, bits), mp_matrix(spec.samples, spec.output_dim, bits), {}};
    counter_rng(seed, teacher_x_stream).fill_normal(d.x.elements(), 0, a.number("1"), a.zero());
    a.copy(teacher.forward(d.x, pass_mode::evaluation).elements(), d.y.elements());
    return d;
}

matrix<mp_float> blob_centres(std::size_t input_dim, std::size_t classes, std::uint64_t seed, int bits) {
    auto a = mp_arithmetic(bits);
    auto centres = mp_matrix(classes, input_dim, bits);
    // 2 u - 1 for u = k 2^-p is a multiple of 2^(1-p) in [-1, 1): exact in p bits.
    counter_rng(seed, blob_centre_stream).fill_uniform(centres.elements(), 0, a.number("2"), a.number("-1"));
    return centres;
}

dataset gaussian_blobs(std::size_t samples, std::size_t input_dim, std::size_t classes, std::string_view spread,
                       std::uint64_t seed, int bits) {
    require_positive(input_dim, "gaussian blobs: input_dim");
    require_positive(classes, "gaussian blobs: classes");
    auto a = mp_arithmetic(bits);
    const mp_float scale = non_negative_setting(a, spread, "gaussian blobs: spread");
    const auto centres = blob_centres(input_dim, classes, seed, bits);
    dataset d{mp_matrix(samples, input_dim, bits), mp_matrix(samples, classes, bits), {}};
    counter_rng(seed, blob_noise_stream).fill_normal(d.x.elements(), 0, scale, a.zero());
    for (std::size_t i = 0; i < samples; ++i) {
        const auto label = i % classes;
        d.labels.push_back(static_cast<std::int64_t>(label));
        a.add(d.x.row(i), centres.row(label), d.x.row(i));
        mpfr_set_ui(out(d.y(i, label)), 1, MPFR_RNDN);
    }
    return d;
}

dataset two_spirals(std::size_t samples, std::string_view noise, std::uint64_t seed, int bits) {
    auto a = mp_arithmetic(bits);
    const mp_float noise_scale = non_negative_setting(a, noise, "two spirals: noise");
    dataset d{mp_matrix(samples, 2, bits), {}, {}};
    counter_rng(seed, spiral_noise_stream).fill_normal(d.x.elements(), 0, noise_scale, a.zero());
    const counter_rng position(seed, spiral_position_stream);
    mp_float three_pi = a.zero(), r = a.zero(), t = a.zero(), sin_t = a.zero(), cos_t = a.zero();
    mpfr_const_pi(out(three_pi), MPFR_RNDN);
    mpfr_mul_ui(out(three_pi), in(three_pi), 3, MPFR_RNDN);
    for (std::size_t i = 0; i < samples; ++i) {
        const int c = static_cast<int>(i % 2);
        d.labels.push_back(c);
        position.uniform(out(r), i);
        mpfr_sqrt(out(r), in(r), MPFR_RNDN);
        mpfr_mul(out(t), in(three_pi), in(r), MPFR_RNDN);
        mpfr_sin_cos(out(sin_t), out(cos_t), in(t), MPFR_RNDN);
        if (c == 1) mpfr_neg(out(r), in(r), MPFR_RNDN);
        // x = (-1)^c r (cos t, sin t) + noise, one rounding each (fused)
        mpfr_fma(out(d.x(i, 0)), in(r), in(cos_t), in(d.x(i, 0)), MPFR_RNDN);
        mpfr_fma(out(d.x(i, 1)), in(r), in(sin_t), in(d.x(i, 1)), MPFR_RNDN);
    }
    d.y = label_values(d.labels, bits);
    return d;
}

matrix<mp_float> label_values(const std::vector<std::int64_t>& labels, int bits) {
    auto y = mp_matrix(labels.size(), 1, bits);
    for (std::size_t i = 0; i < labels.size(); ++i) mpfr_set_si(out(y(i, 0)), static_cast<long>(labels[i]), MPFR_RNDN);
    return y;
}

}  // namespace gradlab::nn
