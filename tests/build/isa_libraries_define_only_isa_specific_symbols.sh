#!/usr/bin/env bash
# The AVX2 and AVX-512 kernel libraries are compiled with -mavx2 / -mavx512*.
# Any symbol they define that baseline code could also use (an inline
# function, a std:: template instantiated on the same types) is a weak symbol
# the linker may take from them, putting AVX-512 instructions on a path that
# runs on CPUs without AVX-512 and under Valgrind. So every symbol they define
# must name their own instruction set.
set -u
status=0
for library in "$@"; do
    isa=$(basename "$library" .a); isa=${isa#libgradlab_}
    case $isa in
        avx2) tag='xsimd::avx2' ;;
        avx512) tag='xsimd::avx512' ;;
        *) echo "unknown kernel library $library"; exit 1 ;;
    esac
    if ! symbols=$(nm -C --defined-only "$library"); then
        echo "FAIL: nm cannot read $library"
        status=1
        continue
    fi
    # defined symbols of every kind but local ones, demangled
    offending=$(awk '$2 ~ /^[TWVDBRu]$/' <<<"$symbols" |
        grep -v -F "$tag" | grep -v 'DW.ref.__gxx_personality_v0' || true)
    if [[ -n $offending ]]; then
        echo "FAIL: $library defines symbols that are not specific to $isa:"
        echo "$offending"
        status=1
    else
        echo "$library: every defined symbol names $tag"
    fi
done
exit $status
