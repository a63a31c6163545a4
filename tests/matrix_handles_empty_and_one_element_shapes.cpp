// Shapes at the edges: 0 x 0, no rows, no columns, one element. An empty
// matrix owns no storage (data() is null), still reports its shape, and all
// of its views, copies and moves behave.

#include <catch2/catch.hpp>

#include <cstdint>

#include "gradlab/tensor/matrix.hpp"

using namespace gradlab;

TEST_CASE("matrix: a default matrix is 0 x 0", "[tensor][matrix]") {
    const matrix<double> m;
    CHECK(m.rows() == 0);
    CHECK(m.cols() == 0);
    CHECK(m.empty());
    CHECK(m.data() == nullptr);
    CHECK(m.elements().empty());
}

TEST_CASE("matrix: no rows", "[tensor][matrix]") {
    matrix<float> m(0, 5);
    CHECK(m.rows() == 0);
    CHECK(m.cols() == 5);
    CHECK(m.size() == 0);
    CHECK(m.data() == nullptr);
    CHECK(m.row_range(0, 0).cols() == 5);
    CHECK_THROWS_AS(m.row_range(0, 1), std::out_of_range);
    CHECK_THROWS_AS(m.at(0, 0), std::out_of_range);
    const matrix<float> copy = m;
    CHECK(copy.cols() == 5);
    // No elements, however many columns: nothing to overflow.
    CHECK(matrix<double>(0, SIZE_MAX).cols() == SIZE_MAX);
}

TEST_CASE("matrix: no columns", "[tensor][matrix]") {
    matrix<double> m(4, 0, 1.0);
    CHECK(m.rows() == 4);
    CHECK(m.size() == 0);
    CHECK(m.data() == nullptr);
    CHECK(m.row(3).empty());
    const auto batch = m.row_range(1, 4);
    CHECK(batch.rows() == 3);
    CHECK(batch.cols() == 0);
    CHECK_THROWS_AS(m.at(0, 0), std::out_of_range);
    matrix<double> moved = std::move(m);
    CHECK(moved.rows() == 4);
    CHECK(matrix<double>(SIZE_MAX, 0).rows() == SIZE_MAX);
}

TEST_CASE("matrix: one element", "[tensor][matrix]") {
    matrix<double> m(1, 1, 2.5);
    REQUIRE(m.data() != nullptr);
    CHECK(reinterpret_cast<std::uintptr_t>(m.data()) % matrix_alignment == 0);
    CHECK(m(0, 0) == 2.5);
    CHECK(m.at(0, 0) == 2.5);
    CHECK(m.row(0).size() == 1);
    CHECK(m.row_range(0, 1)(0, 0) == 2.5);
    CHECK(m.row_range(1, 1).empty());
    m.fill(-1.0);
    const matrix<double> copy = m;
    CHECK(copy(0, 0) == -1.0);
}
