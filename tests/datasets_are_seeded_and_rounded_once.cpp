// The data sets: a pure function of (seed, bits), bit for bit, whatever the
// thread count; the documented streams, shapes and label ranges; the geometry
// of each generator against a 256- or 512-bit recomputation; and the rounding
// into each precision as one rounding of the mp value (compared with
// to_fp32 / to_fp64 / to_f128 / round_to_format, including a value where
// rounding through fp32 first would give another bf16).

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <mpfr.h>
#include <omp.h>
#include <unistd.h>

#include "gradlab/io/npy.hpp"
#include "gradlab/io/npy_dataset.hpp"
#include "gradlab/nn/dataset.hpp"
#include "gradlab/scalar/counter_rng.hpp"

using namespace gradlab;
using namespace gradlab::nn;
using Catch::Matchers::Contains;

namespace {

constexpr std::uint64_t seed = 20240611;

mpfr_srcptr in(const mp_float& x) { return x.backend().data(); }

// Same shape, and every element the same bits at the same precision.
bool same_bits(const matrix<mp_float>& a, const matrix<mp_float>& b) {
    if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
    for (std::size_t e = 0; e < a.size(); ++e) {
        mpfr_srcptr x = in(a.elements()[e]), y = in(b.elements()[e]);
        if (mpfr_get_prec(x) != mpfr_get_prec(y)) return false;
        if (mpfr_nan_p(x) || mpfr_nan_p(y)) {
            if (!(mpfr_nan_p(x) && mpfr_nan_p(y))) return false;
        } else if (!mpfr_equal_p(x, y) || mpfr_signbit(x) != mpfr_signbit(y)) {
            return false;
        }
    }
    return true;
}

bool same_data(const dataset& a, const dataset& b) {
    return same_bits(a.x, b.x) && same_bits(a.y, b.y) && a.labels == b.labels;
}

// Every generator with the settings of these tests.
struct generated {
    dataset teacher, blobs, spirals;
};

const teacher_student_spec small_teacher{.samples = 6, .input_dim = 3, .output_dim = 2, .hidden_width = 5,
                                         .hidden_depth = 2};

generated generate_all(std::uint64_t s, int bits) {
    return {teacher_student(small_teacher, s, bits), gaussian_blobs(11, 3, 4, "0.5", s, bits),
            two_spirals(9, "0.1", s, bits)};
}

// |got - expected| in a 512-bit scratch value, as a double.
double distance(mpfr_srcptr got, mpfr_srcptr expected) {
    mpfr_t d;
    mpfr_init2(d, 512);
    mpfr_sub(d, got, expected, MPFR_RNDN);
    const double result = std::fabs(mpfr_get_d(d, MPFR_RNDU));
    mpfr_clear(d);
    return result;
}

}  // namespace

TEST_CASE("datasets: the same seed gives the same bits, any thread count; another seed other values",
          "[nn][data]") {
    const int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    const auto one_thread = generate_all(seed, 113);
    omp_set_num_threads(2);
    const auto two_threads = generate_all(seed, 113);
    omp_set_num_threads(threads);
    const auto again = generate_all(seed, 113);
    const auto other_seed = generate_all(seed + 1, 113);

    for (const auto* g : {&two_threads, &again}) {
        CHECK(same_data(one_thread.teacher, g->teacher));
        CHECK(same_data(one_thread.blobs, g->blobs));
        CHECK(same_data(one_thread.spirals, g->spirals));
    }
    CHECK_FALSE(same_bits(one_thread.teacher.x, other_seed.teacher.x));
    CHECK_FALSE(same_bits(one_thread.teacher.y, other_seed.teacher.y));
    CHECK_FALSE(same_bits(one_thread.blobs.x, other_seed.blobs.x));
    CHECK_FALSE(same_bits(one_thread.spirals.x, other_seed.spirals.x));

    // More samples extend the set: the first samples stay as they were.
    const auto longer = gaussian_blobs(30, 3, 4, "0.5", seed, 113);
    for (std::size_t i = 0; i < 11; ++i)
        for (std::size_t j = 0; j < 3; ++j) CHECK(mpfr_equal_p(in(one_thread.blobs.x(i, j)), in(longer.x(i, j))));
}

