#!/usr/bin/env bash
# gradlab run --preset single-neuron and two-layer print each chain-rule
# factor of the backward pass, per precision: on the terminal for the first
# two steps, in chain_rule.txt for every step and lane.
set -u
gradlab=$(realpath "$1")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

out=$("$gradlab" run --preset single-neuron --out "$work/single" 2>/dev/null) || fail "single-neuron did not run"
for precision in fp16 bf16 fp32 mp256; do
    [[ $out == *"step 0, main in $precision:"* ]] || fail "no step 0 factors for $precision on the terminal"
done
[[ $out == *"dL/dy = ["* ]] || fail "the loss gradient is not printed"
[[ $out == *"layer 0 (dense): dL/dlayers.0.weight = (dL/dy)^T x = ["* ]] || fail "the weight gradient is not printed"
[[ $out != *"step 2, main"* ]] || fail "steps after the first two are printed on the terminal"
# 100 steps x 4 lanes in the file.
blocks=$(grep -c '^step [0-9]*, main in ' "$work/single/chain_rule.txt")
[[ $blocks -eq 400 ]] || fail "chain_rule.txt has $blocks step blocks, not 400"

out=$("$gradlab" run --preset two-layer --out "$work/two" 2>/dev/null) || fail "two-layer did not run"
[[ $out == *"layer 1 (tanh): da1/da0 = tanh'(a0) = ["* ]] || fail "two-layer: tanh's derivative is not printed"
[[ $out == *"layer 1 (tanh): dL/da0 = dL/da1 * tanh'(a0) = ["* ]] || fail "two-layer: the product dL/da0 is not printed"
[[ $out == *"layer 0 (dense): dL/dlayers.0.weight = (dL/da0)^T x = ["* ]] || fail "two-layer: the first layer's weight gradient is not printed"
[[ $out == *"dL/dlayers.2.weight = (dL/dy)^T a1 = ["* ]] || fail "two-layer: the output layer's weight gradient is not printed"
[[ $out == *"dL/da1 = dL/dy W = ["* ]] || fail "two-layer: the gradient sent back through the output layer is not printed"

[[ $failures -eq 0 ]] && echo "chain-rule factors printed"
exit $((failures > 0))
