// A view (the whole matrix, a row range, a row range of a row range) aliases
// the matrix's storage: writes through it are writes to the matrix, and a
// move of the matrix keeps its views valid. Copies of a matrix do not alias.

#include <catch2/catch.hpp>

#include <numeric>
#include <type_traits>

#include "gradlab/tensor/matrix.hpp"

using namespace gradlab;

static_assert(std::is_trivially_copyable_v<matrix_view<float>>);
static_assert(std::is_convertible_v<matrix_view<float>, matrix_view<const float>>);
static_assert(!std::is_convertible_v<matrix_view<const float>, matrix_view<float>>);
static_assert(std::is_same_v<decltype(std::declval<const matrix<float>&>().row_range(0, 1)),
                             matrix_view<const float>>);
static_assert(std::is_same_v<decltype(std::declval<matrix<float>&>().row_range(0, 1)), matrix_view<float>>);
static_assert(std::is_same_v<decltype(std::declval<const matrix<float>&>().row(0)), std::span<const float>>);

namespace {

// What a kernel looks like: it takes views.
double sum(matrix_view<const double> a) { return std::accumulate(a.elements().begin(), a.elements().end(), 0.0); }
void scale(matrix_view<double> a, double factor) {
    for (double& x : a.elements()) x *= factor;
}

matrix<double> iota_matrix(std::size_t rows, std::size_t cols) {
    matrix<double> m(rows, cols);
    std::iota(m.elements().begin(), m.elements().end(), 0.0);
    return m;
}

}  // namespace

TEST_CASE("matrix: row_range is a mini-batch over the matrix's own rows", "[tensor][matrix]") {
    auto m = iota_matrix(6, 4);
    const auto batch = m.row_range(2, 5);
    REQUIRE(batch.rows() == 3);
    REQUIRE(batch.cols() == 4);
    CHECK(batch.data() == m.data() + 2 * 4);
    CHECK(batch.row(1).data() == m.row(3).data());
    CHECK(batch(0, 0) == 8.0);

    batch(1, 2) = -1.0;
    CHECK(m(3, 2) == -1.0);
    scale(batch, 2.0);
    CHECK(m(1, 3) == 7.0);    // before the range: untouched
    CHECK(m(2, 0) == 16.0);   // inside: doubled
    CHECK(m(5, 0) == 20.0);   // after: untouched

    const auto inner = batch.row_range(1, 3);
    CHECK(inner.data() == m.data() + 3 * 4);
    CHECK(inner.rows() == 2);
    CHECK(&inner(1, 1) == &m(4, 1));
}

TEST_CASE("matrix: const views read the same storage", "[tensor][matrix]") {
    auto m = iota_matrix(3, 5);
    const matrix<double>& c = m;
    const matrix_view<const double> all = c;
    CHECK(all.data() == m.data());
    CHECK(sum(m) == 105.0);  // 0 + 1 + ... + 14, through the implicit conversion
    CHECK(sum(c.row_range(1, 2)) == 5.0 + 6 + 7 + 8 + 9);
    const matrix_view<const double> from_mutable = m.row_range(2, 3);
    m(2, 4) = 100.0;
    CHECK(from_mutable(0, 4) == 100.0);
}

TEST_CASE("matrix: views stay valid across a move of the matrix, not a copy", "[tensor][matrix]") {
    auto m = iota_matrix(4, 3);
    const auto view = m.row_range(1, 3);
    const matrix<double> moved = std::move(m);
    CHECK(view.data() == moved.data() + 3);
    CHECK(m.empty());  // NOLINT(bugprone-use-after-move): moved-from is specified as 0 x 0

    matrix<double> copy = moved;
    CHECK(copy.data() != moved.data());
    copy(1, 0) = -5.0;
    CHECK(view(0, 0) == 3.0);
    CHECK(moved(1, 0) == 3.0);
}

TEST_CASE("matrix: a view over external storage", "[tensor][matrix]") {
    float buffer[6] = {1, 2, 3, 4, 5, 6};
    const matrix_view<float> v(buffer, 2, 3);
    CHECK(v(1, 0) == 4.0f);
    v.row(0)[2] = 30.0f;
    CHECK(buffer[2] == 30.0f);
    CHECK(v.row_range(1, 2).elements().size() == 3);
}
