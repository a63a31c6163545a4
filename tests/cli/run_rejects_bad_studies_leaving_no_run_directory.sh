#!/usr/bin/env bash
# gradlab run: a bad study (unknown key, wrong type, negative width, unknown
# activation, unknown precision, missing file) gives one clear error naming
# the culprit on stderr, a non-zero exit code, nothing on stdout, and no run
# directory: neither the --out one nor a default one under runs/.
set -u
gradlab=$(realpath "$1")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
failures=0

# A small valid study; each case below breaks one thing in it.
good_study() {
    cat <<'TOML'
name = "bad_input_probe"
steps = 2
precisions = ["fp16", "fp32"]
reference = "none"

[model]
input_dim = 3
mlp = { width = 4, depth = 2, activation = "tanh", outputs = 1 }

[data]
samples = 8

[training]
batch_size = 4
TOML
}

expect_error() {  # expect_error NAME "what the message must contain" < study
    local name=$1 expected=$2
    cat > "$name.toml"
    local out err status messages
    out=$("$gradlab" run "$name.toml" --out "$work/run_$name" --quiet 2>"$work/err"); status=$?
    err=$(cat "$work/err")
    messages=$(grep -c "error:" "$work/err")
    if [[ $status -eq 0 || -n $out || $(head -n 1 "$work/err") != *"$expected"* || $messages -ne 1 ]]; then
        echo "FAIL: $name -> status $status, stdout '$out', stderr '$err' (wanted one message with '$expected' in its first line)"
        failures=$((failures + 1))
    fi
    if [[ -e "$work/run_$name" || -e "$work/runs" ]]; then
        echo "FAIL: $name left a run directory behind"
        failures=$((failures + 1))
    fi
}

good_study | sed 's/^steps = 2/stepz = 2/' | expect_error unknown_key "key 'stepz' (did you mean 'steps'?)"
good_study | sed 's/^steps = 2/steps = "two"/' | expect_error wrong_type "steps: expected an integer, got a string"
good_study | sed 's/width = 4/width = -4/' | expect_error negative_width "model.mlp.width: must be a positive integer, got -4"
good_study | sed 's/"tanh"/"tanhh"/' | expect_error unknown_activation "unknown activation \"tanhh\""
good_study | sed 's/"fp16", "fp32"/"fp16", "fp33"/' | expect_error unknown_precision "precisions[1]: invalid precision 'fp33'"
good_study | sed 's/^samples = 8/kind = "npy"\nx = "missing_x.npy"\ny = "missing_y.npy"/' \
    | expect_error missing_data_file "missing_x.npy"

# A study file that does not exist.
out=$("$gradlab" run "$work/no_such_study.toml" --quiet 2>"$work/err"); status=$?
if [[ $status -eq 0 || -n $out || $(cat "$work/err") != *"no_such_study.toml"* || -e "$work/runs" ]]; then
    echo "FAIL: missing study file -> status $status, stderr '$(cat "$work/err")'"
    failures=$((failures + 1))
fi

# The good study runs and writes every output.
good_study > good.toml
if ! "$gradlab" run good.toml --out "$work/run_good" --quiet; then
    echo "FAIL: the good study did not run"
    failures=$((failures + 1))
fi
for f in config.toml steps.csv layers.csv summary.json; do
    [[ -s "$work/run_good/$f" ]] || { echo "FAIL: run_good/$f missing or empty"; failures=$((failures + 1)); }
done
[[ -e "$work/run_good/events.jsonl" ]] || { echo "FAIL: run_good/events.jsonl missing"; failures=$((failures + 1)); }
if ls "$work/run_good" | grep -q partial; then
    echo "FAIL: a .partial file was left in the run directory"
    failures=$((failures + 1))
fi
# An existing, non-empty --out is refused, and left as it was.
out=$("$gradlab" run good.toml --out "$work/run_good" --quiet 2>"$work/err"); status=$?
if [[ $status -eq 0 || $(cat "$work/err") != *"not empty"* || ! -s "$work/run_good/steps.csv" ]]; then
    echo "FAIL: a non-empty --out -> status $status, stderr '$(cat "$work/err")'"
    failures=$((failures + 1))
fi

[[ $failures -eq 0 ]] && echo "all run bad-input checks passed"
exit $((failures > 0))
