#pragma once
// While alive, floating-point arithmetic on this thread has gradual underflow:
// the x86 flush-to-zero and denormals-are-zero modes (set by -ffast-math's
// start-up code, or by a host program) are off, and the caller's modes come
// back when it ends. Entry points whose results must be exact subnormals hold
// one; the rounding kernels themselves work on encodings with integer
// operations and do not need it.

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

namespace gradlab {

class gradual_underflow_scope {
public:
#if defined(__x86_64__) || defined(__i386__)
    gradual_underflow_scope() : saved_(_mm_getcsr()) {
        constexpr unsigned flush_to_zero = 1u << 15, denormals_are_zero = 1u << 6;
        if (saved_ & (flush_to_zero | denormals_are_zero)) _mm_setcsr(saved_ & ~(flush_to_zero | denormals_are_zero));
    }
    ~gradual_underflow_scope() { _mm_setcsr(saved_); }

private:
    unsigned saved_;
#endif
public:
    gradual_underflow_scope(const gradual_underflow_scope&) = delete;
    gradual_underflow_scope& operator=(const gradual_underflow_scope&) = delete;
};

}  // namespace gradlab
