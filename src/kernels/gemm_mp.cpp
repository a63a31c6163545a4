// GEMM for mp: MPFR in place, every element of C at its own precision.
//
// Two paths per element of C, chosen from the data alone (never from the
// thread count):
//   exact      when the row of op(A) and the column of op(B) hold no NaN or
//              Inf and their products fit exact_dot's accumulator: the dot
//              product is summed exactly (exact_dot.hpp) and
//              alpha dot + beta c rounded once.
//   op by op   otherwise: each product and each sum rounded to c's precision
//              in increasing l (mpfr_mul then mpfr_add, faster than
//              mpfr_fma), then alpha dot + beta c rounded once, with MPFR's
//              rules for NaN and Inf.
// op(A)'s rows and op(B)'s columns are unpacked once per call into
// contiguous factors, before the threads start; each thread works in the
// widest exponent range (MPFR's range and default precision are per thread,
// and unset in OpenMP's workers), so no result depends on which thread
// computes it. The factors (the calling thread's) and the accumulators (each
// thread's) are kept from call to call, grown to the largest problem and
// precision seen: after the first, a call allocates nothing.

#include <algorithm>
#include <cstddef>
#include <span>

#include <mpfr.h>

#include "exact_dot.hpp"
#include "gemm_shape.hpp"
#include "growable_buffer.hpp"
#include "mpfr_exponent_range.hpp"
#include "gradlab/kernels/gemm.hpp"

namespace gradlab {

namespace {

using namespace kernels_detail;

// A term of a dot product costs 25 ns (exact) to 75 ns (op by op) at 256
// bits: threads pay off from a few thousand terms (in units of m n k).
constexpr std::size_t mp_min_work_for_threads = 4096;

mpfr_srcptr in(const mp_float& x) { return x.backend().data(); }
mpfr_ptr out(mp_float& x) { return x.backend().data(); }

// alpha and beta, with the two cases that save work decided once.
struct gemm_scaling {
    mpfr_srcptr alpha, beta;
    bool alpha_is_one, beta_is_zero;
};

gemm_scaling scaling_of(mpfr_srcptr alpha, mpfr_srcptr beta) {
    return {alpha, beta, mpfr_number_p(alpha) && mpfr_cmp_ui(alpha, 1) == 0, mpfr_zero_p(beta) != 0};
}

// c = alpha d + beta c, rounded once at c's precision; c is not read when
// beta is 0.
void scale_into(mpfr_ptr c, mpfr_srcptr d, const gemm_scaling& s) {
    if (s.beta_is_zero) {
        if (s.alpha_is_one) mpfr_set(c, d, MPFR_RNDN);
        else mpfr_mul(c, s.alpha, d, MPFR_RNDN);
    } else if (s.alpha_is_one) {
        mpfr_fma(c, s.beta, c, d, MPFR_RNDN);
    } else {
        mpfr_fmma(c, s.alpha, d, s.beta, c, MPFR_RNDN);
    }
}

// count vectors of k factors each (rows of op(A) or columns of op(B)),
// contiguous along k, with their ranges, in buffers kept for the next unpack().
class unpacked_factors {
public:
    // Factor l of vector r is element(r, l).
    template <class Element>
    void unpack(std::size_t count, std::size_t k, Element element) {
        k_ = k;
        factors_ = factor_buffer_.first(count * k);
        ranges_ = range_buffer_.first(count);
        std::fill(ranges_.begin(), ranges_.end(), exact_factor_range{});
        for (std::size_t r = 0; r < count; ++r)
            for (std::size_t l = 0; l < k; ++l) factors_[r * k + l] = unpack_factor(in(element(r, l)), ranges_[r]);
    }
    std::span<const exact_factor> factors(std::size_t r) const { return factors_.subspan(r * k_, k_); }
    const exact_factor_range& range(std::size_t r) const { return ranges_[r]; }

private:
    std::size_t k_ = 0;
    growable_buffer<exact_factor> factor_buffer_;
    growable_buffer<exact_factor_range> range_buffer_;
    std::span<exact_factor> factors_;
    std::span<exact_factor_range> ranges_;
};

// What a thread keeps for its share of every call: the exact accumulator,
// and MPFR variables for the op-by-op path and for the exact sum.
class gemm_mp_workspace {
public:
    gemm_mp_workspace() {
        mpfr_init2(sum, MPFR_PREC_MIN);
        mpfr_init2(product, MPFR_PREC_MIN);
        mpfr_init2(exact_sum, limb_bits * exact_dot_max_limbs);
    }
    ~gemm_mp_workspace() {
        mpfr_clear(sum);
        mpfr_clear(product);
        mpfr_clear(exact_sum);
    }
    gemm_mp_workspace(const gemm_mp_workspace&) = delete;
    gemm_mp_workspace& operator=(const gemm_mp_workspace&) = delete;

    // This thread's workspace, with room in sum and product for `c_bits`,
    // the widest precision in C, so that rounding_to() a narrower one never
    // reallocates (nor does this, once the thread has seen c_bits).
    static gemm_mp_workspace& of_this_thread(mpfr_prec_t c_bits) {
        thread_local gemm_mp_workspace w;
        w.rounding_to(c_bits);
        return w;
    }

