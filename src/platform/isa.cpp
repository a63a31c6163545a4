#include "gradlab/platform/isa.hpp"

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace gradlab {

std::string_view isa_name(isa level) {
    switch (level) {
        case isa::generic: return "generic";
        case isa::sse2: return "sse2";
        case isa::avx2: return "avx2";
        case isa::avx512: return "avx512";
    }
    return "?";
}

std::vector<isa> supported_isas() {
    std::vector<isa> levels{isa::generic};
#if defined(__x86_64__)
    // libgcc's CPU model also checks that the OS saves the wider registers
    // (XCR0), which CPUID alone does not tell.
    levels.push_back(isa::sse2);
#if defined(GRADLAB_HAVE_AVX2)
    const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (avx2) levels.push_back(isa::avx2);
#endif
#if defined(GRADLAB_HAVE_AVX512)
    if (avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
        levels.push_back(isa::avx512);
#endif
#endif
    return levels;
}

void require_supported_isa(isa level, std::string_view function) {
    static const std::vector<isa> supported = supported_isas();
    for (isa s : supported)
        if (s == level) return;
    throw std::invalid_argument(std::string(function) + ": instruction set " + std::string(isa_name(level)) +
                                " is not available on this CPU and build");
}

namespace {

isa choose_isa() {
    const auto levels = supported_isas();
    const char* requested = std::getenv("GRADLAB_ISA");
    if (requested == nullptr || *requested == '\0') return levels.back();
    std::string valid;
    for (isa level : levels) {
        if (isa_name(level) == requested) return level;
        valid += (valid.empty() ? "" : ", ") + std::string(isa_name(level));
    }
    throw std::runtime_error("GRADLAB_ISA=" + std::string(requested) +
                             " is not available on this CPU and build; valid: " + valid);
}

}  // namespace

isa active_isa() {
    static const isa level = choose_isa();
    return level;
}

}  // namespace gradlab
