#!/usr/bin/env bash
# gradlab validate on malformed cases: truncated, garbled, Fortran-order,
# big-endian, object and mismatched .npy files, and broken model.json
# variants, each one clear message naming the file on stderr, exit code 2,
# nothing on stdout, and neither the --json file nor the --write-reference
# directory. NaN in the gradients under test is not bad input: it is judged
# (exit 1, the entry named). Runs under ASan/UBSan too (suite malformed_input).
set -u
gradlab=$(realpath "$1")
fixtures=$(dirname "$(realpath "$0")")/../fixtures
good="$fixtures/cases/float64_tanh_mse"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# broken NAME "what the message must contain" COMMAND...: COMMAND alters a copy of the good case in $work/NAME.
broken() {
    local name=$1 expected=$2
    shift 2
    rm -rf "${work:?}/$name" && cp -r "$good" "$work/$name"
    (cd "$work/$name" && "$@") || { fail "$name: could not break the case"; return; }
    local out status
    out=$("$gradlab" validate "$work/$name" --json "$work/$name.json" --write-reference "$work/$name.ref" \
          2>"$work/err"); status=$?
    if [[ $status -ne 2 || -n $out || $(cat "$work/err") != *"$expected"* || $(grep -c "error" "$work/err") -ne 1 ]]; then
        fail "$name -> status $status, stdout '$out', stderr '$(cat "$work/err")' (wanted exit 2, one message with '$expected')"
    fi
    [[ ! -e "$work/$name.json" && ! -e "$work/$name.ref" ]] || fail "$name: left an output behind"
}

broken truncated_npy "x.npy" sh -c 'head -c 100 x.npy > t && mv t x.npy'
broken truncated_header "layers.0.weight.npy" sh -c 'head -c 30 params/layers.0.weight.npy > t && mv t params/layers.0.weight.npy'
broken garbled_npy "y.npy" sh -c 'printf "not a numpy file at all" > y.npy'
broken fortran_order "layers.1.weight.npy" cp "$fixtures/npy/fortran_order_f8_2x3.npy" grads/layers.1.weight.npy
broken big_endian "layers.0.bias.npy" cp "$fixtures/npy/big_endian_f8_3.npy" params/layers.0.bias.npy
broken object_array "x.npy" cp "$fixtures/npy/object_2.npy" x.npy
broken wrong_shape "layers.1.weight.npy" cp "$fixtures/npy/v1_f8_2x3.npy" params/layers.1.weight.npy
broken missing_gradient "layers.2.bias.npy" rm grads/layers.2.bias.npy
broken stray_file "layers.9.weight.npy" cp grads/layers.0.weight.npy grads/layers.9.weight.npy
broken not_json "model.json" sh -c 'printf "{\"format\": " > model.json'
broken unknown_key "lyers" sed -i 's/"layers"/"lyers"/' model.json
broken unknown_activation "tanhh" sed -i '0,/"tanh"/s//"tanhh"/' model.json
broken wrong_format "gradlab-case/2" sed -i 's#gradlab-case/1#gradlab-case/2#' model.json
broken wrong_type "input_dim" sed -i 's/"input_dim": 3/"input_dim": "3"/' model.json
broken wrong_input_dim "x.npy" sed -i 's/"input_dim": 3/"input_dim": 4/' model.json
broken unknown_loss "hinge" sed -i 's/"mse"/"hinge"/' model.json
# A missing case directory.
out=$("$gradlab" validate "$work/no_such_case" 2>"$work/err"); status=$?
[[ $status -eq 2 && -z $out && $(cat "$work/err") == *"no_such_case"* ]] || fail "missing case -> status $status, '$(cat "$work/err")'"
# Bad options.
"$gradlab" validate "$good" --metric strict >/dev/null 2>"$work/err"
[[ $? -eq 2 && $(cat "$work/err") == *"strict"* ]] || fail "--metric strict: '$(cat "$work/err")'"
"$gradlab" validate "$good" --reference fp64 >/dev/null 2>"$work/err"
[[ $? -eq 2 && $(cat "$work/err") == *"not an mp precision"* ]] || fail "--reference fp64: '$(cat "$work/err")'"

# NaN in a gradient under test: judged, not refused.
cp -r "$good" "$work/nan_gradient"
/usr/bin/python3 - "$work/nan_gradient/grads/layers.0.weight.npy" <<'PY'
import sys
import numpy as np
g = np.load(sys.argv[1])
g[1, 2] = np.nan
np.save(sys.argv[1], g)
PY
out=$("$gradlab" validate "$work/nan_gradient" 2>&1); status=$?
[[ $status -eq 1 && $out == *"layers.0.weight: inf ulp (scaled) at [1,2]"* ]] || fail "NaN gradient -> status $status: $out"

[[ $failures -eq 0 ]] && echo "all validate bad-input checks passed"
exit $((failures > 0))
