// The build's baseline instruction set (SSE2 on x86-64, whatever the compiler
// targets by default elsewhere).
#include "gradlab/scalar/simd/round_array_kernel_impl.hpp"

GRADLAB_INSTANTIATE_ROUND_ARRAY(xsimd::default_arch)
