#pragma once
// arithmetic<T>: the operations the engine computes with, in one precision,
// behind one interface, so that every layer, loss and optimiser is written
// once (DESIGN.md: "one code path for every precision"). T is one of
// precision_types.hpp's types; values are stored as scalar_traits<T>::storage
// (float for the emulated formats).
//
// It forwards to the kernels with what each family needs beside its operands:
// the instruction set (fp32, fp64, emulated), the format, rounding mode,
// +acc32 policy and a stochastic-rounding stream (emulated), the significand
// bits of new values (mp). It adds the few elementwise operations the kernels
// do not have (subtract, divide, square root, logarithm, a scalar added to
// every element, sign, clamp, PReLU's select, row max), each correctly rounded in every
// precision but the logarithm, which is rounded like exponential().
//
// Emulated formats: every result is a value of the format, rounded in the
// precision's mode. Stochastic rounding draws a fresh stream for every call,
// its key a hash of (the seed given here, the number of calls made so far):
// reproducible for a given seed and sequence of calls, whatever the thread
// count. Results that must be exact for every format (a division by a power
// of two, a negation) are exact unless they underflow.
//
// mp: every result is rounded once to nearest at the precision of the element
// it is written to; new values (matrix_of, number, zero) take the precision's
// bits. Nothing here allocates once the operands exist, so a training step
// whose buffers are made reuses them.
//
// Spans must have equal sizes (std::invalid_argument otherwise); an output may
// be the same span as an input. A one-element span is a scalar.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <mpfr.h>

#include "gradlab/kernels/activation.hpp"
#include "gradlab/kernels/gemm.hpp"
#include "gradlab/platform/isa.hpp"
#include "gradlab/scalar/precision.hpp"
#include "gradlab/scalar/scalar_traits.hpp"
#include "gradlab/tensor/matrix.hpp"

namespace gradlab::nn {

template <scalar_type T>
using storage_t = typename scalar_traits<T>::storage;

template <scalar_type T>
class arithmetic {
public:
    using value = storage_t<T>;

    // `spec` must be of T's family (std::invalid_argument otherwise). The seed
    // keys the stochastic-rounding streams; `level` the instruction set of the
    // SIMD families (one of supported_isas()).
    explicit arithmetic(const precision& spec, std::uint64_t seed = 0, isa level = active_isa());

    const precision& spec() const { return spec_; }
    std::string name() const { return spec_.name(); }
    int significand_bits() const { return spec_.significand_bits(); }
    isa level() const { return level_; }

    // ---- values ----

    // rows x cols zeros (at the precision's bits for mp).
    matrix<value> matrix_of(std::size_t rows, std::size_t cols) const;
    value zero() const;
    // x rounded once, to nearest, to the precision (whatever its rounding
    // mode: initial weights, data and constants are read in this way).
    value number(mpfr_srcptr x) const;
    // Decimal text ("0.1", "1e-6") rounded once to the precision; throws
    // std::invalid_argument naming the text when it is not a number.
    value number(std::string_view decimal) const;
    // numerator / denominator rounded once.
    value ratio(long numerator, long denominator) const;
    // `to` = x rounded once, keeping `to`'s own precision (mp).
    void assign(value& to, mpfr_srcptr x) const;
    // out = x, exactly when out has at least the precision's bits.
    static void to_mpfr(const value& x, mpfr_ptr out);
    static double to_double(const value& x);

    // ---- kernels (kernels/*.hpp state their accuracy) ----

    void gemm(gemm_layout layout, const value& alpha, matrix_view<const value> a, matrix_view<const value> b,
              const value& beta, matrix_view<value> c);
    void add(std::span<const value> x, std::span<const value> y, std::span<value> out);
    void scale(const value& a, std::span<const value> x, std::span<value> out);
    // a x + y, the product rounded, then the sum.
    void axpy(const value& a, std::span<const value> x, std::span<const value> y, std::span<value> out);
    void multiply(std::span<const value> x, std::span<const value> y, std::span<value> out);
    void exponential(std::span<const value> x, std::span<value> out);
    void activation_forward(const activation& f, std::span<const value> x, std::span<value> y);
    void activation_derivative(const activation& f, std::span<const value> x, std::span<const value> y,
                               std::span<value> d);
    // The blocked sum and L2 norm of kernels/reduce.hpp.
    void sum(std::span<const value> x, value& out);
    void l2_norm(std::span<const value> x, value& out);

    // ---- the rest, correctly rounded ----

    // x - y
    void subtract(std::span<const value> x, std::span<const value> y, std::span<value> out);
    // x / y
    void divide(std::span<const value> x, std::span<const value> y, std::span<value> out);
    // sqrt(x)
    void square_root(std::span<const value> x, std::span<value> out);
    // x + c
    void add_scalar(std::span<const value> x, const value& c, std::span<value> out);
    // out = x, exactly (mp: rounded to out's precision)
    void copy(std::span<const value> x, std::span<value> out);
    // out = x rounded to the precision in its rounding mode (exact but for the
    // emulated formats): +master32's fp32 master weights into the model
    void from_fp32(std::span<const float> x, std::span<value> out);
    // out = c
    void fill(std::span<value> out, const value& c);
    // sign(x): -1, 0 or +1 (NaN stays NaN)
    void sign(std::span<const value> x, std::span<value> out);
    // min(max(x, lo), hi); NaN stays NaN
    void clamp(std::span<const value> x, const value& lo, const value& hi, std::span<value> out);
    // cond > 0 ? src : a src, the product rounded once (PReLU and its
    // derivative; NaN in cond takes the second branch, as PyTorch's where()).
    void select_scaled(std::span<const value> cond, std::span<const value> src, const value& a,
                       std::span<value> out);
    // The largest element of each row of x (NaN if the row holds one), into out[row].
    void row_max(matrix_view<const value> x, std::span<value> out);

    // ---- not correctly rounded ----

    // The natural logarithm: float and the emulated formats within 1 ulp of
    // float (then rounded once to the format), double and f128 as their libm,
    // mp correctly rounded (MPFR).
    void logarithm(std::span<const value> x, std::span<value> out);

    // ---- tests of values ----

    static bool is_finite(const value& x);
    // Whether every element is finite (not NaN, not ±Inf).
    static bool all_finite(std::span<const value> x);

private:
    // o[i] = the operation on element i: mp_op(out, i) writes it at out's
    // precision; double_op(i) gives the emulated formats' result rounded to
    // odd in double (rounded once more to the format here); native_op(i)
    // the others' result.
    template <class MpOp, class DoubleOp, class NativeOp>
    void map(std::span<value> o, MpOp mp_op, DoubleOp double_op, NativeOp native_op);

    // The stream of the next stochastically rounded call; empty in the other modes.
    std::optional<sr_stream> next_stream();

    precision spec_;
    float_format format_;  // emulated: the format; fp32/fp64: binary32/binary64
    std::uint64_t seed_;
    std::uint64_t calls_ = 0;
    isa level_;
};

}  // namespace gradlab::nn
