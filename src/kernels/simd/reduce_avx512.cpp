// Compiled with -mavx512f -mavx512bw -mavx512dq; chosen at run time by the
// reductions (src/kernels/reduce_native.cpp).
#include "gradlab/kernels/simd/reduce_kernel_impl.hpp"

GRADLAB_INSTANTIATE_REDUCE(xsimd::avx512bw)
