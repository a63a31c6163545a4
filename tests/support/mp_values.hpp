#pragma once
// MPFR values at a chosen precision for tests: one owned mpfr_t, and arrays of
// mpfr_float to fill.

#include <cstddef>
#include <vector>

#include <boost/multiprecision/mpfr.hpp>
#include <mpfr.h>

namespace gradlab::test {

// One mpfr_t of `bits` bits, cleared when it goes out of scope.
struct mp {
    mpfr_t v;
    explicit mp(mpfr_prec_t bits) { mpfr_init2(v, bits); }
    ~mp() { mpfr_clear(v); }
    mp(const mp&) = delete;
    mp& operator=(const mp&) = delete;
};

// `count` values of `bits` bits each (mpfr_float's default precision is global,
// so each is set explicitly).
inline std::vector<boost::multiprecision::mpfr_float> mp_values(std::size_t count, mpfr_prec_t bits) {
    std::vector<boost::multiprecision::mpfr_float> v(count);
    for (auto& x : v) mpfr_set_prec(x.backend().data(), bits);
    return v;
}

}  // namespace gradlab::test
