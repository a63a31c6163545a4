#pragma once
// The activation formulas, written once for a value V that is either a scalar
// (float, double, float128: std:: and Boost functions, found by argument-
// dependent lookup) or an xsimd batch (xsimd's functions). Used by the SIMD
// kernels (simd/elementwise_kernel_impl.hpp), the scalar reference path
// (isa::generic) and float128. gelu is the exception: it is scalar code here
// (double and float128) and has its own SIMD form for float.
//
// Per-ISA translation units instantiate these only on batch types, so every
// symbol they emit names their instruction set.

#include <cmath>
#include <limits>

#include <boost/math/constants/constants.hpp>
#include <boost/multiprecision/float128.hpp>
#include <xsimd/xsimd.hpp>

namespace gradlab::formulas {

// expm1, log1p and erfc by argument-dependent lookup, except for float128:
// Boost 1.74's versions of these three do not compile (they return a
// __float128 through number's explicit constructor), so libquadmath directly.
template <class V>
inline V expm1_of(const V& x) {
    using std::expm1;
    return expm1(x);
}
template <class V>
inline V log1p_of(const V& x) {
    using std::log1p;
    return log1p(x);
}
template <class V>
inline V erfc_of(const V& x) {
    using std::erfc;
    return erfc(x);
}
using boost::multiprecision::float128;
inline float128 expm1_of(const float128& x) { return float128(::expm1q(x.backend().value())); }
inline float128 log1p_of(const float128& x) { return float128(::log1pq(x.backend().value())); }
inline float128 erfc_of(const float128& x) { return float128(::erfcq(x.backend().value())); }

template <class T>
inline T pick(bool condition, const T& if_true, const T& if_false) {
    return condition ? if_true : if_false;
}
template <class T, class A>
inline xsimd::batch<T, A> pick(const xsimd::batch_bool<T, A>& condition, const xsimd::batch<T, A>& if_true,
                               const xsimd::batch<T, A>& if_false) {
    return xsimd::select(condition, if_true, if_false);
}

template <class T>
inline T exp_of(const T& x) {
    using std::exp;
    return exp(x);
}
// xsimd 8.1's exp flushes results below the smallest normal to zero (x <
// -87.3 for float, -708.4 for double) and overflows to Inf early (x > 88.37
// for float, 709.44 for double), both where its final scaling by 2^k leaves
// the exponent range. There e^x = (e^(x/2))^2: x/2 is exact, e^(x/2) normal,
// and the square is rounded once, into the subnormals or to Inf exactly where
// e^x itself is; it doubles the relative error of e^(x/2) (about 3 ulps
// instead of 1.5 at the overflow end, and at most about 1.2 subnormal ulps at
// the other end, where the subnormal spacing is coarse).
template <class T, class A>
inline xsimd::batch<T, A> exp_of(const xsimd::batch<T, A>& x) {
    using B = xsimd::batch<T, A>;
    constexpr T low = sizeof(T) == 4 ? T(-87) : T(-708);
    constexpr T high = sizeof(T) == 4 ? T(88) : T(709);
    B e = xsimd::exp(x);
    const auto edge = (x < B(low)) | (x > B(high));
    if (xsimd::any(edge)) {
        const B half = xsimd::exp(x * B(T(0.5)));
        e = xsimd::select(edge, half * half, e);
    }
    return e;
}

// xsimd 8.1's expm1 returns exactly -1 below ln 2^-23 (float) or ln 2^-52
// (double), where e^x - 1 still has neighbours of -1 to round to (down to
// ln 2^-25, ln 2^-54): up to 1.8 ulps off, measured. There e^x - 1 itself is
// within half an ulp, as e^x is far below -1's last place.
template <class T, class A>
inline xsimd::batch<T, A> expm1_of(const xsimd::batch<T, A>& x) {
    using B = xsimd::batch<T, A>;
    constexpr T tail = sizeof(T) == 4 ? T(-15) : T(-30);
    B r = xsimd::expm1(x);
    const auto far = x < B(tail);
    if (xsimd::any(far)) r = xsimd::select(far, exp_of(x) - B(T(1)), r);
    return r;
}

// ---------------------------------------------------------------- forward

template <class V>
inline V sigmoid(const V& x) {
    using std::abs;
    const V e = exp_of(V(-abs(x)));  // in (0, 1]: never overflows
    return pick(x >= V(0), V(1), e) / (V(1) + e);
}

template <class V>
inline V tanh(const V& x) {
    using std::tanh;
    return tanh(x);
}

template <class V>
inline V relu(const V& x) {
    return pick(x <= V(0), V(0), x);  // NaN fails the test and stays; -0 becomes +0
}

template <class V>
inline V leaky_relu(const V& x, const V& slope) {
    return pick(x > V(0), x, V(slope * x));
}

template <class V>
inline V elu(const V& x, const V& alpha) {
    return pick(x > V(0), x, V(alpha * expm1_of(x)));
}

template <class V>
inline V softplus(const V& x) {
    using std::abs;
    return pick(x > V(0), x, V(0)) + log1p_of(exp_of(V(-abs(x))));
}

// ------------------------------------------------------------- derivative
// NaN in x must give NaN: pick(x <= 0, a, x) passes a NaN x through.

template <class V>
inline V identity_derivative(const V& x) {
    return pick(x == x, V(1), x);
}

template <class V>
inline V sigmoid_derivative_from_output(const V& y) {
    return y * (V(1) - y);
}

// (1 - y)(1 + y) rather than 1 - y^2: 1 - y is exact for y in [1/2, 1], where
// 1 - y^2 would round y^2 first and cancel.
template <class V>
inline V tanh_derivative_from_output(const V& y) {
    return (V(1) - y) * (V(1) + y);
}

template <class V>
inline V relu_derivative(const V& x) {
    return pick(x > V(0), V(1), pick(x <= V(0), V(0), x));
}

template <class V>
inline V leaky_relu_derivative(const V& x, const V& slope) {
    return pick(x > V(0), V(1), pick(x <= V(0), slope, x));
}

template <class V>
inline V elu_derivative(const V& x, const V& alpha) {
    return pick(x > V(0), V(1), V(alpha * exp_of(x)));
}

// ------------------------------------------------------------------- gelu
// Scalar double and float128. gelu(x) = x Phi(x), gelu'(x) = Phi(x) + x phi(x),
// phi(x) = e^(-x^2/2) / sqrt(2 pi), Phi(x) = erfc(v) / 2 with v = -x / sqrt 2.
//
// Phi is ill-conditioned for x < 0 (condition number about x^2), so rounding
// v would cost up to x^2 / 2 ulps. v is therefore carried as v_hi + v_lo
// (an fma gives the product's error) and erfc(v_hi + v_lo) = erfc(v_hi) -
// (2 / sqrt pi) e^(-v^2) v_lo to first order, with e^(-v^2) = e^(-x^2/2)
// from x^2 split exactly, again by an fma. Where erfc(v) and phi(x) approach
// the subnormals (x below `tail`), Phi(x) = phi(x) / |x| S(1/x^2) with the
// asymptotic Mills-ratio series S(t) = 1 - t + 3t^2 - 15t^3 + ... (20 terms,
// far below the type's epsilon there), and e^(-x^2/2) is applied as two
// halves so that only the last product is rounded into the subnormals.

template <class T>
struct gelu_constants {
    T inv_sqrt2_hi;  // 1/sqrt 2 rounded to T
    T inv_sqrt2_lo;  // 1/sqrt 2 - inv_sqrt2_hi, to T's precision
    T inv_sqrt_pi;
    T inv_sqrt_2pi;
    T tail;  // below: the asymptotic series; phi(tail) is about min normal^0.85
    T far;   // beyond: phi(x) underflows to 0 whatever the factor

