#!/usr/bin/env bash
# gradlab report: a directory that is not a finished run (missing, no
# summary.json, a truncated table, garbled JSON) and a Python without numpy
# and matplotlib each give one clear error naming the culprit on stderr, a
# non-zero exit code, and no report directory; an earlier report survives a
# failed one untouched.
set -u
gradlab=$(realpath "$1")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# A finished run to break: two steps of a tiny study.
cat > tiny.toml <<'TOML'
steps = 2
precisions = ["fp16", "fp32"]
[model]
input_dim = 2
mlp = { width = 3, depth = 2, activation = "tanh", outputs = 1 }
[data]
samples = 8
[training]
batch_size = 4
TOML
"$gradlab" run tiny.toml --out good --quiet || fail "the tiny study did not run"

expect_error() {  # expect_error NAME RUN_DIR "what the message must contain" [ENV...]
    local name=$1 dir=$2 expected=$3
    shift 3
    local out status
    out=$(env "$@" "$gradlab" report "$dir" 2>"$work/err"); status=$?
    if [[ $status -ne 2 || -n $out || $(cat "$work/err") != *"$expected"* || $(grep -c "error" "$work/err") -ne 1 ]]; then
        fail "$name -> status $status, stdout '$out', stderr '$(cat "$work/err")' (wanted exit 2 and one message with '$expected')"
    fi
    [[ ! -e "$dir/report" ]] || fail "$name left $dir/report behind"
    if ls -a "$dir" 2>/dev/null | grep -q '^\.report'; then fail "$name left a temporary directory in $dir"; fi
}

expect_error missing_directory "$work/no_such_run" "no_such_run: not a directory"
mkdir empty
expect_error no_summary empty "empty: no summary.json"
cp -r good truncated && head -c 2000 good/layers.csv > truncated/layers.csv
expect_error truncated_table truncated "truncated/layers.csv: the last line is cut short"
cp -r good short_row && head -n 5 good/layers.csv | sed '$ s/,[^,]*,[^,]*$//' > short_row/layers.csv
expect_error short_row short_row "short_row/layers.csv: line 5 has"
cp -r good cut_header && head -c 100 good/steps.csv > cut_header/steps.csv && echo >> cut_header/steps.csv
expect_error cut_header cut_header "cut_header/steps.csv: no column"
cp -r good garbled && echo '{"study": "x", "lanes": [' > garbled/summary.json
expect_error garbled_summary garbled "garbled/summary.json: malformed"
cp -r good no_python
expect_error python_without_packages no_python "apt-get install python3-numpy python3-matplotlib" GRADLAB_PYTHON=/bin/false

# A good run gets its report; a failed second attempt leaves it as it was.
"$gradlab" report good >/dev/null || fail "the good run's report was not written"
[[ -s good/report/report.html ]] || fail "good/report/report.html missing or empty"
before=$(md5sum good/report/report.html)
head -c 200 good/steps.csv > "$work/steps" && cp "$work/steps" good/steps.csv
"$gradlab" report good >/dev/null 2>&1 && fail "a truncated steps.csv was reported on"
[[ $(md5sum good/report/report.html) == "$before" ]] || fail "a failed report replaced the earlier one"

[[ $failures -eq 0 ]] && echo "all report bad-input checks passed"
exit $((failures > 0))
