// The build's baseline instruction set (SSE2 on x86-64, without FMA), and the
// scalar kernel of isa::generic.
#include "gradlab/kernels/simd/gemm_microkernel_impl.hpp"

GRADLAB_INSTANTIATE_GEMM_MICROKERNEL(xsimd::default_arch)
template gradlab::simd::gemm_microkernel<float> gradlab::simd::gemm_microkernel_scalar<float>();
template gradlab::simd::gemm_microkernel<double> gradlab::simd::gemm_microkernel_scalar<double>();
