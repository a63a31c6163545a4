#pragma once
// MPFR's exponent range is a per-thread setting that callers may narrow (to
// emulate a format with mpfr_set_emax, say); the kernels compute in the
// widest one, so results do not depend on the thread that computes them (a
// range narrowed on the calling thread alone would make its blocks differ).

#include <mpfr.h>

namespace gradlab::kernels_detail {

// While alive, MPFR's exponent range on this thread is the widest there is;
// the caller's comes back at the end.
class widest_exponent_range {
public:
    widest_exponent_range() : emin_(mpfr_get_emin()), emax_(mpfr_get_emax()) {
        mpfr_set_emin(mpfr_get_emin_min());
        mpfr_set_emax(mpfr_get_emax_max());
    }
    ~widest_exponent_range() {
        mpfr_set_emin(emin_);
        mpfr_set_emax(emax_);
    }
    widest_exponent_range(const widest_exponent_range&) = delete;
    widest_exponent_range& operator=(const widest_exponent_range&) = delete;

private:
    mpfr_exp_t emin_, emax_;
};

}  // namespace gradlab::kernels_detail
