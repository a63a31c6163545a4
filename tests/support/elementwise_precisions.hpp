#pragma once
// Every precision the elementwise tests measure, behind one interface: values
// travel as 256-bit mp numbers (every value of every precision is one
// exactly), each precision converts them to its own storage, runs the
// kernel and converts the results back. Plus the inputs: edges (zeros,
// subnormals, the top of the range, where sigmoid and tanh saturate, where
// e^x overflows and underflows, the thresholds inside xsimd's functions,
// the root of gelu', NaN, ±Inf) with their neighbours, and random values.

#include <cmath>
#include <cstdlib>
#include <functional>
#include <limits>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include <boost/multiprecision/mpfr.hpp>
#include <mpfr.h>

#include "gradlab/kernels/activation.hpp"
#include "gradlab/kernels/elementwise.hpp"
#include "gradlab/platform/isa.hpp"
#include "gradlab/scalar/conversions.hpp"
#include "gradlab/scalar/scalar_traits.hpp"
#include "support/elementwise_reference.hpp"
#include "support/mp_values.hpp"

namespace gradlab::test {

using mp_vector = std::vector<boost::multiprecision::mpfr_float>;

inline mp_vector reference_values(std::size_t n) { return mp_values(n, reference_bits); }

// Storage conversions; `bits` is the mp precision (ignored by the others).
template <class T>
std::vector<T> to_storage(const mp_vector& x, int bits) {
    std::vector<T> v;
    v.reserve(x.size());
    for (const auto& value : x) {
        const mpfr_srcptr p = value.backend().data();
        if constexpr (std::is_same_v<T, float>)
            v.push_back(to_fp32(p));
        else if constexpr (std::is_same_v<T, double>)
            v.push_back(to_fp64(p));
        else if constexpr (std::is_same_v<T, float128>)
            v.push_back(to_f128(p));
        else
            v.push_back(to_mp(p, bits));
    }
    return v;
}

template <class T>
mp_vector from_storage(const std::vector<T>& v) {
    auto x = reference_values(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) {
        const mpfr_ptr p = x[i].backend().data();
        if constexpr (std::is_same_v<T, float>)
            mpfr_set_flt(p, v[i], MPFR_RNDN);
        else if constexpr (std::is_same_v<T, double>)
            mpfr_set_d(p, v[i], MPFR_RNDN);
        else if constexpr (std::is_same_v<T, float128>)
            mpfr_set_float128(p, v[i].backend().value(), MPFR_RNDN);
        else
            mpfr_set(p, v[i].backend().data(), MPFR_RNDN);
    }
    return x;
}

enum class arithmetic { add, scale, axpy, hadamard };

// op on storage spans: the overload without an instruction set for float128
// and mp, with `level` for float and double, with the format for emulated.
template <class T, class... Extra>
void apply(arithmetic op, const T& a, std::span<const T> x, std::span<const T> y, std::span<T> out,
           const Extra&... extra) {
    switch (op) {
        case arithmetic::add: return add(x, y, out, extra...);
        case arithmetic::scale: return scale(a, x, out, extra...);
        case arithmetic::axpy: return axpy(a, x, y, out, extra...);
        case arithmetic::hadamard: return hadamard(x, y, out, extra...);
    }
}

struct precision_under_test {
    std::string name;
    target_format target;
    bool has_isa_levels = false;          // a SIMD path (fp32, fp64, emulated): run on every instruction set
    bool emulated = false;                // float storage rounded to a format
    std::function<void(mpfr_ptr)> round;  // to the nearest value of the precision, in place
    std::function<mp_vector(const activation&, const mp_vector& x, isa)> forward;
    std::function<mp_vector(const activation&, const mp_vector& x, const mp_vector& y, isa)> derivative;
    std::function<mp_vector(const mp_vector& x, isa)> exponential;
    // op(a[0], x, y)
    std::function<mp_vector(arithmetic, const mp_vector& a, const mp_vector& x, const mp_vector& y, isa)> arithmetic_op;
};

// The kernels on storage T, named as the target; `bits` is the mp precision.
template <class T>
precision_under_test make_case(target_format target, int bits, std::function<void(mpfr_ptr)> round) {
    precision_under_test c;
    c.name = target.name;
    c.target = std::move(target);
    c.has_isa_levels = scalar_traits<T>::simd;
    c.emulated = scalar_traits<T>::emulated;
    c.round = std::move(round);
    c.forward = [bits](const activation& f, const mp_vector& x, isa level) {
        const auto in = to_storage<T>(x, bits);
        auto out = to_storage<T>(x, bits);
        if constexpr (scalar_traits<T>::simd)
            activation_forward(f, std::span<const T>(in), std::span<T>(out), level);
        else
            activation_forward(f, std::span<const T>(in), std::span<T>(out));
        return from_storage(out);
    };
    c.derivative = [bits](const activation& f, const mp_vector& x, const mp_vector& y, isa level) {
        const auto in = to_storage<T>(x, bits);
        const auto fx = to_storage<T>(y, bits);
        auto out = to_storage<T>(x, bits);
        if constexpr (scalar_traits<T>::simd)
            activation_derivative(f, std::span<const T>(in), std::span<const T>(fx), std::span<T>(out), level);
        else
            activation_derivative(f, std::span<const T>(in), std::span<const T>(fx), std::span<T>(out));
        return from_storage(out);
    };
    c.exponential = [bits](const mp_vector& x, isa level) {
        const auto in = to_storage<T>(x, bits);
        auto out = to_storage<T>(x, bits);
        if constexpr (scalar_traits<T>::simd)
            exponential(std::span<const T>(in), std::span<T>(out), level);
        else
            exponential(std::span<const T>(in), std::span<T>(out));
        return from_storage(out);
    };
    c.arithmetic_op = [bits](arithmetic op, const mp_vector& a, const mp_vector& x, const mp_vector& y, isa level) {
        const auto factor = to_storage<T>(a, bits);
        const auto in = to_storage<T>(x, bits);
        const auto other = to_storage<T>(y, bits);
        auto out = to_storage<T>(x, bits);
        if constexpr (scalar_traits<T>::simd)
            apply<T>(op, factor[0], in, other, out, level);
        else
            apply<T>(op, factor[0], in, other, out);
        return from_storage(out);
    };
    return c;
}

inline precision_under_test fp32_case() {
    return make_case<float>(target_of(binary32()), 0, [](mpfr_ptr v) { mpfr_set_flt(v, to_fp32(v), MPFR_RNDN); });
}
inline precision_under_test fp64_case() {
    return make_case<double>(target_of(binary64()), 0, [](mpfr_ptr v) { mpfr_set_d(v, to_fp64(v), MPFR_RNDN); });
}
inline precision_under_test f128_case() {
    return make_case<float128>(binary128_target(), 0,
                               [](mpfr_ptr v) { mpfr_set_float128(v, to_f128(v).backend().value(), MPFR_RNDN); });
}
inline precision_under_test mp_case(int bits) {
    return make_case<mp_float>(mp_target(bits), bits, [bits](mpfr_ptr v) {
        mpfr_prec_round(v, bits, MPFR_RNDN);
        mpfr_prec_round(v, reference_bits, MPFR_RNDN);
    });
}

// float storage, each result rounded to the nearest value of the format.
inline precision_under_test emulated_case(const float_format& format) {
    precision_under_test c = fp32_case();
    c.name = format.name;
    c.target = target_of(format);
    c.has_isa_levels = scalar_traits<emulated_float>::simd;
    c.emulated = scalar_traits<emulated_float>::emulated;
    c.round = [format](mpfr_ptr v) {
        mpfr_set_d(v, round_to_format(v, format, rounding_mode::nearest_even), MPFR_RNDN);
    };
    c.forward = [format](const activation& f, const mp_vector& x, isa level) {
        const auto in = to_storage<float>(x, 0);
        std::vector<float> out(in.size());
        activation_forward(f, std::span<const float>(in), std::span<float>(out), format, rounding_mode::nearest_even,
                           std::nullopt, level);
        return from_storage(out);
    };
    c.derivative = [format](const activation& f, const mp_vector& x, const mp_vector& y, isa level) {
        const auto in = to_storage<float>(x, 0);
        const auto fx = to_storage<float>(y, 0);
        std::vector<float> out(in.size());
        activation_derivative(f, std::span<const float>(in), std::span<const float>(fx), std::span<float>(out), format,
                              rounding_mode::nearest_even, std::nullopt, level);
        return from_storage(out);
    };
    c.exponential = [format](const mp_vector& x, isa level) {
        const auto in = to_storage<float>(x, 0);
        std::vector<float> out(in.size());
        exponential(std::span<const float>(in), std::span<float>(out), format, rounding_mode::nearest_even,
                    std::nullopt, level);
        return from_storage(out);
    };
    c.arithmetic_op = [format](arithmetic op, const mp_vector& a, const mp_vector& x, const mp_vector& y, isa level) {
        const auto factor = to_storage<float>(a, 0);
        const auto in = to_storage<float>(x, 0);
        const auto other = to_storage<float>(y, 0);
        std::vector<float> out(in.size());
        apply<float>(op, factor[0], in, other, out, format, rounding_mode::nearest_even, std::nullopt, level);
        return from_storage(out);
    };
    return c;
}

inline std::vector<precision_under_test> all_precisions() {
    return {fp32_case(),
            fp64_case(),
            f128_case(),
            mp_case(64),
            mp_case(160),
            emulated_case(bfloat16()),
            emulated_case(binary16()),
            emulated_case(fp8_e4m3()),
            emulated_case(fp8_e5m2())};
}

inline std::vector<isa> levels_of(const precision_under_test& p) {
    return p.has_isa_levels ? supported_isas() : std::vector<isa>{isa::generic};
}

// The root of gelu'(x) = Phi(x) + x phi(x), near -0.7518, by bisection on the
// reference.
inline double gelu_derivative_root() {
    static const double root = [] {
        double lo = -0.8, hi = -0.7;  // gelu'(lo) < 0 < gelu'(hi)
        mp x(reference_bits), d(reference_bits);
        for (int i = 0; i < 60; ++i) {
            const double mid = (lo + hi) / 2;
            mpfr_set_d(x.v, mid, MPFR_RNDN);
            reference_derivative(d.v, {activation_kind::gelu}, x.v);
            (mpfr_sgn(d.v) < 0 ? lo : hi) = mid;
        }
        return (lo + hi) / 2;
    }();
    return root;
}

// How many random inputs: `usual`, or GRADLAB_TEST_RANDOM_INPUTS when set (for
// the long measurement runs the stated bounds come from).
inline std::size_t random_input_count(std::size_t usual) {
    const char* requested = std::getenv("GRADLAB_TEST_RANDOM_INPUTS");
    return requested != nullptr && *requested != '\0' ? std::stoul(requested) : usual;
}

// Edges with their two neighbours in the precision, then `random_count` random
// values of four kinds, all rounded to the precision.
inline mp_vector inputs_for(const precision_under_test& p, std::size_t random_count, std::uint64_t seed = 7) {
    std::vector<double> edges = {
        0.0, 1e-30, 1e-8, 1e-4,  0.01,    0.1,   0.5,   0.625, 2.0 / 3, 0.65,  1,
        2,   2.2,   3,    5,     8,       9,     10,    15,    17,      20,    30,
        36,  37.5,  38.6, 40,    87,      87.5,  88,    88.4,  88.72,   89,    100,
        103, 104,   105,  140,   150,     151,   700,   708.5, 709,     709.5, 709.78,
        710, 745,   746,  11355, 11356.6, 11357, 11400, 1e6,   1e30,    1e300, gelu_derivative_root()};
    const double inf = std::numeric_limits<double>::infinity();
    mp_vector values;
    const auto push = [&](const mp& v) {
        values.push_back(reference_values(1)[0]);
        mpfr_set(values.back().backend().data(), v.v, MPFR_RNDN);
    };
    const auto push_with_neighbours = [&](mpfr_srcptr v) {
        mp x(p.target.precision);
        mpfr_set(x.v, v, MPFR_RNDN);
        mp r(reference_bits);
        mpfr_set(r.v, x.v, MPFR_RNDN);
        p.round(r.v);
        mpfr_set(x.v, r.v, MPFR_RNDN);
        push(x);
        if (!mpfr_regular_p(x.v)) return;
        for (int side : {-1, 1}) {
            mp n(p.target.precision);
            mpfr_set(n.v, x.v, MPFR_RNDN);
            side < 0 ? mpfr_nextbelow(n.v) : mpfr_nextabove(n.v);
            mpfr_set(r.v, n.v, MPFR_RNDN);
            p.round(r.v);  // into the format's range and subnormal grid
            push(r);
        }
    };
    mp v(reference_bits);
    for (double e : edges) {
        for (double s : {1.0, -1.0}) {
            mpfr_set_d(v.v, s * e, MPFR_RNDN);
            push_with_neighbours(v.v);
        }
    }
    for (double special : {inf, -inf, std::numeric_limits<double>::quiet_NaN()}) {
        mpfr_set_d(v.v, special, MPFR_RNDN);
        push_with_neighbours(v.v);
    }
    if (p.target.bounded) {  // the smallest subnormal, the smallest normal, the largest finite
        for (long e : {p.target.emin - p.target.precision + 1, p.target.emin, p.target.emax + 1}) {
            for (int s : {1, -1}) {
                mpfr_set_si_2exp(v.v, s, e, MPFR_RNDN);
                if (e == p.target.emax + 1) mpfr_nextbelow(v.v);  // 2^(emax+1) less a little: rounds to max
                push_with_neighbours(v.v);
            }
        }
    }
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> typical(-6, 6), wide(-30, 30), unit(-1, 1), log2_magnitude(-40, 8);
    const double exp_edge = p.target.bounded ? std::min(std::ldexp(1.0, 14), (p.target.emax + 2) * 0.7) : 800.0;
    std::uniform_real_distribution<double> exp_range(-1.1 * exp_edge, 1.1 * exp_edge);
    for (std::size_t i = 0; i < random_count; ++i) {
        double x;
        switch (i % 8) {
            case 0:
            case 1:
            case 2: x = typical(rng); break;
            case 3:
            case 4: x = std::ldexp(unit(rng) < 0 ? -1.0 : 1.0, 0) * std::exp2(log2_magnitude(rng)); break;
            case 5:
            case 6: x = wide(rng); break;
            default: x = exp_range(rng); break;
        }
        mpfr_set_d(v.v, x, MPFR_RNDN);
        // low bits beyond double's, for the precisions wider than it
        mp low(reference_bits);
        mpfr_set_d(low.v, unit(rng), MPFR_RNDN);
        if (mpfr_regular_p(v.v)) mpfr_mul_2si(low.v, low.v, mpfr_get_exp(v.v) - 54, MPFR_RNDN);
        mpfr_add(v.v, v.v, low.v, MPFR_RNDN);
        p.round(v.v);
        push(v);
    }
    return values;
}

}  // namespace gradlab::test
