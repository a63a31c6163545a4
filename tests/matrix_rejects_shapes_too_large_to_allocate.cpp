// A shape whose byte count overflows, or exceeds PTRDIFF_MAX, is refused
// with std::length_error before anything is allocated; one that is merely
// more than the machine can give is refused with std::bad_alloc. Both name
// the shape.

#include <catch2/catch.hpp>

#include <cstdint>

#include <boost/multiprecision/mpfr.hpp>

#include "gradlab/tensor/matrix.hpp"

using namespace gradlab;
using Catch::Contains;

TEST_CASE("matrix: a shape whose element count overflows size_t is a length_error", "[tensor][matrix]") {
    CHECK_THROWS_AS(matrix<double>(SIZE_MAX, 2), std::length_error);
    CHECK_THROWS_WITH(matrix<float>(std::size_t{1} << 32, std::size_t{1} << 32), Contains("4294967296x4294967296"));
}

TEST_CASE("matrix: more than PTRDIFF_MAX bytes is a length_error", "[tensor][matrix]") {
    // The first row count past the limit, for 1 and 8 byte-wide rows.
    constexpr std::size_t max_floats = PTRDIFF_MAX / sizeof(float);
    CHECK_NOTHROW(matrix<double>(max_floats / 4, 0));
    CHECK_THROWS_AS(matrix<float>(max_floats + 1, 1), std::length_error);
    CHECK_THROWS_WITH(matrix<double>(std::size_t{1} << 31, std::size_t{1} << 31),
                      Contains("2147483648x2147483648") && Contains("8-byte"));
    CHECK_THROWS_AS(matrix<boost::multiprecision::mpfr_float>(SIZE_MAX / 2, 3, element_precision{64}),
                    std::length_error);
}

TEST_CASE("matrix: more memory than the machine can map is a bad_alloc naming the shape", "[tensor][matrix]") {
    // 2^51 bytes: far below PTRDIFF_MAX, far beyond the 2^47-byte user
    // address space of x86-64 and AArch64 Linux, so no overcommit setting lets it through.
    const std::size_t n = std::size_t{1} << 24;
    CHECK_THROWS_AS(matrix<double>(n, n), std::bad_alloc);
    CHECK_THROWS_WITH(matrix<double>(n, n), Contains("16777216x16777216") && Contains("bytes"));
}
