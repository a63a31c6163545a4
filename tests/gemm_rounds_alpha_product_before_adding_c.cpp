// The float and double micro-kernels round alpha AB before adding it to C
// (kernels/simd/gemm_microkernel.hpp), on every instruction set: a compiler
// that contracted the two into one FMA would change the documented bits,
// though not the error bound.

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "gradlab/kernels/gemm.hpp"
#include "gradlab/tensor/matrix.hpp"

namespace {

// A = 1 + e, B = 1, alpha = 1 + e, beta = 1, C = -(1 + 2e), with e the
// precision's epsilon: alpha AB = 1 + 2e + e^2 rounds to 1 + 2e, so C becomes
// exactly 0; fused, it would be e^2. m = 7, n = 40 and k = 1 take full and
// edge tiles on every instruction set; k = 300 adds a second k block, whose
// sum (here 0) is added with beta = 1 whatever the caller's beta.
template <class T>
void check_alpha_product_rounded(gradlab::isa level, std::size_t k) {
    using gradlab::gemm_layout;
    const T e = std::numeric_limits<T>::epsilon();
    const std::size_t m = 7, n = 40;
    gradlab::matrix<T> a(m, k, T(0)), b(n, k, T(0)), c(m, n, -(1 + 2 * e));
    for (std::size_t i = 0; i < m; ++i) a(i, 0) = 1 + e;
    for (std::size_t j = 0; j < n; ++j) b(j, 0) = 1;
    gradlab::gemm(gemm_layout::nt, 1 + e, a.view(), b.view(), T(1), c.view(), level);
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j) {
            INFO("isa " << gradlab::isa_name(level) << ", k " << k << ", C(" << i << ", " << j << ")");
            REQUIRE(c(i, j) == T(0));
        }
}

}  // namespace

TEST_CASE("gemm: beta one adds the rounded alpha AB, never a fused one", "[kernels][gemm]") {
    for (gradlab::isa level : gradlab::supported_isas())
        for (std::size_t k : {std::size_t{1}, std::size_t{300}}) {
            check_alpha_product_rounded<float>(level, k);
            check_alpha_product_rounded<double>(level, k);
        }
}
