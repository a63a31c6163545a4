#pragma once
// The SIMD instruction set the kernels use: chosen once, at first use, as the
// best one both the CPU and this build support, and capped by the environment
// variable GRADLAB_ISA (generic, sse2, avx2, avx512). Valgrind cannot run
// AVX-512 code, so GRADLAB_ISA=avx2 (or generic, the scalar reference code)
// lets Valgrind-based tools run gradlab.

#include <string_view>
#include <vector>

namespace gradlab {

enum class isa { generic, sse2, avx2, avx512 };

std::string_view isa_name(isa level);
// Every level this build compiled that the CPU can run, lowest first.
std::vector<isa> supported_isas();
// Throws std::invalid_argument, naming `function` and the level, unless
// `level` is one of supported_isas().
void require_supported_isa(isa level, std::string_view function);
// The level in use; throws std::runtime_error (on every call) if GRADLAB_ISA
// names an unknown level or one this CPU or build lacks.
isa active_isa();

}  // namespace gradlab
