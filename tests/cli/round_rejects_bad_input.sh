#!/usr/bin/env bash
# gradlab round: bad input gives one clear error on stderr, a refusal's exit
# code (2, or CLI11's for a malformed command line) and nothing on stdout;
# good input gives the table.
set -u
gradlab=$1
failures=0

expect_error() {  # expect_error "what it must say" args...
    local expected=$1; shift
    local out err status
    out=$("$gradlab" "$@" 2>/tmp/gradlab_cli_err.$$); status=$?
    err=$(cat /tmp/gradlab_cli_err.$$)
    # 2: gradlab's own errors; 100-127: CLI11's parse errors. Anything else
    # (1, or 128 and up: a signal, e.g. a sanitizer's abort) is not a clean refusal.
    if ! ((status == 2 || (status >= 100 && status < 128))) || [[ -n $out || $err != *"$expected"* ]]; then
        echo "FAIL: gradlab $* -> status $status, stdout '$out', stderr '$err' (wanted '$expected')"
        failures=$((failures + 1))
    fi
}

expect_output() {  # expect_output "text the output must contain" args...
    local expected=$1; shift
    local out status
    out=$("$gradlab" "$@" 2>&1); status=$?
    if [[ $status -ne 0 || $out != *"$expected"* ]]; then
        echo "FAIL: gradlab $* -> status $status, output '$out' (wanted '$expected')"
        failures=$((failures + 1))
    fi
}

expect_error "invalid precision 'fp17'" round --format fp17 1
expect_error "valid precisions:" round --format fp17 1
expect_error "'abc' is not a number" round --format fp16 abc
expect_error "'abc' is not a number" round --format fp16 1 2 abc   # no partial table either
expect_error "unknown rounding 'up'" round --format fp16 --rounding up 1
expect_error "stochastic rounding applies" round --format mp64 --rounding sr 1
expect_error "--format is required" round 1
expect_error "A subcommand is required" 

expect_output "0x3dcd" round --format bf16 0.1
expect_output "0x7c00" round --format fp16 65520
expect_output "0x7bff" round --format fp16 --rounding rz 65520
expect_output "0x0001" round --format fp16 5.9604644775390625e-08
expect_output "0x7f" round --format fp8e4m3 500
expect_output "0x3e00" < <(echo "1.5") round --format fp16
expect_output "precisions:" info
expect_output "SIMD instruction set" info
expect_output "gradlab round" round --help

rm -f /tmp/gradlab_cli_err.$$
[[ $failures -eq 0 ]] && echo "all CLI checks passed"
exit $((failures > 0))
