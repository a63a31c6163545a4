// The build's baseline instruction set (SSE2 on x86-64, whatever the compiler
// targets by default elsewhere).
#include "gradlab/kernels/simd/gemm_emulated_kernel_impl.hpp"

GRADLAB_INSTANTIATE_EMULATED_GEMM(xsimd::default_arch)
