// estimate_conditioning() finds the largest singular value and sigma_max /
// sigma_min of matrices whose spectra are known exactly: diagonal ones, and
// Q D Q^T with Q a Sylvester-Hadamard matrix over sqrt(n), exactly orthogonal
// (entries ±2^-k), D dyadic, so every entry of W is exact in every precision.
//
// Tolerance 1e-8 relative: the iterations stop when an estimate changes by
// less than 1e-10; with these spectra (sigma_2 / sigma_1 <= 1/2, and the
// same for W^-1) they are then within 1e-10 / (1 - 2^-4) of their limit;
// rounding W's products and solves in double adds some n cond(W) 2^-53, below
// 1e-12 for these matrices. 1e-8 leaves a hundredfold margin, and an
// estimate that stopped early or took the wrong vector is off by far more.

#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <limits>
#include <typeinfo>
#include <vector>

#include <omp.h>

#include "gradlab/probe/conditioning.hpp"
#include "gradlab/tensor/matrix.hpp"

using namespace gradlab;
using probe::estimate_conditioning;

namespace {

constexpr double tolerance = 1e-8;

struct dense {
    std::size_t rows, cols;
    std::vector<double> values;  // row-major
};

dense diagonal(std::size_t rows, std::size_t cols, const std::vector<double>& d) {
    dense w{rows, cols, std::vector<double>(rows * cols, 0.0)};
    for (std::size_t k = 0; k < d.size(); ++k) w.values[k * cols + k] = d[k];
    return w;
}

// Row i, column j of the n x n Sylvester-Hadamard matrix over sqrt(n) (n a
// power of 4, so sqrt(n) is a power of two): orthogonal, exactly.
double hadamard(std::size_t i, std::size_t j, std::size_t n) {
    const double sign = std::popcount(i & j) % 2 == 0 ? 1.0 : -1.0;
    return sign / std::sqrt(static_cast<double>(n));
}

// Q_m[:, :n] diag(d) Q_n^T: an m x n matrix (m >= n) with singular values d.
dense rotated(std::size_t m, std::size_t n, const std::vector<double>& d) {
    dense w{m, n, std::vector<double>(m * n, 0.0)};
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j)
            for (std::size_t k = 0; k < n; ++k) w.values[i * n + j] += hadamard(i, k, m) * d[k] * hadamard(j, k, n);
    return w;
}

// Singular values 1 + (k mod 64) / 64 but for one 4 and one 1/4 (n >= 201):
// sigma_2 / sigma_1 and sigma_min / sigma_(n-1) both below 1/2.
std::vector<double> spread_spectrum(std::size_t n) {
    std::vector<double> d(n);
    for (std::size_t k = 0; k < n; ++k) d[k] = 1 + static_cast<double>(k % 64) / 64;
    d[17] = 4;
    d[200] = 0.25;
    return d;
}

dense scaled(dense w, int exponent) {
    for (double& v : w.values) v = std::ldexp(v, exponent);
    return w;
}

// W in precision T (every entry exact; mp at 64 bits).
template <class T>
matrix<T> in_precision(const dense& w) {
    matrix<T> out(w.rows, w.cols, element_precision{64});
    auto e = out.view().elements();
    for (std::size_t i = 0; i < e.size(); ++i) {
        if constexpr (std::is_same_v<T, mp_float>) mpfr_set_d(e[i].backend().data(), w.values[i], MPFR_RNDN);
        else e[i] = static_cast<T>(w.values[i]);
    }
    return out;
}

template <class T>
probe::conditioning estimate_in(const dense& w) {
    const auto m = in_precision<T>(w);
    return estimate_conditioning(matrix_view<const T>(m.view()));
}

template <class F>
void for_each_precision(F&& f) {
    f.template operator()<float>();
    f.template operator()<double>();
    f.template operator()<float128>();
    f.template operator()<mp_float>();
}

void check_spectrum(const dense& w, long double sigma_max, std::optional<long double> condition) {
    for_each_precision([&]<class T>() {
        const auto c = estimate_in<T>(w);
        INFO(w.rows << "x" << w.cols << " " << typeid(T).name() << ": sigma_max " << c.spectral_norm << ", iterations "
                    << c.iterations);
        CHECK(std::fabs(c.spectral_norm - sigma_max) <= tolerance * sigma_max);
        CHECK(c.iterations < 500);
        REQUIRE(c.condition_number.has_value() == condition.has_value());
        if (condition) CHECK(std::fabs(*c.condition_number - *condition) <= tolerance * *condition);
    });
}

}  // namespace

