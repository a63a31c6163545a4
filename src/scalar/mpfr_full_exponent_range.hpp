#pragma once
// While alive, MPFR on this thread has its widest exponent range, and the
// caller's range and flags come back when it ends: callers emulate formats
// with mpfr_set_emax, and reading a value must neither depend on that nor
// change their flags.

#include <mpfr.h>

namespace gradlab::detail {

class mpfr_full_exponent_range {
public:
    mpfr_full_exponent_range() {
        mpfr_set_emin(mpfr_get_emin_min());
        mpfr_set_emax(mpfr_get_emax_max());
    }
    ~mpfr_full_exponent_range() {
        mpfr_set_emin(emin_);
        mpfr_set_emax(emax_);
        mpfr_flags_restore(flags_, MPFR_FLAGS_ALL);
    }
    mpfr_full_exponent_range(const mpfr_full_exponent_range&) = delete;
    mpfr_full_exponent_range& operator=(const mpfr_full_exponent_range&) = delete;

private:
    mpfr_exp_t emin_ = mpfr_get_emin(), emax_ = mpfr_get_emax();
    mpfr_flags_t flags_ = mpfr_flags_save();
};

}  // namespace gradlab::detail