TEST_CASE("datasets: shapes, precisions, label ranges and documented streams", "[nn][data]") {
    const int bits = 113;
    const auto g = generate_all(seed, bits);

    CHECK((g.teacher.x.rows() == 6 && g.teacher.x.cols() == 3));
    CHECK((g.teacher.y.rows() == 6 && g.teacher.y.cols() == 2));
    CHECK(g.teacher.labels.empty());
    // x is counter_rng's normal sequence of stream 0xda7a'0001, bit for bit.
    mpfr_t expected;
    mpfr_init2(expected, bits);
    for (std::size_t e = 0; e < g.teacher.x.size(); ++e) {
        counter_rng(seed, 0xda7a'0001).normal(expected, e);
        CHECK(mpfr_equal_p(in(g.teacher.x.elements()[e]), expected));
    }
    mpfr_clear(expected);

    CHECK((g.blobs.x.rows() == 11 && g.blobs.x.cols() == 3));
    CHECK((g.blobs.y.rows() == 11 && g.blobs.y.cols() == 4));
    REQUIRE(g.blobs.labels.size() == 11);
    for (std::size_t i = 0; i < 11; ++i) {
        CHECK(g.blobs.labels[i] == static_cast<std::int64_t>(i % 4));
        for (std::size_t k = 0; k < 4; ++k)
            CHECK(mpfr_cmp_ui(in(g.blobs.y(i, k)), static_cast<std::int64_t>(k) == g.blobs.labels[i] ? 1 : 0) == 0);
    }

    CHECK((g.spirals.x.rows() == 9 && g.spirals.x.cols() == 2));
    CHECK((g.spirals.y.rows() == 9 && g.spirals.y.cols() == 1));
    REQUIRE(g.spirals.labels.size() == 9);
    for (std::size_t i = 0; i < 9; ++i) {
        CHECK(g.spirals.labels[i] == static_cast<std::int64_t>(i % 2));
        CHECK(mpfr_cmp_si(in(g.spirals.y(i, 0)), g.spirals.labels[i]) == 0);
    }

    for (const auto* d : {&g.teacher, &g.blobs, &g.spirals})
        for (const auto* m : {&d->x, &d->y})
            for (const auto& v : m->elements()) {
                CHECK(mpfr_get_prec(in(v)) == bits);
                CHECK(mpfr_number_p(in(v)));
            }

    // The blob centres: 2 u - 1, u the uniforms of stream 0xda7a'0011, exactly.
    const auto centres = blob_centres(3, 4, seed, bits);
    mpfr_t u, centre;
    mpfr_init2(u, bits);
    mpfr_init2(centre, bits + 1);  // wide enough for 2 u - 1 to be exact
    for (std::size_t e = 0; e < centres.size(); ++e) {
        counter_rng(seed, 0xda7a'0011).uniform(u, e);
        mpfr_mul_2ui(centre, u, 1, MPFR_RNDN);
        mpfr_sub_ui(centre, centre, 1, MPFR_RNDN);
        CHECK(mpfr_equal_p(in(centres.elements()[e]), centre));
    }
    mpfr_clear(u);
    mpfr_clear(centre);
}

TEST_CASE("datasets: zero samples give empty sets; bad settings are refused", "[nn][data]") {
    const auto teacher = teacher_student({.samples = 0, .input_dim = 2, .output_dim = 1}, seed, 64);
    CHECK((teacher.x.rows() == 0 && teacher.x.cols() == 2 && teacher.y.rows() == 0 && teacher.y.cols() == 1));
    CHECK(gaussian_blobs(0, 2, 3, "1", seed, 64).labels.empty());
    CHECK(two_spirals(0, "0", seed, 64).x.empty());

    CHECK_THROWS_AS(teacher_student({.samples = 3, .input_dim = 0}, seed, 64), std::invalid_argument);
    CHECK_THROWS_AS(teacher_student({.samples = 3, .hidden_width = 0, .hidden_depth = 1}, seed, 64),
                    std::invalid_argument);
    CHECK_THROWS_AS(gaussian_blobs(3, 2, 0, "1", seed, 64), std::invalid_argument);
    CHECK_THROWS_WITH(gaussian_blobs(3, 2, 2, "-0.1", seed, 64), Contains("spread") && Contains("-0.1"));
    CHECK_THROWS_WITH(gaussian_blobs(3, 2, 2, "nan", seed, 64), Contains("spread"));
    CHECK_THROWS_WITH(two_spirals(3, "inf", seed, 64), Contains("noise"));
    CHECK_THROWS_WITH(two_spirals(3, "wide", seed, 64), Contains("wide"));
}

TEST_CASE("datasets: spirals lie on r = t / (3 pi), arm 1 turned by pi, noise from its stream", "[nn][data]") {
    // Computed at 128 bits: a coordinate is r cos t with r, t and the product
    // each rounded (relative 2^-128 apiece); recomputing r from the rounded
    // coordinates and t = 3 pi r moves the result by at most (1 + 3 pi) times
    // those errors, so 2^-115 leaves a margin of some 2^7.
    const int bits = 128;
    const double tolerance = std::ldexp(1.0, -115);
    const std::size_t samples = 300;
    const auto clean = two_spirals(samples, "0", seed, bits);
    const auto noisy = two_spirals(samples, "0.25", seed, bits);
    mpfr_t r, t, expected, n;
    mpfr_inits2(256, r, t, expected, static_cast<mpfr_ptr>(nullptr));
    mpfr_init2(n, bits);
    double smallest_r = 1, largest_r = 0, worst = 0, worst_noise = 0;
    for (std::size_t i = 0; i < samples; ++i) {
        mpfr_hypot(r, in(clean.x(i, 0)), in(clean.x(i, 1)), MPFR_RNDN);
        smallest_r = std::min(smallest_r, mpfr_get_d(r, MPFR_RNDN));
        largest_r = std::max(largest_r, mpfr_get_d(r, MPFR_RNDN));
        mpfr_const_pi(t, MPFR_RNDN);
        mpfr_mul_ui(t, t, 3, MPFR_RNDN);
        mpfr_mul(t, t, r, MPFR_RNDN);
        if (i % 2 == 1) mpfr_neg(r, r, MPFR_RNDN);
        for (int axis = 0; axis < 2; ++axis) {
            if (axis == 0) mpfr_cos(expected, t, MPFR_RNDN);
            else mpfr_sin(expected, t, MPFR_RNDN);
            mpfr_mul(expected, expected, r, MPFR_RNDN);
            worst = std::max(worst, distance(in(clean.x(i, axis)), expected));
            // (noisy - clean) / 0.25 is the normal variate 2i + axis of stream 0xda7a'0022.
            mpfr_sub(expected, in(noisy.x(i, axis)), in(clean.x(i, axis)), MPFR_RNDN);
            mpfr_mul_2ui(expected, expected, 2, MPFR_RNDN);
            counter_rng(seed, 0xda7a'0022).normal(n, 2 * i + axis);
            worst_noise = std::max(worst_noise, distance(expected, n));
        }
    }
    mpfr_clears(r, t, expected, n, static_cast<mpfr_ptr>(nullptr));
    INFO("largest distance from the spiral " << worst << ", from the documented noise " << worst_noise);
    CHECK(worst <= tolerance);
    CHECK(worst_noise <= std::ldexp(1.0, -110));  // two roundings of values below 4, times 4
    // r = sqrt(uniform) fills the arm out to radius 1.
    CHECK(smallest_r < 0.2);
    CHECK(largest_r > 0.95);
    CHECK(largest_r < 1);
}

TEST_CASE("datasets: with a small spread every blob sample is nearest its own centre", "[nn][data]") {
    const std::size_t dims = 5, classes = 4, samples = 200;
    const auto d = gaussian_blobs(samples, dims, classes, "0.001", seed, 64);
    const auto centres = blob_centres(dims, classes, seed, 64);
    for (const auto& c : centres.elements()) {
        CHECK(mpfr_cmp_si(in(c), -1) >= 0);
        CHECK(mpfr_cmp_ui(in(c), 1) < 0);
    }
    double largest_offset = 0;
    for (std::size_t i = 0; i < samples; ++i) {
        std::size_t nearest = 0;
        double best = std::numeric_limits<double>::infinity();
        for (std::size_t k = 0; k < classes; ++k) {
            double squared = 0;
            for (std::size_t j = 0; j < dims; ++j) {
                const double diff = mpfr_get_d(in(d.x(i, j)), MPFR_RNDN) - mpfr_get_d(in(centres(k, j)), MPFR_RNDN);
                squared += diff * diff;
            }
            if (squared < best) {
                best = squared;
                nearest = k;
            }
            if (static_cast<std::int64_t>(k) == d.labels[i])
                largest_offset = std::max(largest_offset, std::sqrt(squared));
        }
        CHECK(static_cast<std::int64_t>(nearest) == d.labels[i]);
    }
    INFO("largest distance from the own centre " << largest_offset);
    // 0.001 times the length of a 5-d standard normal: below 0.001 * 7 but for odds of 1e-8.
    CHECK(largest_offset < 0.007);
    CHECK(largest_offset > 0.0005);
}

TEST_CASE("datasets: teacher-student y is the teacher's forward pass", "[nn][data]") {
    const int bits = 128;
    const auto d = teacher_student(small_teacher, seed, bits);
    arithmetic<mp_float> a(parse_precision("mp128"));
    auto teacher = teacher_network(small_teacher, seed, a);

    // The same network gives the same bits.
    const auto forward = teacher.forward(d.x, pass_mode::evaluation);
    matrix<mp_float> y(forward.rows(), forward.cols(), element_precision{bits});
    a.copy(forward.elements(), y.elements());
    CHECK(same_bits(d.y, y));

    // Its parameters follow the documented stream and scale: normal / sqrt(fan_in),
    // three roundings to 128 bits, so within 2^-126 relative.
    const auto& params = teacher.parameters();
    REQUIRE(params.size() == 6);
    std::uint64_t index = 0;
    double worst_parameter = 0;
    mpfr_t n, expected;
    mpfr_init2(n, bits);
    mpfr_init2(expected, 512);
    for (std::size_t p = 0; p < params.size(); ++p) {
        const std::size_t fan_in = params[p - p % 2]->value.cols();  // a bias takes its weight's fan-in
        for (const auto& v : params[p]->value.elements()) {
            counter_rng(seed, 0xda7a'0002).normal(n, index++);
            mpfr_set_ui(expected, fan_in, MPFR_RNDN);
            mpfr_rec_sqrt(expected, expected, MPFR_RNDN);
            mpfr_mul(expected, expected, n, MPFR_RNDN);
            worst_parameter =
                std::max(worst_parameter, distance(in(v), expected) / std::fabs(mpfr_get_d(expected, MPFR_RNDN)));
        }
    }
    INFO("largest relative parameter error " << worst_parameter);
    CHECK(worst_parameter <= std::ldexp(1.0, -126));

    // And a 512-bit evaluation of the MLP from those parameters agrees: each
    // layer adds a few roundings of 2^-129 relative (one per dot product, one
    // per tanh, which is Lipschitz 1), carried through weights whose rows have
    // norms below 4, so 2^-115 absolute is a wide bound for |y| of order 1.
    double worst_output = 0;
    for (std::size_t i = 0; i < d.x.rows(); ++i) {
        std::vector<mp_float> act;
        for (const auto& v : d.x.row(i)) act.push_back(to_mp(in(v), 512));
        for (std::size_t layer = 0; layer < 3; ++layer) {
            const auto& w = params[2 * layer]->value;
            const auto& b = params[2 * layer + 1]->value;
            std::vector<mp_float> next;
            for (std::size_t o = 0; o < w.rows(); ++o) {
                mp_float z = to_mp(in(b(0, o)), 512);
                for (std::size_t k = 0; k < w.cols(); ++k)
                    mpfr_fma(z.backend().data(), in(w(o, k)), in(act[k]), in(z), MPFR_RNDN);
                if (layer < 2) mpfr_tanh(z.backend().data(), in(z), MPFR_RNDN);
                next.push_back(z);
            }
            act = next;
        }
        for (std::size_t o = 0; o < d.y.cols(); ++o)
            worst_output = std::max(worst_output, distance(in(d.y(i, o)), in(act[o])));
    }
    mpfr_clear(n);
    mpfr_clear(expected);
    INFO("largest distance from the 512-bit teacher " << worst_output);
    CHECK(worst_output <= std::ldexp(1.0, -115));
}

TEST_CASE("datasets: rounding into each precision is one rounding of the mp value", "[nn][data]") {
    auto d = teacher_student(small_teacher, seed, 256);
    // Values where rounding twice would show: 1 + 2^-8 + 2^-30 lies just above
    // a bf16 midpoint; through fp32 it becomes the midpoint 1 + 2^-8, which
    // ties to even at 1, while rounded once it goes up to 1 + 2^-7. Then the
    // special and out-of-range values.
    matrix<mp_float> edges(1, 6, element_precision{256});
    mpfr_set_ui(edges(0, 0).backend().data(), 1, MPFR_RNDN);
    mpfr_add(edges(0, 0).backend().data(), in(edges(0, 0)), in(to_mp(std::ldexp(1.0, -8), 256)), MPFR_RNDN);
    mpfr_add(edges(0, 0).backend().data(), in(edges(0, 0)), in(to_mp(std::ldexp(1.0, -30), 256)), MPFR_RNDN);
    mpfr_set_nan(edges(0, 1).backend().data());
    mpfr_set_inf(edges(0, 2).backend().data(), -1);
    mpfr_set_d(edges(0, 3).backend().data(), 1e300, MPFR_RNDN);
    mpfr_set_d(edges(0, 4).backend().data(), -1e-300, MPFR_RNDN);
    mpfr_set_str(edges(0, 5).backend().data(), "0.1", 10, MPFR_RNDN);

    for (const auto* m : {&d.x, &d.y, &edges}) {
        const auto values = m->elements();
        const auto fp32 = round_into(*m, arithmetic<float>(parse_precision("fp32")));
        const auto fp64 = round_into(*m, arithmetic<double>(parse_precision("fp64")));
        const auto f128 = round_into(*m, arithmetic<float128>(parse_precision("f128")));
        const auto mp64 = round_into(*m, arithmetic<mp_float>(parse_precision("mp64")));
        REQUIRE((fp32.rows() == m->rows() && fp32.cols() == m->cols()));
        for (std::size_t e = 0; e < values.size(); ++e) {
            const float f = to_fp32(in(values[e]));
            CHECK(std::bit_cast<std::uint32_t>(fp32.elements()[e]) == std::bit_cast<std::uint32_t>(f));
            const double g = to_fp64(in(values[e]));
            CHECK(std::bit_cast<std::uint64_t>(fp64.elements()[e]) == std::bit_cast<std::uint64_t>(g));
            const float128 h = to_f128(in(values[e]));
            CHECK(((f128.elements()[e] == h && signbit(f128.elements()[e]) == signbit(h)) ||
                   (isnan(h) && isnan(f128.elements()[e]))));
            const auto& q = mp64.elements()[e];
            CHECK(mpfr_get_prec(in(q)) == 64);
            CHECK((mpfr_equal_p(in(q), in(to_mp(in(values[e]), 64))) ||
                   (mpfr_nan_p(in(q)) && mpfr_nan_p(in(values[e])))));
        }
        // Emulated formats, whatever the run's rounding mode: data are rounded to nearest.
        for (const char* name : {"bf16", "fp16", "fp8e4m3", "bf16/sr", "fp16/rz"}) {
            const auto spec = parse_precision(name);
            const auto rounded = round_into(*m, arithmetic<emulated_float>(spec));
            for (std::size_t e = 0; e < values.size(); ++e) {
                INFO(name << " element " << e);
                const auto expected =
                    static_cast<float>(round_to_format(in(values[e]), *spec.format, rounding_mode::nearest_even));
                CHECK(std::bit_cast<std::uint32_t>(rounded.elements()[e]) == std::bit_cast<std::uint32_t>(expected));
            }
        }
    }
    const auto bf16 = round_into(edges, arithmetic<emulated_float>(parse_precision("bf16")));
    CHECK(bf16(0, 0) == 1.0f + std::ldexp(1.0f, -7));
    CHECK(round_to_format(to_fp32(in(edges(0, 0))), *parse_precision("bf16").format, rounding_mode::nearest_even) ==
          1.0);
    CHECK(std::isnan(bf16(0, 1)));
    CHECK(bf16(0, 2) == -std::numeric_limits<float>::infinity());
    CHECK(bf16(0, 3) == std::numeric_limits<float>::infinity());
    CHECK((bf16(0, 4) == 0 && std::signbit(bf16(0, 4))));
}

TEST_CASE("datasets: io::read_dataset reads float and label files and checks they fit together", "[nn][data][npy]") {
    const auto dir = std::filesystem::temp_directory_path() / ("gradlab_dataset_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::vector<std::size_t> shape_3x2 = {3, 2}, shape_3 = {3}, shape_2 = {2}, shape_3x1 = {3, 1};
    const std::vector<double> x = {0.1, -2.5, 1e-310, 3, std::numeric_limits<double>::max(), -0.0};
    io::write_npy(dir / "x.npy", shape_3x2, x);
    io::write_npy(dir / "y_values.npy", shape_3, std::vector<double>{1.5, 2.5, 3.5});
    io::write_npy(dir / "y_labels.npy", shape_3x1, std::vector<std::int64_t>{2, 0, 1});
    io::write_npy(dir / "y_short.npy", shape_2, std::vector<double>{1, 2});
    io::write_npy(dir / "y_negative.npy", shape_3, std::vector<std::int64_t>{0, -1, 1});
    io::write_npy(dir / "y_wide_labels.npy", shape_3x2, std::vector<std::int64_t>{0, 1, 1, 0, 0, 1});
    io::write_npy(dir / "x_integers.npy", shape_3, std::vector<std::int64_t>{1, 2, 3});

    const auto regression = io::read_dataset(dir / "x.npy", dir / "y_values.npy", 64);
    REQUIRE((regression.x.rows() == 3 && regression.x.cols() == 2));
    for (std::size_t e = 0; e < x.size(); ++e) {
        CHECK(mpfr_get_d(in(regression.x.elements()[e]), MPFR_RNDN) == x[e]);
        CHECK(mpfr_signbit(in(regression.x.elements()[e])) == std::signbit(x[e]));
    }
    CHECK((regression.y.rows() == 3 && regression.y.cols() == 1));
    CHECK(mpfr_cmp_d(in(regression.y(2, 0)), 3.5) == 0);
    CHECK(regression.labels.empty());

    const auto classes = io::read_dataset(dir / "x.npy", dir / "y_labels.npy", 64);
    CHECK(classes.labels == std::vector<std::int64_t>{2, 0, 1});
    CHECK((classes.y.rows() == 3 && classes.y.cols() == 1));
    CHECK(mpfr_cmp_ui(in(classes.y(0, 0)), 2) == 0);

    const auto x_file = (dir / "x.npy").string();
    CHECK_THROWS_WITH(io::read_dataset(dir / "x.npy", dir / "y_short.npy", 64),
                      Contains(x_file) && Contains("y_short.npy") && Contains("3 and 2 samples"));
    CHECK_THROWS_WITH(io::read_dataset(dir / "x.npy", dir / "y_negative.npy", 64),
                      Contains("y_negative.npy") && Contains("negative label -1"));
    CHECK_THROWS_WITH(io::read_dataset(dir / "x.npy", dir / "y_wide_labels.npy", 64), Contains("y_wide_labels.npy"));
    CHECK_THROWS_WITH(io::read_dataset(dir / "x_integers.npy", dir / "y_values.npy", 64),
                      Contains("x_integers.npy") && Contains("integers"));
    CHECK_THROWS_AS(io::read_dataset(dir / "absent.npy", dir / "y_values.npy", 64), io::npy_error);
    std::filesystem::remove_all(dir);
}