TEST_CASE("conditioning: diagonal matrices, square and not", "[probe]") {
    check_spectrum(diagonal(4, 4, {4, 2, 1, 0.5}), 4, 8);
    check_spectrum(diagonal(4, 4, {0.5, 1, 4, 2}), 4, 8);  // order does not matter
    check_spectrum(diagonal(1, 1, {-3}), 3, 1);
    check_spectrum(diagonal(3, 5, {3, -1.5, 0.25}), 3, std::nullopt);
    check_spectrum(diagonal(5, 3, {0.25, 3, 1.5}), 3, std::nullopt);
}

TEST_CASE("conditioning: orthogonal times diagonal times orthogonal", "[probe]") {
    check_spectrum(rotated(4, 4, {8, 3, 1, 0.25}), 8, 32);
    check_spectrum(rotated(16, 4, {5, 2, 0.5, 1}), 5, std::nullopt);
    check_spectrum(rotated(256, 256, spread_spectrum(256)), 4, 16);
}

TEST_CASE("conditioning: the same bits for 1 and 2 threads", "[probe][omp]") {
    // 1024 x 256: its products are large enough to run on threads.
    const dense w = rotated(1024, 256, spread_spectrum(256));
    const auto with_threads = [&](int threads) {
        const int default_threads = omp_get_max_threads();
        omp_set_num_threads(threads);
        const auto c = estimate_conditioning(matrix_view<const double>(w.values.data(), w.rows, w.cols));
        omp_set_num_threads(default_threads);
        return c;
    };
    const auto one = with_threads(1), two = with_threads(2);
    CHECK(std::fabs(one.spectral_norm - 4) <= tolerance * 4);
    CHECK(one.spectral_norm == two.spectral_norm);
    CHECK(one.iterations == two.iterations);
}

TEST_CASE("conditioning: no overflow or underflow for entries near the ends of the range", "[probe]") {
    const dense w = rotated(4, 4, {8, 3, 1, 0.25});
    for (int e : {990, -1000}) {
        const auto c = estimate_conditioning(matrix_view<const double>(scaled(w, e).values.data(), 4, 4));
        CHECK(std::fabs(c.spectral_norm / std::ldexp(8.0L, e) - 1) <= tolerance);
        CHECK(std::fabs(*c.condition_number - 32) <= tolerance * 32);
    }
    // binary128 beyond double's range: read as long double.
    auto big = in_precision<float128>(w);
    for (auto& v : big.view().elements()) v = ldexp(v, 16000);
    const auto c = estimate_conditioning(matrix_view<const float128>(big.view()));
    CHECK(std::fabs(c.spectral_norm / std::ldexp(8.0L, 16000) - 1) <= tolerance);
}

TEST_CASE("conditioning: a singular square matrix has condition +Inf", "[probe]") {
    const long double inf = std::numeric_limits<long double>::infinity();
    // Elimination meets an exact zero pivot: 1 - (1/2) 2 and 1 - (-1)(-1).
    for_each_precision([&]<class T>() {
        const auto rank_one = estimate_in<T>({2, 2, {1, 2, 2, 4}});
        CHECK(std::fabs(rank_one.spectral_norm - 5) <= tolerance * 5);
        CHECK(rank_one.condition_number == inf);
        // Rows summing to zero: all ones as a start vector would see 0 here.
        const auto centred = estimate_in<T>({2, 2, {1, -1, -1, 1}});
        CHECK(std::fabs(centred.spectral_norm - 2) <= tolerance * 2);
        CHECK(centred.condition_number == inf);
        const auto zero = estimate_in<T>(diagonal(3, 3, {0, 0, 0}));
        CHECK(zero.spectral_norm == 0);
        CHECK(zero.condition_number == inf);
    });
    CHECK(estimate_in<double>(diagonal(3, 4, {0, 0, 0})).condition_number == std::nullopt);
}

TEST_CASE("conditioning: NaN or Inf entries give NaN, an empty matrix 0", "[probe]") {
    const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
    for_each_precision([&]<class T>() {
        for (double bad : {nan, inf, -inf}) {
            dense square = diagonal(3, 3, {1, 2, 3}), wide = diagonal(2, 3, {1, 2});
            square.values[5] = bad;
            wide.values[0] = bad;
            const auto s = estimate_in<T>(square);
            CHECK(std::isnan(s.spectral_norm));
            REQUIRE(s.condition_number);
            CHECK(std::isnan(*s.condition_number));
            const auto r = estimate_in<T>(wide);
            CHECK(std::isnan(r.spectral_norm));
            CHECK_FALSE(r.condition_number);
        }
        for (auto [rows, cols] : {std::pair{0, 0}, std::pair{0, 3}, std::pair{3, 0}}) {
            const auto e = estimate_in<T>({std::size_t(rows), std::size_t(cols), {}});
            CHECK(e.spectral_norm == 0);
            CHECK_FALSE(e.condition_number);
            CHECK(e.iterations == 0);
        }
    });
}
