// Every precision's matrix starts its storage on a 64-byte boundary, lays
// elements out row after row with no padding, and starts zeroed.

#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include <boost/multiprecision/float128.hpp>
#include <boost/multiprecision/mpfr.hpp>

#include "gradlab/tensor/matrix.hpp"

using namespace gradlab;
using boost::multiprecision::float128;
using boost::multiprecision::mpfr_float;

namespace {

bool is_aligned(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % matrix_alignment == 0; }

// Compared as a bool: Catch would otherwise print float128 and MPFR operands,
// and Boost's number formatting sets off a false -Wrestrict in GCC 12 at -O3.
template <class T, class U>
bool same_value(const T& x, U expected) {
    return x == T(expected);
}

}  // namespace

TEMPLATE_TEST_CASE("matrix: storage is 64-byte aligned, row-major and zeroed", "[tensor][matrix]", float, double,
                   float128, mpfr_float) {
    // Odd shapes, so that rows straddle cache lines; element_precision is
    // ignored by every type but mpfr_float.
    for (auto [rows, cols] : std::vector<std::pair<std::size_t, std::size_t>>{
             {1, 1}, {1, 3}, {3, 5}, {7, 13}, {64, 3}, {5, 17}}) {
        matrix<TestType> m(rows, cols, element_precision{113});
        INFO("shape " << rows << "x" << cols);
        REQUIRE(m.rows() == rows);
        REQUIRE(m.cols() == cols);
        REQUIRE(m.size() == rows * cols);
        CHECK(is_aligned(m.data()));
        for (std::size_t i = 0; i < rows; ++i) {
            CHECK(m.row(i).data() == m.data() + i * cols);
            CHECK(m.row(i).size() == cols);
            for (std::size_t j = 0; j < cols; ++j) {
                CHECK(&m(i, j) == m.data() + i * cols + j);
                CHECK(same_value(m(i, j), 0));
                m(i, j) = TestType(static_cast<int>(i * 100 + j));
            }
        }
        for (std::size_t k = 0; k < m.size(); ++k)
            CHECK(same_value(m.elements()[k], static_cast<int>(k / cols * 100 + k % cols)));
    }
}

TEMPLATE_TEST_CASE("matrix: fill constructor copies the value into every element", "[tensor][matrix]", float, double,
                   float128) {
    const matrix<TestType> m(4, 9, TestType(0.25));
    CHECK(is_aligned(m.data()));
    for (const TestType& x : m.elements()) CHECK(same_value(x, 0.25));
}

TEST_CASE("matrix: many allocations in a row are all aligned", "[tensor][matrix]") {
    std::vector<matrix<float>> kept;
    for (std::size_t n = 1; n <= 100; ++n) {
        kept.emplace_back(n, 3);
        CHECK(is_aligned(kept.back().data()));
    }
}
