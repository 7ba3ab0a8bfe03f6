#!/bin/sh
# Builds s6pp (release build: static binaries, LTO) and runs every test suite: unit tests,
# integration tests, interop tests against stock s6, man page lint.  Lists every skipped test
# (a missing prerequisite: h::skip in tests/harness) by name with its reason, then ends with
# one line "N passed, M failed, K skipped" counting Catch2 test cases and the other meson
# tests.  With CI=true any skipped test fails the run.
set -eu
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build-test}
[ -d "$build" ] || meson setup "$build" >/dev/null
ninja -C "$build" -j"$(nproc)" >/dev/null
status=0
meson test -C "$build" --print-errorlogs --verbose >"$build/test-output.txt" 2>&1 || status=$?
grep -E '^ *[0-9]+/[0-9]+ |^(Ok|Fail|Timeout|Expected Fail|Unexpected Pass|Skipped):' "$build/test-output.txt" || true
if [ "$status" -ne 0 ]; then
    echo "--- failures ---"
    grep -E -B3 -A25 'FAILED:|^-+$' "$build/test-output.txt" | head -400 || true
fi
# The release checks (RELEASE_CHECK=1, as in CI): every architecture's tarball, a second build
# for reproducibility, the foreign architectures' tests under qemu (release/check.sh).
if [ "${RELEASE_CHECK:-0}" = 1 ]; then
    echo "--- release checks ---"
    release/check.sh >"$build/release-check.txt" 2>&1 || { status=1; echo "release checks: FAILED"; }
    grep -E '^(ok|FAILED|reproducible|NOT REPRODUCIBLE|release|qemu-test)|passed|failed' \
        "$build/release-check.txt" || true
fi
python3 tests/summarize.py "$build/test-output.txt" "$build/meson-logs/testlog.json" || status=1
exit "$status"
