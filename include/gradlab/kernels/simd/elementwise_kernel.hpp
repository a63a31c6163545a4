#pragma once
// The SIMD kernels behind elementwise.hpp and activation.hpp (declarations;
// the definitions are in elementwise_kernel_impl.hpp), compiled once per
// instruction set (src/kernels/simd/elementwise_<isa>.cpp) and chosen by the
// callers from the level they are given. One pass over the arrays, batch by
// batch, the tail through a zero-padded batch; out may alias an input.

#include <cstddef>

#include "gradlab/kernels/activation_kind.hpp"

namespace gradlab::simd {

enum class linear_op {
    add,       // x + y
    scale,     // a x
    axpy,      // a x + y, the product rounded, then the sum
    hadamard,  // x y
};

// v as it stands, forced into a register: written rounded(a * x) + y, the
// product is rounded before the sum even where the compiler contracts a * x +
// y into one FMA (GCC does by default, -ffp-contract=fast, in the AVX2 and
// AVX-512 units), so axpy rounds twice on every instruction set. V: float,
// double or an xsimd batch.
template <class V>
inline V rounded(V v) {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    if constexpr (requires { typename V::register_type; }) {
        auto r = static_cast<typename V::register_type>(v);
        asm("" : "+x"(r));
        return V(r);
    } else {
        asm("" : "+x"(v));
    }
#endif
    return v;
}

// out[i] = op(a, x[i], y[i]); y is not read by scale.
template <class Arch, class T>
void linear_kernel(linear_op op, T a, const T* x, const T* y, T* out, std::size_t n);

// out[i] = e^x[i]
template <class Arch, class T>
void exponential_kernel(const T* x, T* out, std::size_t n);

// y[i] = f(x[i]); every kind for float, every kind but gelu for double (the
// callers compute double gelu with the scalar code: xsimd 8.1's double erfc
// is off by up to 5e7 ulps above 2.2, measured against MPFR).
template <class Arch, class T>
void activation_forward_kernel(activation_kind kind, T parameter, const T* x, T* y, std::size_t n);

// d[i] = f'(x[i]) given y[i] = f(x[i]); the same kinds as the forward kernel.
template <class Arch, class T>
void activation_derivative_kernel(activation_kind kind, T parameter, const T* x, const T* y, T* d, std::size_t n);

}  // namespace gradlab::simd