    static const gelu_constants& get() {
        static const gelu_constants constants = [] {
            using std::fma;
            using std::sqrt;
            namespace k = boost::math::constants;
            gelu_constants c;
            c.inv_sqrt2_hi = k::one_div_root_two<T>();
            c.inv_sqrt2_lo = fma(-c.inv_sqrt2_hi, c.inv_sqrt2_hi, T(0.5)) / (2 * c.inv_sqrt2_hi);
            c.inv_sqrt_pi = k::one_div_root_pi<T>();
            c.inv_sqrt_2pi = k::one_div_root_two_pi<T>();
            c.tail = -sqrt(T(2) * T(0.85) * T(-std::numeric_limits<T>::min_exponent) * k::ln_two<T>());
            c.far = T(1e10);
            return c;
        }();
        return constants;
    }
};

// e^(-x^2/2), with x^2 = s + s_lo exactly: e^(-s/2) (1 - s_lo/2).
template <class T>
inline T gaussian(const T& x) {
    using std::abs;
    using std::exp;
    using std::fma;
    if (abs(x) > gelu_constants<T>::get().far) return T(0);
    const T s = x * x;
    const T s_lo = fma(x, x, -s);
    const T e = exp(-s / 2);
    return fma(-e, s_lo / 2, e);
}

// factor * phi(x) for x in the tail (|x| <= far): factor and all but the
// last product stay normal.
template <class T>
inline T times_density_in_tail(const T& factor, const T& x) {
    using std::exp;
    using std::fma;
    const auto& c = gelu_constants<T>::get();
    const T s = x * x;
    const T s_lo = fma(x, x, -s);
    const T quarter = exp(-s / 4);
    const T first = factor * c.inv_sqrt_2pi * quarter;
    return fma(-first, s_lo / 2, first) * quarter;
}

// S(1/x^2) = Phi(x) |x| / phi(x) for large negative x.
template <class T>
inline T mills_series(const T& x) {
    const T t = 1 / (x * x);
    T r(1);
    for (int k = 20; k >= 1; --k) r = 1 - T(2 * k - 1) * t * r;
    return r;
}

template <class T>
inline T gelu(const T& x) {
    using std::fma;
    using std::isnan;
    if (isnan(x)) return x;
    const auto& c = gelu_constants<T>::get();
    if (x < -c.far) return -T(0);                                          // -Inf included
    if (x < c.tail) return times_density_in_tail(T(-mills_series(x)), x);  // x Phi(x) = -phi(x) S
    if (x > -c.tail) return x;  // Phi(x) = 1 - phi(x)/x (1 - ...) rounds to 1 long before
    const T v_hi = -x * c.inv_sqrt2_hi;
    const T v_lo = fma(-x, c.inv_sqrt2_hi, -v_hi) + -x * c.inv_sqrt2_lo;
    const T twice_cdf = erfc_of(v_hi) - 2 * c.inv_sqrt_pi * gaussian(x) * v_lo;
    return x * twice_cdf / 2;
}

template <class T>
inline T gelu_derivative(const T& x) {
    using std::abs;
    using std::fma;
    using std::isnan;
    if (isnan(x)) return x;
    const auto& c = gelu_constants<T>::get();
    if (x < -c.far) return -T(0);
    if (x < c.tail) {  // Phi(x) + x phi(x) = -phi(x) (|x| - S/|x|)
        const T magnitude = abs(x);
        return times_density_in_tail(T(-(magnitude - mills_series(x) / magnitude)), x);
    }
    if (x > c.far) return T(1);
    const T v_hi = -x * c.inv_sqrt2_hi;
    const T v_lo = fma(-x, c.inv_sqrt2_hi, -v_hi) + -x * c.inv_sqrt2_lo;
    const T g = gaussian(x);
    const T cdf = erfc_of(v_hi) / 2 - c.inv_sqrt_pi * g * v_lo;
    return fma(x, g * c.inv_sqrt_2pi, cdf);
}

// float through double: double's 29 extra bits absorb every error above, so
// the float result is correctly rounded but for rare double-rounding cases.
inline float gelu(float x) { return static_cast<float>(gelu(static_cast<double>(x))); }
inline float gelu_derivative(float x) { return static_cast<float>(gelu_derivative(static_cast<double>(x))); }

}  // namespace gradlab::formulas
