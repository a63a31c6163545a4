#pragma once
// General matrix product C = alpha op(A) op(B) + beta C in the three layouts
// backpropagation needs, for every precision. All matrices are row-major
// views; C is m x n and
//
//   layout  product        A      B      used for
//   nt      A B^T          m x k  n x k  forward:         Z  = X W^T
//   nn      A B            m x k  k x n  input gradient:  dX = dZ W
//   tn      A^T B          k x m  k x n  weight gradient: dW = dZ^T X
//
// Shapes that do not fit throw std::invalid_argument naming them. m, n or k
// may be 0 (k = 0: C = beta C). When beta is 0, C is written and never read:
// NaN or Inf left in C from before must not leak into the result (the
// NaN-origin probe would blame the wrong op). C must not overlap A or B.
//
// Summation order: fixed by the shapes alone, never by the thread count, so
// results are bitwise the same for any number of OpenMP threads (float and
// double: each block of up to 256 along k is summed from +0 in increasing
// order, and alpha times each block sum, rounded, is added to C in turn; the
// other families say theirs below). The instruction set may change float and double results
// (fused multiply-adds on AVX2 and AVX-512, a multiply and an add on the
// baseline without FMA); it never changes the other families'.
// Error bound, whatever the order: with alpha = 1 and beta = 0,
// |C - A B| <= gamma_k |A| |B| elementwise, and otherwise
// |C - (alpha A B + beta C0)| <= gamma_{k+2} (|alpha| |A| |B| + |beta| |C0|),
// where gamma_s = s u / (1 - s u), u the unit roundoff of the precision and
// rounding mode (scalar/error_bounds.hpp); when products or sums underflow,
// add 2 s times the smallest subnormal (s = k, or k + 2).
// Precision families:
//   float, double   cache-blocked, packed, with a register-tile micro-kernel
//                   per instruction set (kernels/simd/gemm_microkernel.hpp);
//                   OpenMP over blocks of C. `level` as for the other kernels.
//   float128        generic code (libquadmath), parallel over rows of C.
//   mp_float        MPFR in place, parallel over rows of C, each thread with
//                   accumulators made once; see the overload for the rounding.
//   emulated        float storage holding values of `format`; `accumulation`
//                   chooses the policy (the precision's +acc32 suffix).

#include <optional>

#include "gradlab/platform/isa.hpp"
#include "gradlab/scalar/conversions.hpp"
#include "gradlab/scalar/float_format.hpp"
#include "gradlab/scalar/round_to_format.hpp"
#include "gradlab/scalar/rounding_mode.hpp"
#include "gradlab/tensor/matrix_view.hpp"

namespace gradlab {

enum class gemm_layout { nt, nn, tn };

// "nt", "nn", "tn"
const char* gemm_layout_name(gemm_layout layout);

void gemm(gemm_layout layout, float alpha, matrix_view<const float> a, matrix_view<const float> b, float beta,
          matrix_view<float> c, isa level = active_isa());
void gemm(gemm_layout layout, double alpha, matrix_view<const double> a, matrix_view<const double> b, double beta,
          matrix_view<double> c, isa level = active_isa());
void gemm(gemm_layout layout, const float128& alpha, matrix_view<const float128> a, matrix_view<const float128> b,
          const float128& beta, matrix_view<float128> c);

// Results are rounded to nearest even at the precision of the element of C
// they go to (its own precision, as elementwise.hpp's mp overloads do); the
// inputs and alpha and beta may have any precision. Each C(i, j) takes one of
// two paths, chosen from the data alone, so results are bitwise the same for
// any thread count either way:
//   exact      when row i of op(A) and column j of op(B) hold no NaN or Inf
//              and their products fit an 8192-bit fixed-point accumulator
//              (at 256 bits: the exponent spread of the row plus that of the
//              column at most about 7600): the dot product d is summed
//              exactly, so C(i, j) = round(alpha d + beta C(i, j))
//              is correctly rounded, within half an ulp, for any alpha and
//              beta; with alpha = 1 and beta = 0 it is d correctly rounded.
//              An exact zero d is -0 only when every product is -0.
//   op by op   otherwise: d accumulates the products in increasing order
//              along k, each product and each sum rounded (so NaN and Inf
//              follow MPFR: NaN in, NaN out; Inf * 0 and Inf - Inf give NaN),
//              within gamma_k |op(A)| |op(B)| of the exact value; then
//              round(alpha d + beta C(i, j)) once.
// alpha = 1 skips the multiplication, beta = 0 never reads C. Computed in
// MPFR's widest exponent range, whatever range the calling thread has set.
void gemm(gemm_layout layout, const mp_float& alpha, matrix_view<const mp_float> a, matrix_view<const mp_float> b,
          const mp_float& beta, matrix_view<mp_float> c);

// How an emulated format's GEMM accumulates.
enum class gemm_accumulation {
    // Every product and every sum rounded to the format in `mode`, as
    // hardware that computes in the format itself would.
    format,
    // +acc32: products and sums in fp32 (the float GEMM above, in its order),
    // then alpha op(A) op(B) + beta C rounded once to the format in `mode`,
    // as tensor cores accumulate.
    fp32,
};

// Emulated formats: a, b and c hold values of `format` in float storage
// (other floats, and alpha and beta, are used exactly as they are).
// gemm_accumulation::format, with r() one correct rounding of the exact value
// to the format in `mode` (overflow, NaN and flush-to-zero by the format's
// rules; an exact zero sum signed as IEEE 754 says):
//   s = r(op(A)(i, 0) op(B)(0, j));  s = r(s + r(op(A)(i, l) op(B)(l, j))), l = 1 .. k-1;
//   s = r(alpha s) unless alpha is 1;  C(i, j) = r(s + r(beta C(i, j))) unless beta is 0
// (k = 0: C(i, j) = r(beta C(i, j)), or 0), bitwise the same on every
// instruction set and thread count. gemm_accumulation::fp32: the float GEMM
// above, then each C(i, j) rounded once to the format.
// Stochastic rounding needs a stream (one per tensor and step) and throws
// std::invalid_argument without one, as round_array does; which rounding draws
// which index is documented in src/kernels/gemm_emulated.cpp. Throws
// std::invalid_argument when the format has values that are not floats.
void gemm(gemm_layout layout, float alpha, matrix_view<const float> a, matrix_view<const float> b, float beta,
          matrix_view<float> c, const float_format& format, rounding_mode mode, gemm_accumulation accumulation,
          const std::optional<sr_stream>& sr = std::nullopt, isa level = active_isa());

}  // namespace gradlab
