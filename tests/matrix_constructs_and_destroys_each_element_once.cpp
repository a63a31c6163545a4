// Elements are constructed and destroyed as objects, once each, never copied
// as bytes: proved with a hostile scalar (after Eigen's AnnoyingScalar) that
// owns heap memory, counts live instances, and throws when used without having
// been constructed or after being destroyed. Exceptions thrown while elements
// are being built leak nothing and leave the target of an assignment intact.

#include <catch2/catch.hpp>

#include <stdexcept>
#include <type_traits>

#include "gradlab/tensor/matrix.hpp"

using namespace gradlab;

namespace {

class hostile_scalar {
public:
    static inline long live = 0;
    static inline long bad_destroys = 0;
    static inline long copies_until_throw = -1;  // the copy that brings it to 0 throws; < 0: never

    hostile_scalar() : hostile_scalar(0.0) {}
    hostile_scalar(double v) : self_(this), value_(new double(v)) { ++live; }
    hostile_scalar(const hostile_scalar& other) : hostile_scalar(copied_value(other)) {}
    hostile_scalar& operator=(const hostile_scalar& other) {
        *checked().value_ = other.value();
        return *this;
    }
    ~hostile_scalar() {
        if (self_ != this) {  // never constructed here (a byte copy), or destroyed already
            ++bad_destroys;
            return;
        }
        self_ = nullptr;
        delete value_;
        --live;
    }

    double value() const { return *checked().value_; }

private:
    const hostile_scalar& checked() const {
        if (self_ != this) throw std::logic_error("hostile_scalar used without construction or after destruction");
        return *this;
    }
    hostile_scalar& checked() { return const_cast<hostile_scalar&>(std::as_const(*this).checked()); }
    static double copied_value(const hostile_scalar& other) {
        if (copies_until_throw >= 0 && copies_until_throw-- == 0) throw std::runtime_error("hostile copy");
        return other.value();
    }

    const hostile_scalar* self_;
    double* value_;
};

static_assert(!std::is_trivially_copyable_v<hostile_scalar>);

// Starts every test case from zero live instances and, on leaving, checks
// that none leaked and nothing was destroyed twice.
struct live_count_guard {
    live_count_guard() {
        hostile_scalar::live = 0;
        hostile_scalar::bad_destroys = 0;
        hostile_scalar::copies_until_throw = -1;
    }
    ~live_count_guard() {
        CHECK(hostile_scalar::live == 0);
        CHECK(hostile_scalar::bad_destroys == 0);
    }
};

bool all_equal(const matrix<hostile_scalar>& m, double value) {
    for (const auto& x : m.elements())
        if (x.value() != value) return false;
    return true;
}

}  // namespace

TEST_CASE("matrix: one live element per entry, none after destruction", "[tensor][matrix]") {
    live_count_guard guard;
    {
        const matrix<hostile_scalar> zeros(3, 5);
        CHECK(hostile_scalar::live == 15);
        CHECK(all_equal(zeros, 0.0));
        const matrix<hostile_scalar> halves(2, 2, hostile_scalar(0.5));
        CHECK(hostile_scalar::live == 19);
        CHECK(all_equal(halves, 0.5));
    }
}

TEST_CASE("matrix: copies are deep, moves transfer", "[tensor][matrix]") {
    live_count_guard guard;
    matrix<hostile_scalar> a(2, 3, hostile_scalar(1.0));
    matrix<hostile_scalar> b = a;
    CHECK(hostile_scalar::live == 12);
    b(0, 0) = 2.0;
    CHECK(a(0, 0).value() == 1.0);

    matrix<hostile_scalar> c = std::move(b);
    CHECK(hostile_scalar::live == 12);
    CHECK(c(0, 0).value() == 2.0);

    matrix<hostile_scalar> d(4, 4);
    d = c;  // 16 destroyed, 6 built
    CHECK(hostile_scalar::live == 18);
    d = std::move(a);  // d's 6 destroyed
    CHECK(hostile_scalar::live == 12);
    CHECK(all_equal(d, 1.0));

    auto& same = d;
    d = same;
    d = std::move(same);
    CHECK(hostile_scalar::live == 12);
    CHECK(all_equal(d, 1.0));

    d.fill(hostile_scalar(3.0));
    CHECK(all_equal(d, 3.0));
    CHECK(hostile_scalar::live == 12);
}

TEST_CASE("matrix: an element that throws while being built leaks nothing", "[tensor][matrix]") {
    live_count_guard guard;
    const hostile_scalar one(1.0);

    hostile_scalar::copies_until_throw = 4;
    CHECK_THROWS_AS(matrix<hostile_scalar>(3, 3, one), std::runtime_error);
    CHECK(hostile_scalar::live == 1);

    hostile_scalar::copies_until_throw = -1;
    const matrix<hostile_scalar> source(2, 4, one);
    matrix<hostile_scalar> target(1, 2, hostile_scalar(7.0));
    hostile_scalar::copies_until_throw = 6;
    CHECK_THROWS_AS(target = source, std::runtime_error);
    CHECK(hostile_scalar::live == 1 + 8 + 2);
    CHECK(target.rows() == 1);  // the assignment failed as a whole
    CHECK(all_equal(target, 7.0));
    hostile_scalar::copies_until_throw = -1;
}
