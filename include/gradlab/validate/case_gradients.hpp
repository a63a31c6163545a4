#pragma once
// The loss and every parameter's gradient of a validation case, computed by
// gradlab from the case's own parameters and batch (each value read exactly):
// at the reference precision, to judge the case's gradients; and in the
// case's own dtype (fp32 or fp64), to show what an ordinary implementation in
// that dtype gets, so that the case's error can be told apart from the
// dtype's floor. The dtype computation is gradlab's engine: GEMM with blocked
// summation (kernels/gemm.hpp's gamma_k bound), activation derivatives from
// the outputs as PyTorch takes them (kernels/activation.hpp).

#include <vector>

#include "gradlab/scalar/conversions.hpp"
#include "gradlab/scalar/precision.hpp"
#include "gradlab/tensor/matrix.hpp"
#include "gradlab/validate/validation_case.hpp"

namespace gradlab::validate {

// Network order, as validation_case::parameters.
struct reference_gradients {
    mp_float loss;
    std::vector<matrix<mp_float>> gradients;
};

struct dtype_gradients {
    double loss = 0;  // exactly the dtype's value
    std::vector<std::vector<double>> gradients;
};

// `reference` must be an mp precision (std::invalid_argument otherwise).
reference_gradients compute_reference(const validation_case& c, const precision& reference);
dtype_gradients compute_in_dtype(const validation_case& c);

}  // namespace gradlab::validate
