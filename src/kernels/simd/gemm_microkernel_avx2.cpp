// Compiled with -mavx2 -mfma; chosen at run time by the float and double GEMM.
// fma3<avx2>: xsimd's avx2 alone computes fma as a multiply and an add.
#include "gradlab/kernels/simd/gemm_microkernel_impl.hpp"

GRADLAB_INSTANTIATE_GEMM_MICROKERNEL(xsimd::fma3<xsimd::avx2>)
