// The build's baseline instruction set (SSE2 on x86-64, whatever the compiler
// targets by default elsewhere).
#include "gradlab/kernels/simd/elementwise_kernel_impl.hpp"

GRADLAB_INSTANTIATE_ELEMENTWISE(xsimd::default_arch)
