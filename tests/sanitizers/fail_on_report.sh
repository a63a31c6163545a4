#!/usr/bin/env bash
# Runs one test under the sanitizer policy of a -Db_sanitize build (Meson's
# default test setup there, see tests/meson.build): a finding fails the test.
#
#   bash tests/sanitizers/fail_on_report.sh COMMAND [ARGS...]
#
# The exit status alone cannot tell: the shell tests expect gradlab to fail
# on bad input, some accept any non-zero status, and they keep its stderr to
# themselves, so a crash after the expected message would pass. So
# AddressSanitizer and LeakSanitizer write their reports to files, one per
# process, and any report fails the test here. UndefinedBehaviorSanitizer
# cannot: GCC's libubsan ignores log_path when libasan is loaded too. It
# halts and aborts the process, which fails the Catch2 tests and every shell
# check on gradlab's exact exit status or error lines.
set -u
reports="$(mktemp -d)"
trap 'rm -rf "$reports"' EXIT

# halt_on_error: UBSan otherwise reports and carries on. Appended, so they
# win over options a test sets (allocator_may_return_null).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}halt_on_error=1:abort_on_error=1:detect_leaks=1:log_path=$reports/report"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}halt_on_error=1:abort_on_error=1:print_stacktrace=1"

status=0
"$@" || status=$?

if compgen -G "$reports/report.*" >/dev/null; then
    cat "$reports"/report.* >&2
    echo "FAIL: a sanitizer reported a finding (above)" >&2
    exit 1
fi
exit "$status"
