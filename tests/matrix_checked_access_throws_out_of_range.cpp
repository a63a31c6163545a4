// at(i, j) and row_range(begin, end) check their indices, on matrices and on
// views, and throw std::out_of_range naming the index and the shape.

#include <catch2/catch.hpp>

#include "gradlab/tensor/matrix.hpp"

using namespace gradlab;
using Catch::Contains;

TEST_CASE("matrix: at checks both indices", "[tensor][matrix]") {
    matrix<float> m(3, 4);
    m.at(2, 3) = 1.5f;
    CHECK(m(2, 3) == 1.5f);
    CHECK_THROWS_WITH(m.at(3, 0), Contains("at(3, 0)") && Contains("3x4"));
    CHECK_THROWS_AS(m.at(0, 4), std::out_of_range);
    const matrix<float>& c = m;
    CHECK(c.at(2, 3) == 1.5f);
    CHECK_THROWS_AS(c.at(0, 4), std::out_of_range);
}

TEST_CASE("matrix: at on a view checks against the view's shape", "[tensor][matrix]") {
    matrix<float> m(6, 2);
    const auto batch = m.row_range(4, 6);
    batch.at(1, 1) = 2.0f;
    CHECK(m(5, 1) == 2.0f);
    CHECK_THROWS_WITH(batch.at(2, 0), Contains("at(2, 0)") && Contains("2x2"));
}

TEST_CASE("matrix: row_range needs begin <= end <= rows", "[tensor][matrix]") {
    const matrix<double> m(5, 3);
    CHECK(m.row_range(0, 5).rows() == 5);
    CHECK(m.row_range(5, 5).empty());
    CHECK_THROWS_WITH(m.row_range(0, 6), Contains("row_range(0, 6)") && Contains("5x3"));
    CHECK_THROWS_AS(m.row_range(3, 2), std::out_of_range);
    CHECK_THROWS_AS(m.row_range(6, 6), std::out_of_range);
    CHECK_THROWS_AS(m.row_range(1, 4).row_range(0, 4), std::out_of_range);
}
