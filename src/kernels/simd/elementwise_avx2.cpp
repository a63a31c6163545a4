// Compiled with -mavx2 -mfma; chosen at run time by the elementwise and
// activation functions.
#include "gradlab/kernels/simd/elementwise_kernel_impl.hpp"

GRADLAB_INSTANTIATE_ELEMENTWISE(xsimd::avx2)
