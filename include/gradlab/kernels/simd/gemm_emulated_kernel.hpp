#pragma once
// The SIMD kernel behind the emulated GEMM that rounds every product and every
// sum to the format (kernels/gemm.hpp, gemm_accumulation::format;
// declarations, the definitions are in gemm_emulated_kernel_impl.hpp),
// compiled once per instruction set (src/kernels/simd/gemm_emulated_<isa>.cpp).
// Packing, threads and the scalar reference are portable code
// (src/kernels/gemm_emulated.cpp).
//
// Lanes are doubles holding values of the format. A product of two floats is
// exact in double (at most 48 significant bits, exponents within binary64's
// normal range); a sum of two such values is rounded to odd in double, which
// keeps what the one rounding to the format that follows needs, in every
// mode. Each lane depends on its own element of C only, so every instruction
// set and every lane width gives the same bits.

#include <cstddef>

#include "gradlab/scalar/simd/round_array_kernel.hpp"

namespace gradlab::simd {

// Columns of C per kernel call: four batches of AVX-512 doubles.
inline constexpr std::size_t emulated_gemm_columns = 32;

// What every call for one GEMM shares.
struct emulated_gemm_problem {
    std::size_t m, n, k;
    float alpha, beta;
    rounding_constants<double> format;
    rounding_mode mode;
    sr_stream sr;  // stream indices as documented in src/kernels/gemm_emulated.cpp
};

// Elements C(i, j + c), c < width <= emulated_gemm_columns, of one call.
struct emulated_gemm_chunk {
    std::size_t i, j, width;
    const float* a;     // op(A)(i, l) at a[l * a_step]
    std::size_t a_step;
    const double* b;    // op(B)(l, j + c) at b[l * emulated_gemm_columns + c], zero for c >= width; 64-byte aligned
    float* c;           // C(i, j + c) at c[c]
};

// C = alpha op(A) op(B) + beta C on the chunk, every operation rounded to the
// format as gemm_emulated.cpp documents; C is read only when beta != 0.
template <class Arch>
void emulated_gemm_kernel(const emulated_gemm_problem& problem, const emulated_gemm_chunk& chunk);

}  // namespace gradlab::simd
