#pragma once
// Definitions of probe/nonfinite_origin.hpp, included by the per-family
// instantiation files of the runner (src/experiment/lane_<family>.cpp).

#include <cmath>

#include <mpfr.h>

#include "gradlab/probe/nonfinite_origin.hpp"
#include "gradlab/scalar/conversions.hpp"

namespace gradlab::probe {

template <scalar_type T>
std::optional<std::pair<std::size_t, std::size_t>> first_nonfinite(matrix_view<const nn::storage_t<T>> x) {
    for (std::size_t r = 0; r < x.rows(); ++r)
        for (std::size_t c = 0; c < x.cols(); ++c)
            if (!nn::arithmetic<T>::is_finite(x(r, c))) return std::pair{r, c};
    return std::nullopt;
}

namespace origin_detail {

// An MPFR variable for explanations (rare: once per lane and run).
struct big {
    mpfr_t v;
    explicit big(mpfr_prec_t bits) { mpfr_init2(v, bits); }
    ~big() { mpfr_clear(v); }
    big(const big&) = delete;
    big& operator=(const big&) = delete;
};

inline std::string mpfr_text(mpfr_srcptr x) {
    if (mpfr_nan_p(x)) return "nan";
    if (mpfr_inf_p(x)) return mpfr_signbit(x) ? "-inf" : "inf";
    return to_round_trip_decimal(x);
}

// "x[3,%]" with k for %.
inline std::string element_name(const std::string& pattern, std::size_t k) {
    std::string out = pattern;
    if (const auto at = out.find('%'); at != std::string::npos) out.replace(at, 1, std::to_string(k));
    return out;
}

}  // namespace origin_detail

template <scalar_type T>
std::string decimal_text(const nn::storage_t<T>& x, const nn::arithmetic<T>& a) {
    if (a.spec().format) return to_shortest_decimal(static_cast<double>(x), *a.spec().format);
    origin_detail::big v(a.significand_bits());
    nn::arithmetic<T>::to_mpfr(x, v.v);
    return origin_detail::mpfr_text(v.v);
}

template <scalar_type T>
void explain_dot(const nn::arithmetic<T>& a, std::span<const nn::storage_t<T>> lhs, std::size_t lhs_stride,
                 std::span<const nn::storage_t<T>> rhs, std::size_t rhs_stride, std::size_t length,
                 const nn::storage_t<T>* addend, const std::string& lhs_name, const std::string& rhs_name,
                 const std::string& dot_name, nonfinite_origin& origin) {
    using origin_detail::big;
    const mpfr_prec_t p = a.significand_bits();
    // Products are exact at 2p bits; the sum at 2p + 64 is accurate far
    // beyond what deciding "finite in the format or not" needs.
    big x(p), y(p), product(2 * p), sum(2 * p + 64), largest(2 * p), with_addend(2 * p + 64);
    mpfr_set_zero(sum.v, 1);
    mpfr_set_zero(largest.v, 1);
    std::size_t largest_k = 0;
    for (std::size_t k = 0; k < length; ++k) {
        nn::arithmetic<T>::to_mpfr(lhs[k * lhs_stride], x.v);
        nn::arithmetic<T>::to_mpfr(rhs[k * rhs_stride], y.v);
        mpfr_mul(product.v, x.v, y.v, MPFR_RNDN);
        mpfr_add(sum.v, sum.v, product.v, MPFR_RNDN);
        if (mpfr_cmpabs(product.v, largest.v) > 0) {
            mpfr_set(largest.v, product.v, MPFR_RNDN);
            largest_k = k;
        }
    }
    const auto rounded_is_finite = [&](mpfr_srcptr v) {
        nn::storage_t<T> r = a.zero();
        a.assign(r, v);
        return nn::arithmetic<T>::is_finite(r);
    };
    if (length > 0) {
        origin.operands.push_back({origin_detail::element_name(lhs_name, largest_k),
                                   decimal_text<T>(lhs[largest_k * lhs_stride], a)});
        origin.operands.push_back({origin_detail::element_name(rhs_name, largest_k),
                                   decimal_text<T>(rhs[largest_k * rhs_stride], a)});
    }
    origin.operands.push_back({"largest term", origin_detail::mpfr_text(largest.v)});
    origin.operands.push_back({"exact " + dot_name, origin_detail::mpfr_text(sum.v)});
    if (!rounded_is_finite(sum.v)) {
        origin.op = "matmul";
        origin.explanation = "the exact " + dot_name + " is beyond " + a.name() + "'s range";
        return;
    }
    if (addend) {
        big b(p);
        nn::arithmetic<T>::to_mpfr(*addend, b.v);
        mpfr_add(with_addend.v, sum.v, b.v, MPFR_RNDN);
        origin.operands.push_back({"bias", decimal_text<T>(*addend, a)});
        if (!rounded_is_finite(with_addend.v)) {
            origin.op = "bias_add";
            origin.explanation = "the dot product is finite in " + a.name() + ", adding the bias is not";
            return;
        }
    }
    origin.op = "matmul";
    origin.explanation = "the exact dot product is finite in " + a.name() +
                         ": a partial sum of the accumulation overflowed";
}

}  // namespace gradlab::probe
