#!/usr/bin/env bash
# gradlab presets lists every built-in study, one line each with its
# description; --show prints one byte for byte as its examples/studies file;
# an unknown name is one error naming the valid ones, with nothing on stdout.
set -u
gradlab=$1
studies=$2
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

list=$("$gradlab" presets) || fail "gradlab presets exited with $?"
[[ $(head -n 1 <<< "$list") == vanishing\ * ]] || fail "the default preset is not listed first: '$list'"
declare -A listed  # name -> description, as listed
while IFS= read -r line; do
    [[ $line =~ ^([^ ]+)\ +(.*)$ ]] && listed[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
done <<< "$list"
for file in "$studies"/*.toml; do
    name=$(basename "$file" .toml)
    description=$(sed -n 's/^description = "\(.*\)"$/\1/p' "$file")
    [[ ${listed[$name]-} == "$description" ]] || fail "$name is listed as '${listed[$name]-}', not '$description'"
    # cmp, not $(...): command substitution would drop trailing newlines.
    "$gradlab" presets --show "$name" | cmp -s - "$file" || fail "presets --show $name differs from $file"
done
[[ $(wc -l <<< "$list") -eq $(ls "$studies"/*.toml | wc -l) ]] || fail "not one line per study file: $list"

out=$("$gradlab" presets --show vanishng 2>/tmp/gradlab_presets_err.$$); status=$?
err=$(cat /tmp/gradlab_presets_err.$$); rm -f /tmp/gradlab_presets_err.$$
[[ $status -ne 0 && -z $out && $err == *"unknown preset 'vanishng'"*"exploding"* ]] ||
    fail "presets --show vanishng -> status $status, stdout '$out', stderr '$err'"

[[ $("$gradlab" presets --help) == *"--show NAME"* ]] || fail "presets --help does not document --show NAME"

[[ $failures -eq 0 ]] && echo "all presets checks passed"
exit $((failures > 0))
