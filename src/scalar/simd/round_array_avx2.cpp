// Compiled with -mavx2 -mfma; chosen at run time by round_array().
#include "gradlab/scalar/simd/round_array_kernel_impl.hpp"

GRADLAB_INSTANTIATE_ROUND_ARRAY(xsimd::avx2)
