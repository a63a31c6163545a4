#pragma once
// MPFR variables that are initialised once and kept. Declared thread_local in
// a kernel, they are that thread's temporaries, reused from call to call
// (OpenMP's worker threads persist between parallel regions). mpfr_set_prec
// reallocates a significand only when the new precision needs more limbs than
// the variable has ever held (MPFR keeps the larger allocation when the
// precision goes down), so once a thread has used the widest precision of a
// run, asking for variables allocates nothing.

#include <cstddef>
#include <span>
#include <vector>

#include <mpfr.h>

namespace gradlab::kernels_detail {

class mpfr_variables {
public:
    mpfr_variables() = default;
    ~mpfr_variables() {
        for (auto& v : values_) mpfr_clear(&v);
    }
    mpfr_variables(const mpfr_variables&) = delete;
    mpfr_variables& operator=(const mpfr_variables&) = delete;

    // The first `count` variables, each of precision `bits`, their values NaN.
    // Valid until the next call.
    std::span<__mpfr_struct> with_precision(std::size_t count, mpfr_prec_t bits) {
        if (values_.size() < count) {
            values_.reserve(count);  // the structs move; their significands do not
            while (values_.size() < count) mpfr_init2(&values_.emplace_back(), bits);
        }
        for (std::size_t i = 0; i < count; ++i) mpfr_set_prec(&values_[i], bits);
        return {values_.data(), count};
    }

private:
    std::vector<__mpfr_struct> values_;
};

}  // namespace gradlab::kernels_detail