    // sum and product at `bits`, re-set only when that changes.
    void rounding_to(mpfr_prec_t bits) {
        if (mpfr_get_prec(sum) == bits) return;
        mpfr_set_prec(sum, bits);
        mpfr_set_prec(product, bits);
    }

    exact_dot dot;
    mpfr_t sum, product, exact_sum;
};

// Everything an element of C needs, shared by the threads.
struct gemm_mp_problem {
    gemm_layout layout;
    matrix_view<const mp_float> a, b;
    matrix_view<mp_float> c;
    gemm_shape shape;
    gemm_scaling scaling;
    const unpacked_factors &a_rows, &b_columns;
};

// c(i, j) from the exact sum of its products.
void exact_element(const gemm_mp_problem& p, gemm_mp_workspace& w, std::size_t i, std::size_t j) {
    const auto x = p.a_rows.factors(i);
    const auto y = p.b_columns.factors(j);
    w.dot.start(p.a_rows.range(i), p.b_columns.range(j), p.shape.k);
    for (std::size_t l = 0; l < p.shape.k; ++l) w.dot.add(x[l], y[l]);
    mpfr_ptr c = out(p.c(i, j));
    if (p.scaling.alpha_is_one && p.scaling.beta_is_zero) return w.dot.round_into(c);
    mpfr_set_prec(w.exact_sum, w.dot.exact_bits());
    w.dot.round_into(w.exact_sum);
    scale_into(c, w.exact_sum, p.scaling);
}

// c(i, j) from its products and sums rounded one by one; k >= 1.
void rounded_element(const gemm_mp_problem& p, gemm_mp_workspace& w, std::size_t i, std::size_t j) {
    mpfr_ptr c = out(p.c(i, j));
    w.rounding_to(mpfr_get_prec(c));
    const auto term = [&](mpfr_ptr r, std::size_t l) {
        mpfr_mul(r, in(op_a(p.layout, p.a, i, l)), in(op_b(p.layout, p.b, l, j)), MPFR_RNDN);
    };
    term(w.sum, 0);
    for (std::size_t l = 1; l < p.shape.k; ++l) {
        term(w.product, l);
        mpfr_add(w.sum, w.sum, w.product, MPFR_RNDN);
    }
    scale_into(c, w.sum, p.scaling);
}

void element(const gemm_mp_problem& p, gemm_mp_workspace& w, std::size_t i, std::size_t j) {
    if (exact_dot::fits(p.a_rows.range(i), p.b_columns.range(j), p.shape.k)) exact_element(p, w, i, j);
    else rounded_element(p, w, i, j);
}

mpfr_prec_t widest_precision(matrix_view<mp_float> c) {
    mpfr_prec_t widest = MPFR_PREC_MIN;
    for (const auto& v : c.elements()) widest = std::max(widest, mpfr_get_prec(in(v)));
    return widest;
}

// k = 0: C = beta C, and zeros when beta is 0.
void scale_c(const gemm_scaling& s, matrix_view<mp_float> c) {
    const widest_exponent_range range;
    for (auto& v : c.elements()) {
        if (s.beta_is_zero) mpfr_set_zero(out(v), 1);
        else mpfr_mul(out(v), s.beta, in(v), MPFR_RNDN);
    }
}

// Unpacking costs a few ns a factor, m k + k n of them, against tens of ns
// for each of the m n k terms: it is done before the threads start, which
// spares them a barrier.
void run(const gemm_mp_problem& p) {
    const auto [m, n, k] = p.shape;
    const auto rows = static_cast<std::ptrdiff_t>(m);
    const mpfr_prec_t c_bits = widest_precision(p.c);
#pragma omp parallel if (m * n * k >= mp_min_work_for_threads)
    {
        const widest_exponent_range range;
        gemm_mp_workspace& w = gemm_mp_workspace::of_this_thread(c_bits);
        // Rows may mix the two paths: they are dealt out one at a time.
#pragma omp for schedule(dynamic)
        for (std::ptrdiff_t i = 0; i < rows; ++i)
            for (std::size_t j = 0; j < n; ++j) element(p, w, i, j);
    }
}

}  // namespace

void gemm(gemm_layout layout, const mp_float& alpha, matrix_view<const mp_float> a, matrix_view<const mp_float> b,
          const mp_float& beta, matrix_view<mp_float> c) {
    const gemm_shape shape = checked_gemm_shape(layout, a, b, c);
    const gemm_scaling scaling = scaling_of(in(alpha), in(beta));
    if (shape.m == 0 || shape.n == 0) return;
    if (shape.k == 0) return scale_c(scaling, c);
    thread_local unpacked_factors a_rows, b_columns;
    a_rows.unpack(shape.m, shape.k,
                  [&](std::size_t i, std::size_t l) -> const mp_float& { return op_a(layout, a, i, l); });
    b_columns.unpack(shape.n, shape.k,
                     [&](std::size_t j, std::size_t l) -> const mp_float& { return op_b(layout, b, l, j); });
    run({layout, a, b, c, shape, scaling, a_rows, b_columns});
}

}  // namespace gradlab
