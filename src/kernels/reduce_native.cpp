// Reductions of fp32 and fp64 arrays: the blocked drivers over the SIMD
// kernel set of the chosen instruction set, or the scalar reference kernels.

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include <xsimd/xsimd.hpp>

#include "blocked_reduction.hpp"
#include "gradlab/kernels/reduce.hpp"
#include "gradlab/kernels/simd/reduce_kernel.hpp"
#include "gradlab/platform/gradual_underflow_scope.hpp"

namespace gradlab {

namespace {

using namespace kernels_detail;

// The per-ISA kernels of kernels/simd/reduce_kernel.hpp as a kernel set.
template <class Arch>
struct simd_kernels {
    template <class T>
    static void sum_lanes(const T* x, std::size_t n, T* lanes) {
        simd::sum_lanes<Arch, T>(x, n, lanes);
    }
    template <class T>
    static void sum_squares_lanes(const T* x, std::size_t n, const simd::norm_scaling<T>& k,
                                  simd::squares_lanes<T>& lanes) {
        simd::sum_squares_lanes<Arch, T>(x, n, k, lanes);
    }
    template <class T>
    static T max_abs_block(const T* x, std::size_t n) {
        return simd::max_abs_block<Arch, T>(x, n);
    }
    template <class T>
    static T min_nonzero_abs_block(const T* x, std::size_t n) {
        return simd::min_nonzero_abs_block<Arch, T>(x, n);
    }
    template <class T>
    static value_census census_block(const T* x, std::size_t n, T min_normal) {
        return simd::census_block<Arch, T>(x, n, min_normal);
    }
    static void statistics_block(const float* x, std::size_t n, float min_normal, simd::statistics_lanes& lanes) {
        simd::statistics_block<Arch>(x, n, min_normal, lanes);
    }
};

// run(kernel set) on the kernels of `level`, with gradual underflow (a
// caller's flush-to-zero or denormals-are-zero mode would turn subnormal
// elements into zeros). Throws std::invalid_argument for a level this CPU or
// build does not support.
template <class Run>
auto with_kernels(isa level, Run run) {
    require_supported_isa(level, "reduction");
    const gradual_underflow_scope exact_subnormals;
    switch (level) {
        case isa::generic: return run(scalar_kernels{});
#if defined(GRADLAB_HAVE_AVX512)
        case isa::avx512: return run(simd_kernels<xsimd::avx512bw>{});
#endif
#if defined(GRADLAB_HAVE_AVX2)
        case isa::avx2: return run(simd_kernels<xsimd::avx2>{});
#endif
        default: return run(simd_kernels<xsimd::default_arch>{});
    }
}

template <class T>
T sum_any(std::span<const T> x, isa level) {
    return with_kernels(level, [&]<class K>(K) { return blocked_sum<K>(x); });
}

template <class T>
T l2_norm_any(std::span<const T> x, isa level) {
    return with_kernels(level, [&]<class K>(K) { return blocked_l2_norm<K>(x); });
}

template <class T>
T max_abs_any(std::span<const T> x, isa level) {
    return with_kernels(level, [&]<class K>(K) { return blocked_max_abs<K>(x); });
}

template <class T>
T min_nonzero_abs_any(std::span<const T> x, isa level) {
    return with_kernels(level, [&]<class K>(K) { return blocked_min_nonzero_abs<K>(x); });
}

template <class T>
value_census census_any(std::span<const T> x, const float_format& format, isa level) {
    return with_kernels(level, [&]<class K>(K) {
        // 2^emin in T: exact, or 0 when every nonzero T is normal in the format.
        return blocked_census<K>(x, std::ldexp(T(1), format.emin));
    });
}

}  // namespace

float sum(std::span<const float> x, isa level) { return sum_any(x, level); }
double sum(std::span<const double> x, isa level) { return sum_any(x, level); }

float l2_norm(std::span<const float> x, isa level) { return l2_norm_any(x, level); }
double l2_norm(std::span<const double> x, isa level) { return l2_norm_any(x, level); }

float max_abs(std::span<const float> x, isa level) { return max_abs_any(x, level); }
double max_abs(std::span<const double> x, isa level) { return max_abs_any(x, level); }

float min_nonzero_abs(std::span<const float> x, isa level) { return min_nonzero_abs_any(x, level); }
double min_nonzero_abs(std::span<const double> x, isa level) { return min_nonzero_abs_any(x, level); }

one_pass_statistics statistics_in_one_pass(std::span<const float> x, const float_format& format, isa level) {
    const auto s = with_kernels(level, [&]<class K>(K) { return blocked_statistics<K>(x, std::ldexp(1.0f, format.emin)); });
    return {.l2_norm = std::sqrt(s.squares),
            .max_abs = s.max_abs,
            .min_nonzero_abs = s.min_nonzero_abs,
            .census = s.census};
}

value_census census(std::span<const float> x, const float_format& format, isa level) {
    return census_any(x, format, level);
}
value_census census(std::span<const double> x, const float_format& format, isa level) {
    return census_any(x, format, level);
}

}  // namespace gradlab
