// A matrix of MPFR numbers gives every element the precision it was asked
// for, whatever Boost's global default precision is, and keeps it through
// copy, move and fill; values are rounded once, to nearest, into it.

#include <catch2/catch.hpp>

#include <type_traits>

#include <boost/multiprecision/mpfr.hpp>

#include "gradlab/tensor/matrix.hpp"

using namespace gradlab;
using boost::multiprecision::mpfr_float;

// Without a precision the elements would take Boost's global one.
static_assert(!std::is_constructible_v<matrix<mpfr_float>, std::size_t, std::size_t>);
static_assert(std::is_constructible_v<matrix<double>, std::size_t, std::size_t>);

namespace {

long bits_of(const mpfr_float& x) { return static_cast<long>(mpfr_get_prec(x.backend().data())); }

// Sets Boost's global default precision to something no test asks for, so an
// element that silently took it is caught; restores it afterwards.
struct hostile_default_precision {
    unsigned saved = mpfr_float::default_precision();
    hostile_default_precision() { mpfr_float::default_precision(7); }  // decimal digits, about 27 bits
    ~hostile_default_precision() { mpfr_float::default_precision(saved); }
};

// 1/3 correctly rounded to `bits`, computed by MPFR directly.
mpfr_float third(long bits) {
    mpfr_float x;
    mpfr_set_prec(x.backend().data(), bits);
    mpfr_ui_div(x.backend().data(), 1, mpfr_float(3).backend().data(), MPFR_RNDN);
    return x;
}

bool all_have_bits(const matrix<mpfr_float>& m, long bits) {
    for (const auto& x : m.elements())
        if (bits_of(x) != bits) return false;
    return true;
}

bool all_equal(const matrix<mpfr_float>& m, const mpfr_float& value) {
    for (const auto& x : m.elements())
        if (mpfr_cmp(x.backend().data(), value.backend().data()) != 0) return false;
    return true;
}

}  // namespace

TEST_CASE("matrix<mpfr_float>: zeros at the requested precision", "[tensor][matrix][mpfr]") {
    hostile_default_precision guard;
    const matrix<mpfr_float> m(3, 4, element_precision{200});
    CHECK(all_have_bits(m, 200));
    CHECK(all_equal(m, mpfr_float(0)));
}

TEST_CASE("matrix<mpfr_float>: a fill value is rounded once into the requested precision", "[tensor][matrix][mpfr]") {
    hostile_default_precision guard;
    const matrix<mpfr_float> m(2, 3, third(400), element_precision{64});
    CHECK(all_have_bits(m, 64));
    CHECK(all_equal(m, third(64)));

    SECTION("without a precision the elements take the fill value's") {
        const matrix<mpfr_float> copies(2, 3, third(300));
        CHECK(all_have_bits(copies, 300));
        CHECK(all_equal(copies, third(300)));
    }
}

TEST_CASE("matrix<mpfr_float>: copy and move keep each element's precision and value", "[tensor][matrix][mpfr]") {
    hostile_default_precision guard;
    matrix<mpfr_float> m(3, 2, third(256), element_precision{256});
    m(1, 1) = 5;  // assigning a built-in number keeps the element's precision
    CHECK(all_have_bits(m, 256));

    const matrix<mpfr_float> copy = m;
    CHECK(copy.data() != m.data());
    CHECK(all_have_bits(copy, 256));
    CHECK(mpfr_cmp_si(copy(1, 1).backend().data(), 5) == 0);
    CHECK(mpfr_cmp(copy(2, 0).backend().data(), third(256).backend().data()) == 0);

    matrix<mpfr_float> assigned(1, 1, element_precision{32});
    assigned = copy;  // the elements are replaced by copies, precision included
    CHECK(assigned.rows() == 3);
    CHECK(all_have_bits(assigned, 256));

    const matrix<mpfr_float> moved = std::move(m);
    CHECK(all_have_bits(moved, 256));
    CHECK(mpfr_cmp_si(moved(1, 1).backend().data(), 5) == 0);

    matrix<mpfr_float> move_assigned(2, 2, element_precision{32});
    move_assigned = std::move(assigned);
    CHECK(move_assigned.rows() == 3);
    CHECK(all_have_bits(move_assigned, 256));
}

TEST_CASE("matrix<mpfr_float>: fill keeps the elements' precision", "[tensor][matrix][mpfr]") {
    hostile_default_precision guard;
    matrix<mpfr_float> m(4, 4, element_precision{80});
    m.fill(third(500));
    CHECK(all_have_bits(m, 80));
    CHECK(all_equal(m, third(80)));
}

TEST_CASE("matrix<mpfr_float>: a precision MPFR cannot represent is rejected", "[tensor][matrix][mpfr]") {
    CHECK_THROWS_AS(matrix<mpfr_float>(2, 2, element_precision{0}), std::invalid_argument);
    CHECK_THROWS_WITH(matrix<mpfr_float>(2, 2, element_precision{-3}), Catch::Contains("-3 bits"));
}
