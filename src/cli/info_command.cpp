#include <boost/version.hpp>
#include <gmp.h>
#include <mpfr.h>
#include <omp.h>
#include <xsimd/xsimd.hpp>

#include <iostream>

#include "commands.hpp"
#include "gradlab/platform/isa.hpp"
#include "gradlab/scalar/precision.hpp"
#include "gradlab_config.h"

namespace gradlab::cli {

namespace {

void print_info() {
    std::cout << "gradlab " << GRADLAB_VERSION << " (" << __VERSION__ << ")\n";
    std::cout << "SIMD instruction set: " << isa_name(active_isa()) << "  (available:";
    for (isa level : supported_isas()) std::cout << " " << isa_name(level);
    std::cout << "; GRADLAB_ISA=<level> forces a lower one)\n";
    std::cout << "OpenMP threads: " << omp_get_max_threads() << "  (OMP_NUM_THREADS)\n";
    std::cout << "libraries: xsimd " << XSIMD_VERSION_MAJOR << "." << XSIMD_VERSION_MINOR << "."
              << XSIMD_VERSION_PATCH << ", Boost " << BOOST_VERSION / 100000 << "." << BOOST_VERSION / 100 % 1000 << "."
              << BOOST_VERSION % 100 << ", MPFR " << mpfr_get_version() << ", GMP " << gmp_version << "\n";
    std::cout << "precisions:\n" << precision_grammar();
}

}  // namespace

void add_info_command(CLI::App& app) {
    auto* command = app.add_subcommand("info", "Version, SIMD instruction set, threads, library versions, precisions");
    command->callback(print_info);
}

}  // namespace gradlab::cli
