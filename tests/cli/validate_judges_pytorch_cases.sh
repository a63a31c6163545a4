#!/usr/bin/env bash
# gradlab validate on the PyTorch cases of tests/fixtures/cases/ (made by
# analysis/fixtures/make_validation_cases.py): every ordinary float64 and
# float32 case (each activation, both losses) is within 16 ulp on the
# tensor's scale (the default metric; an mpmath check put them at most 8.8
# and 5.8 ulp off); the case with one corrupted gradient entry fails and the
# report points at that entry; the saturated deep tanh network, whose
# PyTorch gradients lose every digit (tanh' = 1 - y^2 of a rounded y), fails
# too, and gradlab says its own fp64 computation with the same formulas does
# no better. --json and --write-reference write what they promise.
set -u
gradlab=$(realpath "$1")
cases=$(dirname "$(realpath "$0")")/../fixtures/cases
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

ordinary=0
for dir in "$cases"/float{32,64}_*; do
    name=$(basename "$dir")
    [[ $name == *corrupted* || $name == *saturated* ]] && continue
    ordinary=$((ordinary + 1))
    out=$("$gradlab" validate "$dir" 2>&1); status=$?
    [[ $status -eq 0 && $out == *"all within 16 ulp (scaled)"* ]] || fail "$name: status $status; $out"
done
[[ $ordinary -eq 32 ]] || fail "found $ordinary ordinary cases, expected 32 (16 per dtype)"

out=$("$gradlab" validate "$cases/float64_tanh_mse_corrupted" --json "$work/corrupted.json" 2>&1); status=$?
[[ $status -eq 1 ]] || fail "corrupted: status $status, expected 1"
[[ $out == *"layers.1.weight: "*" at [2,3]: yours "* ]] || fail "corrupted: the report does not point at layers.1.weight [2,3]: $out"
[[ $out == *"layers.1.weight: gradlab's own fp64 computation is within tolerance there, so yours is beyond what fp64 arithmetic needs"* ]] || fail "corrupted: not diagnosed as a defect: $out"
# Only that tensor fails.
[[ $(grep -c 'BEYOND' <<<"$out") -eq 1 ]] || fail "corrupted: more than one tensor is flagged: $out"
/usr/bin/python3 - "$work/corrupted.json" <<'PY' || fail "corrupted: the JSON report is wrong"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["format"] == "gradlab-validation/1" and r["passed"] is False and r["metric"] == "scaled"
bad = [t for t in r["tensors"] if not t["within_tolerance"]]
assert [t["name"] for t in bad] == ["layers.1.weight"], bad
assert bad[0]["given"]["worst"]["index"] == [2, 3], bad[0]["given"]["worst"]
assert bad[0]["given"]["beyond_tolerance"] == 1
PY

out=$("$gradlab" validate "$cases/float64_tanh_saturated_mse" 2>&1); status=$?
[[ $status -eq 1 ]] || fail "saturated: status $status, expected 1"
[[ $out == *"layers.0.weight: "* ]] || fail "saturated: the first layer is not flagged: $out"
[[ $out == *"those formulas lose the gradient in fp64"* ]] || fail "saturated: not diagnosed: $out"

# The strict metric calls an ordinary float64 case wrong where the scaled one does not.
"$gradlab" validate "$cases/float64_sigmoid_softmax_cross_entropy" --metric elementwise >/dev/null 2>&1
[[ $? -eq 1 ]] || fail "elementwise: an entry with cancellation should be beyond 16 elementwise ulp"

"$gradlab" validate "$cases/float64_gelu_mse" --write-reference "$work/ref" >/dev/null 2>&1 || fail "write-reference: non-zero exit"
/usr/bin/python3 - "$work/ref" "$cases/float64_gelu_mse" <<'PY' || fail "write-reference: wrong contents"
import json, pathlib, sys
import numpy as np
ref, case = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
doc = json.load(open(ref / "reference.json"))
assert doc["format"] == "gradlab-reference/1" and doc["precision"] == "mp256"
for name in (p.stem for p in (case / "grads").glob("*.npy")):
    g = np.load(ref / "grads" / f"{name}.npy")
    assert g.dtype == np.float64 and g.shape == np.load(case / "grads" / f"{name}.npy").shape, name
    values = doc["gradients"][name]["values"]
    assert len(values) == g.size
    # 45 significant digits, and the .npy is the decimal rounded to float64.
    assert all(len(v.lstrip("-").split("e")[0].replace(".", "").lstrip("0")) >= 40 for v in values if float(v) != 0)
    assert np.array_equal(g.ravel(), np.array([float(v) for v in values]))
assert np.load(ref / "loss.npy").shape == (1,)
PY
# An existing, non-empty --write-reference directory is refused.
"$gradlab" validate "$cases/float64_gelu_mse" --write-reference "$work/ref" >/dev/null 2>&1
[[ $? -eq 2 ]] || fail "write-reference into a non-empty directory: expected exit 2"

[[ $failures -eq 0 ]] && echo "$ordinary ordinary cases pass; the corrupted and saturated cases fail as they should"
exit $((failures > 0))
