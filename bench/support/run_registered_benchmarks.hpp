#pragma once
// The common end of every benchmark program's main(): parse Google
// Benchmark's flags, record the instruction set the kernels dispatch to
// (GRADLAB_ISA caps it) in the report's context, and run what is registered.

#include <benchmark/benchmark.h>

#include <string>

#include "gradlab/platform/isa.hpp"

namespace gradlab::bench {

inline int run_registered_benchmarks(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::AddCustomContext("gradlab_isa", std::string(isa_name(active_isa())));
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}

}  // namespace gradlab::bench
