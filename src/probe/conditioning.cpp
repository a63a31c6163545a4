#include "gradlab/probe/conditioning.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>
#include <span>
#include <utility>

#include "../kernels/growable_buffer.hpp"
#include "element_reading.hpp"
#include "gradlab/platform/gradual_underflow_scope.hpp"
#include "gradlab/scalar/counter_rng.hpp"

namespace gradlab::probe {

namespace {

using namespace detail;
using kernels_detail::growable_buffer;

constexpr double relative_tolerance = 1e-10;
constexpr int max_iterations = 500;

// Below this many multiply-adds a loop over rows runs on the calling thread
// alone: some 100 us of one core, well above the cost of waking the others.
constexpr std::size_t min_work_for_threads = std::size_t{1} << 18;

// body(i) for i in [begin, end), each on one thread (so results do not depend
// on the thread count), shared among threads when `work` is large; every
// thread computes with gradual underflow, whatever the caller's mode.
template <class Body>
void for_each_row(std::size_t begin, std::size_t end, std::size_t work, Body body) {
    const auto first = static_cast<std::ptrdiff_t>(begin), last = static_cast<std::ptrdiff_t>(end);
#pragma omp parallel if (work >= min_work_for_threads)
    {
        const gradual_underflow_scope exact_subnormals;
#pragma omp for schedule(static)
        for (std::ptrdiff_t i = first; i < last; ++i) body(static_cast<std::size_t>(i));
    }
}

// y = A x, A of rows x cols, row-major.
void multiply(std::span<const double> a, std::size_t rows, std::size_t cols, std::span<const double> x,
              std::span<double> y) {
    for_each_row(0, rows, rows * cols, [&](std::size_t i) {
        double s = 0;
        for (std::size_t j = 0; j < cols; ++j) s += a[i * cols + j] * x[j];
        y[i] = s;
    });
}

double norm(std::span<const double> x) {
    double s = 0;
    for (double v : x) s += v * v;
    return std::sqrt(s);
}

// x * 2^-e rounded to double; only results below 2^-1022 may round twice.
double scaled_to_double(double x, int e) { return std::ldexp(x, -e); }
double scaled_to_double(const float128& x, int e) { return to_double(ldexp(x, -e)); }
double scaled_to_double(const mp_float& x, int e) {
    long exponent = 0;
    const double significand = mpfr_get_d_2exp(&exponent, x.backend().data(), MPFR_RNDN);
    return std::ldexp(significand, static_cast<int>(std::clamp<long>(exponent - e, -4000, 4000)));  // beyond: 0
}

// The start vector: pseudo-random entries in [-1, 1) (Philox words of a
// fixed seed), normalised. Any fixed vector is orthogonal to the leading
// singular vector of some matrix; structured ones are orthogonal to the
// vectors of structured matrices: all ones to any whose rows sum to zero,
// and a Weyl sequence (j a mod 1, affine between its wraps) to Hadamard
// vectors such as (1, -1, -1, 1).
void start(std::span<double> v) {
    const counter_rng rng(0x5eed);
    for (std::size_t j = 0; j < v.size(); ++j) v[j] = std::ldexp(static_cast<double>(rng.block(j)[0]), -31) - 1;
    const double length = norm(v);
    for (double& x : v) x /= length;
}

// The largest singular value of some B by power iteration on B^T B:
// step(v, next) sets next = B^T B v and returns ||B v||. Returns the
// estimate and the iterations taken; +Inf when B^T B v overflows.
template <class Step>
std::pair<double, int> power_iteration(std::span<double> v, std::span<double> next, Step step) {
    start(v);
    double estimate = 0;
    for (int k = 1; k <= max_iterations; ++k) {
        const double previous = estimate;
        estimate = step(v, next);
        const double length = norm(next);
        if (!std::isfinite(estimate) || !std::isfinite(length)) return {std::numeric_limits<double>::infinity(), k};
        if (length == 0 || std::fabs(estimate - previous) <= relative_tolerance * estimate) return {estimate, k};
        for (std::size_t j = 0; j < v.size(); ++j) v[j] = next[j] / length;
    }
    return {estimate, max_iterations};
}

// P A = L U in place (A n x n row-major; L unit lower, U upper), row i of
// P A being row perm[i] of A. False at an exact zero pivot.
bool lu_factor(std::span<double> a, std::size_t n, std::span<std::size_t> perm) {
    std::iota(perm.begin(), perm.end(), std::size_t{0});
    for (std::size_t k = 0; k < n; ++k) {
        std::size_t p = k;
        for (std::size_t i = k + 1; i < n; ++i)
            if (std::fabs(a[i * n + k]) > std::fabs(a[p * n + k])) p = i;
        if (a[p * n + k] == 0) return false;
        if (p != k) {
            std::swap_ranges(a.begin() + k * n, a.begin() + (k + 1) * n, a.begin() + p * n);
            std::swap(perm[k], perm[p]);
        }
        const std::size_t rest = n - k - 1;
        for_each_row(k + 1, n, rest * rest, [&](std::size_t i) {
            const double l = a[i * n + k] /= a[k * n + k];
            for (std::size_t j = k + 1; j < n; ++j) a[i * n + j] -= l * a[k * n + j];
        });
    }
    return true;
}

// z = A^-1 y from P A = L U: L c = P y, then U z = c.
void solve(std::span<const double> lu, std::span<const std::size_t> perm, std::span<const double> y,
           std::span<double> z) {
    const std::size_t n = perm.size();
    for (std::size_t i = 0; i < n; ++i) {
        double s = y[perm[i]];
        for (std::size_t j = 0; j < i; ++j) s -= lu[i * n + j] * z[j];
        z[i] = s;
    }
    for (std::size_t i = n; i-- > 0;) {
        double s = z[i];
        for (std::size_t j = i + 1; j < n; ++j) s -= lu[i * n + j] * z[j];
        z[i] = s / lu[i * n + i];
    }
}

// y = A^-T x from A^T = U^T L^T P: U^T a = x, L^T b = a, y = P^T b. By rows
// of U and L (column-oriented substitution); `work` is scratch.
void solve_transposed(std::span<const double> lu, std::span<const std::size_t> perm, std::span<const double> x,
                      std::span<double> work, std::span<double> y) {
    const std::size_t n = perm.size();
    std::copy(x.begin(), x.end(), work.begin());
    for (std::size_t i = 0; i < n; ++i) {
        work[i] /= lu[i * n + i];
        for (std::size_t j = i + 1; j < n; ++j) work[j] -= lu[i * n + j] * work[i];
    }
    for (std::size_t i = n; i-- > 0;)
        for (std::size_t j = 0; j < i; ++j) work[j] -= lu[i * n + j] * work[i];
    for (std::size_t i = 0; i < n; ++i) y[perm[i]] = work[i];
}

// This thread's scratch, kept from call to call.
struct workspace {
    growable_buffer<double> w, wt, lu, v, next, product, work;
    growable_buffer<std::size_t> perm;
};

conditioning not_finite(bool square) {
    const long double nan = std::numeric_limits<long double>::quiet_NaN();
    return {.spectral_norm = nan, .condition_number = square ? std::optional(nan) : std::nullopt, .iterations = 0};
}

template <class X>
conditioning estimate(matrix_view<const X> w) {
    const std::size_t m = w.rows(), n = w.cols();
    const bool square = m == n;
    if (w.empty()) return {};
    const long double largest = reduced(w.elements(), max_abs_of);  // NaN skipped
    if (std::isinf(largest)) return not_finite(square);
    int e = 0;
    std::frexp(largest, &e);  // largest * 2^-e in [1/2, 1)

    thread_local workspace scratch;
    const auto a = scratch.w.first(m * n), at = scratch.wt.first(m * n);  // W and W^T, scaled
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j) {
            const double x = scaled_to_double(w(i, j), e);
            if (std::isnan(x)) return not_finite(square);
            a[i * n + j] = at[j * m + i] = x;
        }
    const long double infinity = std::numeric_limits<long double>::infinity();
    if (largest == 0) return {.spectral_norm = 0, .condition_number = square ? std::optional(infinity) : std::nullopt};

