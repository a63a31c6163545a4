#include "gradlab/platform/isa.hpp"

#include <cstdlib>
#include <stdexcept>
#include <string>

#include <xsimd/xsimd.hpp>

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
    const auto cpu = xsimd::available_architectures();
    levels.push_back(isa::sse2);
#if defined(GRADLAB_HAVE_AVX2)
    if (cpu.avx2 && cpu.fma3_avx2) levels.push_back(isa::avx2);
#endif
#if defined(GRADLAB_HAVE_AVX512)
    if (cpu.avx512f && cpu.avx512bw && cpu.avx512dq && cpu.avx2) levels.push_back(isa::avx512);
#endif
#endif
    return levels;
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
