#pragma once
// How well conditioned a weight matrix is: its largest singular value and,
// for a square matrix, sigma_max / sigma_min (DESIGN.md, "Instrumentation").
//
// Estimated in double, whatever the precision of W: W is scaled by a power
// of two (exactly) so that its largest |w| lies in [1/2, 1), then each entry
// is rounded to double. Conditioning is a property of the matrix, not of
// its last bits: rounding W to double moves each singular value by at most
// 2^-53 ||W||_F (Weyl), and a condition number beyond some 10^15 is beyond
// what double resolves anyway (it reads as large, or +Inf).
//
//   sigma_max  power iteration on W^T W: v_(k+1) = W^T W v_k / ||W^T W v_k||,
//              estimate ||W v_k||, from a fixed pseudo-random start vector
//              (not all ones: that lies in the null space of every matrix
//              whose rows sum to zero, as centred weights do).
//   sigma_min  (square W) inverse iteration: the same on (W^T W)^-1, by two
//              solves with an LU factorisation of W (partial pivoting);
//              estimate 1 / ||W^-T v_k||. An exact zero pivot, or solves that
//              overflow, make W singular: condition +Inf.
// Each stops when its estimate changes by less than 1e-10 relatively, or
// after 500 iterations. With r = sigma_2 / sigma_1 (of W, or of W^-1), the
// vector converges as r^2 per step and the estimate as r^4, so at the stop
// it is within about 1e-10 / (1 - r^4) of its limit, from below; close
// leading singular values (r near 1) may exhaust the iterations and leave an
// underestimate. Results are the same for any thread count.
// Cost: O(iterations m n), plus n^3 / 3 for the LU of a square W; memory:
// W and W^T in double (and the LU), kept by the thread for its later calls.

#include <optional>

#include "gradlab/scalar/conversions.hpp"
#include "gradlab/tensor/matrix_view.hpp"

namespace gradlab::probe {

struct conditioning {
    long double spectral_norm = 0;  // sigma_max: 0 for an empty or zero matrix
    // sigma_max / sigma_min for a square, nonempty W; +Inf when W is singular.
    std::optional<long double> condition_number;
    int iterations = 0;  // the more of the two iterations': 500 when one did not converge
};

// For W with a NaN or Inf entry (an mp entry beyond long double's range
// counts as Inf): spectral_norm NaN, condition_number NaN when W is square.
// An empty W: 0 and no condition number.
conditioning estimate_conditioning(matrix_view<const float> w);
conditioning estimate_conditioning(matrix_view<const double> w);
conditioning estimate_conditioning(matrix_view<const float128> w);
conditioning estimate_conditioning(matrix_view<const mp_float> w);

}  // namespace gradlab::probe
