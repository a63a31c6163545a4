#!/usr/bin/env bash
# gradlab gradcheck: the two-layer and vanishing presets' gradients agree with
# finite differences (exit 0, an "ok" line per tensor and per variant); bad
# input (a non-mp precision, a missing study file, an unknown variant) gives
# one error message, nothing on stdout and exit 2.
set -u
gradlab=$1
# Small mp kernels gain nothing from a second thread on a shared machine.
export OMP_NUM_THREADS=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

expect_ok() {  # expect_ok "variant final lines wanted" "tensor lines wanted" args...
    local variants=$1 tensors=$2; shift 2
    local out status
    out=$("$gradlab" gradcheck "$@" 2>"$work/err"); status=$?
    local finals ok_tensors
    finals=$(grep -cE '^[a-z_]+: ok, ([0-9]+) of \1 tensors' <<<"$out")
    ok_tensors=$(grep -cE '^  layers\..* ok$' <<<"$out")
    if [[ $status -ne 0 || $finals -ne $variants || $ok_tensors -ne $tensors || -s "$work/err" ]] ||
        grep -q MISMATCH <<<"$out"; then
        echo "FAIL: gradlab gradcheck $* -> status $status, $finals ok variants (wanted $variants)," \
             "$ok_tensors ok tensors (wanted $tensors), output:"
        echo "$out"; cat "$work/err"
        failures=$((failures + 1))
    fi
}

expect_error() {  # expect_error "what the message must say" args...
    local expected=$1; shift
    local out status messages
    out=$("$gradlab" gradcheck "$@" 2>"$work/err"); status=$?
    messages=$(grep -c "error:" "$work/err")
    if [[ $status -ne 2 || -n $out || $(cat "$work/err") != *"$expected"* || $messages -ne 1 ]]; then
        echo "FAIL: gradlab gradcheck $* -> status $status, stdout '$out', stderr '$(cat "$work/err")'" \
             "(wanted exit 2 and one message with '$expected')"
        failures=$((failures + 1))
    fi
}

start=$SECONDS
expect_ok 1 4 --preset two-layer
expect_ok 2 84 --preset vanishing --entries 4  # sigmoid and tanh, 42 tensors each
echo "presets checked in $((SECONDS - start)) s"

expect_error "gradcheck needs an mp precision, e.g. mp512" --preset two-layer --precision fp32
expect_error "no_such_study.toml" "$work/no_such_study.toml"
expect_error "has no variant 'cosine' (it has sigmoid, tanh)" --preset vanishing --variant cosine
expect_error "give a study file or --preset NAME" --preset two-layer "$work/no_such_study.toml"

if [[ $failures -ne 0 ]]; then
    echo "$failures failure(s)"
    exit 1
fi
echo "all gradcheck CLI checks passed"
