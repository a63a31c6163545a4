// Compiled with -mavx512f -mavx512bw -mavx512dq; chosen at run time by the
// elementwise and activation functions.
#include "gradlab/kernels/simd/elementwise_kernel_impl.hpp"

GRADLAB_INSTANTIATE_ELEMENTWISE(xsimd::avx512bw)
