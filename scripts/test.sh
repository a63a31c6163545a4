#!/usr/bin/env bash
# Builds gradlab (scripts/setup.sh) and runs its test suite; then builds it
# a second time with AddressSanitizer and UndefinedBehaviorSanitizer and runs
# there the tests that feed malformed input (the Meson suite malformed_input,
# listed in tests/meson.build).
#
#   bash scripts/test.sh [MESON_TEST_ARGS...]
#
# Extra arguments go to both `meson test` runs (e.g. a test name, --repeat 3,
# --num-processes 1); the sanitized run adds --suite malformed_input, so a
# test name outside that suite selects nothing there, which is no failure.
# BUILD_DIR is honoured as in setup.sh, which runs with
# GRADLAB_SETUP_TEST_TOOLS=1 so that it also installs the packages only the
# tests need (Chromium, for the report tests); the sanitized build goes to
# "$BUILD_DIR-sanitize" (build-sanitize by default). The last line of output
# is always "N passed, M failed" (plus ", K skipped" when some were), counted
# over both runs from Meson's test logs; the exit status is non-zero when a
# test failed or a run ran none.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

build_dir="${BUILD_DIR:-build}"
sanitize_dir="$build_dir-sanitize"
# A debug build: at -O0 GCC compiles a sanitized file in about 1.3 times the
# time of a release one, at -O2 in 6 times; the malformed-input tests are
# small enough to run fast unoptimised. No benchmarks: the suite needs only
# gradlab and tests/gradlab_tests. The SIMD dispatch stays (AddressSanitizer
# checks AVX loads and stores too), so the kernels checked are the ones the
# machine runs.
sanitize_setup_args=(-Dbuildtype=debug -Db_sanitize=address,undefined -Dbenchmarks=false)

passed=0 failed=0 skipped=0
print_summary() {
    local summary="$passed passed, $failed failed"
    ((skipped == 0)) || summary+=", $skipped skipped"
    echo "$summary"
}

# run_tests DIR [MESON_TEST_ARGS...]: runs `meson test` in DIR, adds its
# results to passed, failed and skipped, sets ran to the number of tests it
# ran, and returns meson's exit status.
marker=
trap 'rm -f "$marker"' EXIT
run_tests() {
    local dir=$1
    shift
    # meson test writes meson-logs/<logbase>[-<wrapper or setup>].json; the
    # one to count is the newest written after this marker, so neither the
    # name options nor a log left by an earlier run can mislead the count.
    mkdir -p "$dir/meson-logs"
    marker="$(mktemp "$dir/meson-logs/.test-sh-start.XXXXXX")"

    local status=0
    meson test -C "$dir" --print-errorlogs "$@" || status=$?

    # One JSON object per line, one line per test run, each with a "result"
    # of OK, EXPECTEDFAIL, SKIP, FAIL, TIMEOUT, ERROR, UNEXPECTEDPASS or
    # INTERRUPT. Anything not known to be a pass or a skip counts as a
    # failure. Prints "passed failed skipped".
    local counts
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
print(passed, failed, skipped)
EOF
)"
    rm -f "$marker"

    local run_passed run_failed run_skipped
    read -r run_passed run_failed run_skipped <<<"$counts"
    passed=$((passed + run_passed))
    failed=$((failed + run_failed))
    skipped=$((skipped + run_skipped))
    ran=$((run_passed + run_failed))
    return "$status"
}

setup_status=0
GRADLAB_SETUP_TEST_TOOLS=1 bash scripts/setup.sh || setup_status=$?
if ((setup_status != 0)); then
    print_summary
    exit "$setup_status"
fi

test_status=0
run_tests "$build_dir" "$@" || test_status=$?
ran_normal=$ran

setup_status=0
BUILD_DIR="$sanitize_dir" bash scripts/setup.sh "${sanitize_setup_args[@]}" || setup_status=$?
if ((setup_status != 0)); then
    print_summary
    exit "$setup_status"
fi

sanitize_status=0
run_tests "$sanitize_dir" --suite malformed_input "$@" || sanitize_status=$?
ran_sanitized=$ran

print_summary

if ((failed > 0 || ran_normal == 0)); then
    exit 1
fi
# Arguments may name only tests outside the suite.
if ((ran_sanitized == 0 && $# == 0)); then
    exit 1
fi
# meson test can fail where no test records it (e.g. a build error).
if ((test_status != 0)); then
    exit "$test_status"
fi
exit "$sanitize_status"
