#!/usr/bin/env bash
# Builds gradlab (scripts/setup.sh) and runs its test suite.
#
#   bash scripts/test.sh [MESON_TEST_ARGS...]
#
# Extra arguments go to `meson test` (e.g. a test name, --suite, --repeat 3,
# --num-processes 1). BUILD_DIR is honoured as in setup.sh, which runs with
# GRADLAB_SETUP_TEST_TOOLS=1 so that it also installs the packages only the
# tests need (Chromium, for the report tests). The last line of output is
# always "N passed, M failed" (plus ", K skipped" when some were), counted
# from Meson's test log; the exit status is non-zero when a test failed or
# none ran.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

build_dir="${BUILD_DIR:-build}"

setup_status=0
GRADLAB_SETUP_TEST_TOOLS=1 bash scripts/setup.sh || setup_status=$?
if ((setup_status != 0)); then
    echo "0 passed, 0 failed"
    exit "$setup_status"
fi

# meson test writes meson-logs/<logbase>[-<wrapper or setup>].json; the
# one to count is the newest written after this marker, so neither the name
# options nor a log left by an earlier run can mislead the count.
mkdir -p "$build_dir/meson-logs"
marker="$(mktemp "$build_dir/meson-logs/.test-sh-start.XXXXXX")"
trap 'rm -f "$marker"' EXIT

test_status=0
meson test -C "$build_dir" --print-errorlogs "$@" || test_status=$?

# One JSON object per line, one line per test run, each with a "result" of
# OK, EXPECTEDFAIL, SKIP, FAIL, TIMEOUT, ERROR, UNEXPECTEDPASS or INTERRUPT.
# Anything not known to be a pass or a skip counts as a failure. Prints
# "passed failed" on one line, then the summary line.
counts="$(python3 - "$marker" <<'EOF'
import json
import pathlib
import sys

marker = pathlib.Path(sys.argv[1])
start = marker.stat().st_mtime_ns
logs = [p for p in marker.parent.glob("*.json") if p.stat().st_mtime_ns >= start]
passed = failed = skipped = 0
if logs:
    with open(max(logs, key=lambda p: p.stat().st_mtime_ns), encoding="utf-8") as log:
        for line in log:
            line = line.strip()
            if not line:
                continue
            try:
                result = json.loads(line).get("result")
            except (ValueError, AttributeError):
                continue
            if result in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif result == "SKIP":
                skipped += 1
            else:
                failed += 1
summary = f"{passed} passed, {failed} failed"
if skipped:
    summary += f", {skipped} skipped"
print(passed, failed)
print(summary)
EOF
)"

read -r passed failed <<<"${counts%%$'\n'*}"
echo "${counts#*$'\n'}"

if ((failed > 0 || passed + failed == 0)); then
    exit 1
fi
# meson test can fail where no test records it (e.g. a build error).
exit "$test_status"