    const auto v = scratch.v.first(n), next = scratch.next.first(n), product = scratch.product.first(std::max(m, n));
    const auto [sigma_max, iterations] = power_iteration(v, next, [&](auto x, auto y) {
        const auto wx = product.first(m);
        multiply(a, m, n, x, wx);
        multiply(at, n, m, wx, y);
        return norm(wx);
    });
    conditioning result{.spectral_norm = std::ldexp(static_cast<long double>(sigma_max), e),
                        .condition_number = std::nullopt,
                        .iterations = iterations};
    if (!square) return result;

    const auto lu = scratch.lu.first(n * n);
    const auto perm = scratch.perm.first(n);
    std::copy(a.begin(), a.end(), lu.begin());
    result.condition_number = infinity;
    if (!lu_factor(lu, n, perm)) return result;
    const auto work = scratch.work.first(n);
    const auto [inverse_norm, inverse_iterations] = power_iteration(v, next, [&](auto x, auto z) {
        solve_transposed(lu, perm, x, work, product);
        solve(lu, perm, product, z);
        return norm(product);
    });
    // sigma_max / sigma_min = sigma_max ||W^-1||_2, scale-free.
    result.condition_number = static_cast<long double>(sigma_max) * inverse_norm;
    result.iterations = std::max(iterations, inverse_iterations);
    return result;
}

}  // namespace

conditioning estimate_conditioning(matrix_view<const float> w) { return estimate(w); }
conditioning estimate_conditioning(matrix_view<const double> w) { return estimate(w); }
conditioning estimate_conditioning(matrix_view<const float128> w) { return estimate(w); }
conditioning estimate_conditioning(matrix_view<const mp_float> w) { return estimate(w); }

}  // namespace gradlab::probe
