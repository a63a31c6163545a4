// Compiled with -mavx512f -mavx512bw -mavx512dq; chosen at run time by the
// emulated GEMM (src/kernels/gemm_emulated.cpp).
#include "gradlab/kernels/simd/gemm_emulated_kernel_impl.hpp"

GRADLAB_INSTANTIATE_EMULATED_GEMM(xsimd::avx512bw)
