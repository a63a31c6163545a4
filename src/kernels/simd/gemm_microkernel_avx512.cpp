// Compiled with -mavx512f -mavx512bw -mavx512dq; chosen at run time by the
// float and double GEMM.
#include "gradlab/kernels/simd/gemm_microkernel_impl.hpp"

GRADLAB_INSTANTIATE_GEMM_MICROKERNEL(xsimd::avx512bw)
