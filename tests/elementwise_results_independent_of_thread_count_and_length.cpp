// Every element's result depends on that element alone: the float128 and mp
// paths, which split the elements over OpenMP threads, give the same bits
// with 1 and 2 threads; the SIMD paths give the same bits for an element
// whether it falls in a full vector or in the zero-padded tail, for every
// length around the vector widths.

#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include <omp.h>

#include "gradlab/kernels/activation.hpp"
#include "gradlab/kernels/elementwise.hpp"
#include "support/elementwise_precisions.hpp"

using namespace gradlab;
using namespace gradlab::test;

namespace {

// Runs compute() with 1 and with 2 OpenMP threads and restores the count.
template <class Compute>
void check_thread_counts(const precision_under_test& p, Compute compute) {
    const int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    const mp_vector one = compute();
    omp_set_num_threads(2);
    const mp_vector two = compute();
    omp_set_num_threads(saved);
    std::size_t mismatches = 0;
    for (std::size_t i = 0; i < one.size(); ++i) {
        const auto* a = one[i].backend().data();
        const auto* b = two[i].backend().data();
        if (!(mpfr_nan_p(a) && mpfr_nan_p(b)) && !(mpfr_equal_p(a, b) && mpfr_signbit(a) == mpfr_signbit(b)))
            ++mismatches;
    }
    INFO(p.name);
    CHECK(mismatches == 0);
}

template <class T>
bool bitwise_equal(const std::vector<T>& a, const std::vector<T>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

}  // namespace

TEST_CASE("elementwise: float128 and mp results do not depend on the thread count", "[kernels][elementwise]") {
    for (const auto& p : {f128_case(), mp_case(160)}) {
        auto x = inputs_for(p, 400);
        // float128 arithmetic goes parallel only for long arrays
        while (p.name == "f128" && x.size() < (1 << 15)) x.insert(x.end(), x.begin(), x.begin() + x.size() / 2);
        auto a = reference_values(1);
        mpfr_set_d(a[0].backend().data(), -0.3, MPFR_RNDN);
        p.round(a[0].backend().data());
        for (auto kind : {activation_kind::gelu, activation_kind::sigmoid, activation_kind::softplus}) {
            check_thread_counts(p, [&] { return p.forward({kind}, x, isa::generic); });
            check_thread_counts(
                p, [&] { return p.derivative({kind}, x, p.forward({kind}, x, isa::generic), isa::generic); });
        }
        check_thread_counts(p, [&] { return p.exponential(x, isa::generic); });
        check_thread_counts(p, [&] { return p.arithmetic_op(arithmetic::axpy, a, x, x, isa::generic); });
    }
}

TEMPLATE_TEST_CASE("elementwise: SIMD results do not depend on the length or the position in the vector",
                   "[kernels][elementwise]", float, double) {
    using T = TestType;
    std::vector<T> x(200), y(200);
    for (std::size_t i = 0; i < x.size(); ++i) {
        x[i] = static_cast<T>(0.173 * static_cast<double>(i) - 17.0);
        y[i] = static_cast<T>(1.0 / (1.0 + static_cast<double>(i)));
    }
    for (isa level : supported_isas()) {
        for (auto kind : {activation_kind::gelu, activation_kind::sigmoid, activation_kind::elu}) {
            std::vector<T> whole(x.size()), whole_d(x.size());
            activation_forward({kind}, std::span<const T>(x), std::span<T>(whole), level);
            activation_derivative({kind}, std::span<const T>(x), std::span<const T>(whole), std::span<T>(whole_d),
                                  level);
            for (std::size_t start : {0, 1, 5}) {
                for (std::size_t n = 0; n <= 70; ++n) {
                    const std::span<const T> xs(x.data() + start, n);
                    std::vector<T> part(n), part_d(n);
                    activation_forward({kind}, xs, std::span<T>(part), level);
                    activation_derivative({kind}, xs, std::span<const T>(part), std::span<T>(part_d), level);
                    INFO(isa_name(level) << " " << activation_name(kind) << " from " << start << " length " << n);
                    REQUIRE(bitwise_equal(part, std::vector<T>(whole.begin() + start, whole.begin() + start + n)));
                    REQUIRE(
                        bitwise_equal(part_d, std::vector<T>(whole_d.begin() + start, whole_d.begin() + start + n)));
                }
            }
        }
        std::vector<T> whole(x.size());
        axpy(T(0.75), std::span<const T>(x), std::span<const T>(y), std::span<T>(whole), level);
        for (std::size_t n = 0; n <= 70; ++n) {
            std::vector<T> part(n);
            axpy(T(0.75), std::span<const T>(x.data() + 3, n), std::span<const T>(y.data() + 3, n), std::span<T>(part),
                 level);
            INFO(isa_name(level) << " axpy length " << n);
            REQUIRE(bitwise_equal(part, std::vector<T>(whole.begin() + 3, whole.begin() + 3 + n)));
        }
    }
}
