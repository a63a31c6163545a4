#!/usr/bin/env bash
# Builds gradlab (scripts/setup.sh) and shows what it does: the build and the
# machine it runs on, rounding of a few values to fp16 and bf16, then the
# main job, the default study (gradlab run --report), which writes its run
# directory and its HTML report.
#
#   bash scripts/quickstart.sh [MESON_SETUP_ARGS...]
#
# Extra arguments go to setup.sh (and from there to `meson setup`);
# BUILD_DIR is honoured as in setup.sh.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

build_dir="${BUILD_DIR:-build}"
gradlab="$build_dir/gradlab"

bash scripts/setup.sh "$@"

# Echo each command before running it, so the output can be read as a tutorial.
show() {
    echo
    echo "\$ $*"
    "$@"
}

show "$gradlab" info

# 0.1 and 3.14159 are not representable and round; 65504 is fp16's largest
# finite value and 65520 the midpoint above it, which rounds to +Inf in fp16
# but is an ordinary value in bf16; 1e-8 is below half of fp16's smallest
# subnormal (2^-24, about 5.96e-8) and becomes 0, while bf16 keeps it.
values=(0.1 3.14159 65504 65520 1e-8)
show "$gradlab" round --format fp16 "${values[@]}"
show "$gradlab" round --format bf16 "${values[@]}"
# Rounding toward zero stops at the largest finite value instead of Inf.
show "$gradlab" round --format fp16 --rounding rz "${values[@]}"

# The main job: the default study ('vanishing'), deep sigmoid and tanh
# networks trained side by side in fp16, bf16, fp32, fp64 and mp256; its run
# directory (steps.csv, layers.csv, events.jsonl, summary.json) is under runs/,
# and its report, report/report.html with the figures, inside it.
show "$gradlab" run --report
