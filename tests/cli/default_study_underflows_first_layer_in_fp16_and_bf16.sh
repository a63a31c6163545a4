#!/usr/bin/env bash
# gradlab run, without arguments, runs the default study ('vanishing'): deep
# sigmoid and tanh networks in fp16, bf16, fp32, fp64 and mp256. In its
# layers.csv the first layer's weight gradient must underflow in fp16 and
# bf16 (more than half its entries exactly zero at some recorded step) in
# the sigmoid network, while fp64 and mp256 keep every entry nonzero at every
# recorded step.
set -u
gradlab=$(realpath "$1")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

if ! "$gradlab" run --quiet; then
    echo "FAIL: gradlab run (the default study) failed"
    exit 1
fi
run=$(ls -d runs/vanishing-* 2>/dev/null | head -n 1)
if [[ -z $run || ! -s $run/layers.csv ]]; then
    echo "FAIL: no runs/vanishing-*/layers.csv"
    exit 1
fi

# Largest and smallest zero fraction of layers.0.weight's gradient, per
# variant and precision, over the recorded steps.
awk -F, '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    $col["tensor"] == "weight_gradient" && $col["parameter"] == "layers.0.weight" {
        key = $col["variant"] "/" $col["precision"]
        z = $col["zero_fraction"] + 0
        if (!(key in most) || z > most[key]) most[key] = z
        if (!(key in least) || z < least[key]) least[key] = z
    }
    END { for (k in most) print k, most[k], least[k] }' "$run/layers.csv" > fractions.txt
cat fractions.txt

failures=0
check() {  # check KEY "awk condition on most ($2) and least ($3)" description
    if ! awk -v key="$1" '$1 == key { found = 1; if ('"$2"') ok = 1 } END { exit !(found && ok) }' fractions.txt; then
        echo "FAIL: $1: $3"
        failures=$((failures + 1))
    fi
}
check sigmoid/fp16 '$2 > 0.5' "the first layer's gradient never had more than half its entries zero"
check sigmoid/bf16 '$2 > 0.5' "the first layer's gradient never had more than half its entries zero"
check sigmoid/fp64 '$2 == 0' "the first layer's gradient had zero entries"
check sigmoid/mp256 '$2 == 0' "the first layer's gradient had zero entries"
check tanh/fp64 '$2 == 0' "the first layer's gradient had zero entries"
check tanh/mp256 '$2 == 0' "the first layer's gradient had zero entries"
[[ $failures -eq 0 ]] && echo "fp16 and bf16 underflow in the first layer; fp64 and mp256 do not"
exit $((failures > 0))
