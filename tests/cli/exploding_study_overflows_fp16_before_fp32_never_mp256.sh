#!/usr/bin/env bash
# gradlab run --preset exploding: a deep ReLU network initialised too large.
# The first non-finite value (events.jsonl's nonfinite_origin) must appear
# in fp16 at an earlier step than in fp32, and never in mp256.
set -u
gradlab=$(realpath "$1")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! "$gradlab" run --preset exploding --out "$work/run" --quiet; then
    echo "FAIL: gradlab run --preset exploding failed"
    exit 1
fi
# nlohmann::json writes an object's keys in sorted order: ..."precision":"fp16",..."step":N,...
origin_step() {
    grep '"event":"nonfinite_origin"' "$work/run/events.jsonl" | grep "\"precision\":\"$1\"" \
        | sed 's/.*"step":\([0-9]*\).*/\1/' | head -n 1
}
fp16=$(origin_step fp16)
fp32=$(origin_step fp32)
mp256=$(origin_step mp256)
echo "first non-finite step: fp16 '${fp16}', fp32 '${fp32}', mp256 '${mp256}'"
failures=0
if [[ -z $fp16 ]]; then echo "FAIL: no non-finite value in fp16"; failures=$((failures + 1)); fi
if [[ -z $fp32 ]]; then echo "FAIL: no non-finite value in fp32"; failures=$((failures + 1)); fi
if [[ -n $fp16 && -n $fp32 && $fp16 -ge $fp32 ]]; then
    echo "FAIL: fp16's first non-finite step ($fp16) is not before fp32's ($fp32)"
    failures=$((failures + 1))
fi
if [[ -n $mp256 ]]; then echo "FAIL: mp256 produced a non-finite value at step $mp256"; failures=$((failures + 1)); fi
exit $((failures > 0))
