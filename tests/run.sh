#!/bin/sh
# Builds s6pp and runs every test suite, three times over:
#   release   the release build (static binaries, LTO): unit tests, integration tests,
#             interop tests against stock s6, man page lint, binary sizes;
#   asan      a second build with AddressSanitizer + UndefinedBehaviorSanitizer (dynamic
#             linking, every report fatal) running the unit and integration suites;
#   fuzz      the libFuzzer targets of fuzz/, built with clang, each run for a bounded time.
# With RELEASE_CHECK=1 (CI) also the release checks: every architecture's tarball, a second
# build for reproducibility, the foreign tarballs' programs under qemu.
# Lists every skipped test (a missing prerequisite: h::skip in tests/harness) by name with
# its reason, then ends with one line "N passed, M failed, K skipped" over all the runs.
# With CI=true any skipped test fails the run.  SANITIZE=0 or FUZZ=0 leave a run out (it is
# then counted as skipped, so CI cannot leave one out).
#
# The passes overlap, so that a 2-core machine stays busy while a test suite waits on the
# processes it drives: the integration cases run in two shards at once (tests/shard.py), the
# sanitizer build runs during the release suite, the fuzzing and the release checks' builds
# during the sanitizer suite, side by side.  Builds and fuzzing in the background run at a
# lower priority than the test suites (nice 10).  No two suites that step the wall clock run
# at once: the cases that do ([wallclock]) run in the release suite only.  Each phase's end is
# printed with the seconds since the start.
set -eu
cd "$(dirname "$0")/.."
status=0
prio=
# The runs for the summary, one argument of summarize.py per line.
runs=$(mktemp)
trap 'rm -f "$runs"' EXIT
start=$(date +%s)
elapsed() { echo "$1 at $(($(date +%s) - start)) s"; }

# Runs meson test in build dir $2 (further arguments: the tests to run) and records it as
# run $1 for the summary, with $prio in front (a background pass's nice).  Returns non-zero if
# a test failed.
run_suite() {
    label=$1 dir=$2
    shift 2
    rc=0
    $prio meson test -C "$dir" --print-errorlogs --verbose "$@" >"$dir/test-output.txt" 2>&1 || rc=$?
    grep -E '^ *[0-9]+/[0-9]+ |^(Ok|Fail|Timeout|Expected Fail|Unexpected Pass|Skipped):' \
        "$dir/test-output.txt" | sed "s/^/$label: /" || true
    if [ "$rc" -ne 0 ]; then
        echo "--- $label failures ---"
        grep -E -B3 -A25 'FAILED:|^-+$|^fuzz .*: FAILED' "$dir/test-output.txt" | head -400 || true
    fi
    printf '%s\n' "$label" "$dir/test-output.txt" "$dir/meson-logs/testlog.json" >>"$runs"
    return "$rc"
}

# Fuzzing: each target for fuzz_seconds (meson_options.txt) from its seeds in fuzz/corpus.
fuzz_pass() {
    if [ "${FUZZ:-1}" = 0 ]; then
        printf '%s\n' fuzz --skipped "FUZZ=0" >>"$runs"
        return 0
    fi
    if ! command -v clang++-14 >/dev/null; then
        printf '%s\n' fuzz --skipped "clang++-14 is not installed" >>"$runs"
        return 0
    fi
    fuzz=${FUZZ_BUILD_DIR:-build-test-fuzz}
    [ -d "$fuzz" ] || CXX=clang++-14 meson setup "$fuzz" -Dfuzz=true \
        -Db_sanitize=address,undefined -Dstatic_tools=false -Db_lto=false -Doptimization=1 \
        -Ddebug=true >/dev/null # -g: a crash's stack with line numbers; a small build
    $prio ninja -C "$fuzz" -j"$(nproc)" >/dev/null
    rc=0
    run_suite fuzz "$fuzz" || rc=1
    grep -h '^fuzz .*: ok' "$fuzz/test-output.txt" || true
    elapsed "fuzz: done"
    return "$rc"
}

# The release checks (RELEASE_CHECK=1, as in CI): every architecture's tarball, a second build
# for reproducibility (release_pass tarballs, in the background), and each foreign tarball's
# programs under qemu driven by this build's integration tests (release_pass ci-qemu, once
# the sanitizer suite is done: emulation is slow enough without a suite beside it).
# RELEASE_CHECK=all runs release/check.sh's whole, foreign test builds included, at the end.
release_pass() {
    [ "${RELEASE_CHECK:-0}" != 0 ] || return 0
    what=$1
    if [ "$RELEASE_CHECK" = all ]; then
        [ "$what" = tarballs ] && return 0
        what=all
    fi
    echo "--- release checks: $what ---"
    rc=0
    NATIVE_BUILD=$build BUILD_PRIO=$prio release/check.sh "$what" \
        >"$build/release-check-$what.txt" 2>&1 || rc=1
    grep -E '^(ok|FAILED|reproducible|NOT REPRODUCIBLE|release|qemu-test)|passed|failed' \
        "$build/release-check-$what.txt" || true
    [ "$rc" = 0 ] || echo "release checks ($what): FAILED"
    elapsed "release checks ($what): done"
    return "$rc"
}

build=${BUILD_DIR:-build-test}
[ -d "$build" ] || meson setup "$build" >/dev/null
ninja -C "$build" -j"$(nproc)" >/dev/null
elapsed "release: built"

# Sanitizers.  Every UBSan check aborts the process (-fno-sanitize-recover=all, set by
# meson.build), and both sanitizers write their reports to files under reports/ as well as
# failing the process, so a report from a daemon whose stderr no test reads still fails the
# run.  Leak detection is on: the daemons' start-up allocations stay reachable and are not
# reported, so a report is a real leak in a one-shot tool or the library.
asan=${ASAN_BUILD_DIR:-build-test-asan}
asan_build=
if [ "${SANITIZE:-1}" != 0 ]; then
    # Without -g (a third less compile time): UBSan still gives file:line, ASan function names;
    # set up a build with -Ddebug=true by hand for line numbers in ASan's reports.  The
    # integration cases are the release build's program, driving this build's tools.
    [ -d "$asan" ] || meson setup "$asan" -Db_sanitize=address,undefined -Dstatic_tools=false \
        -Db_lto=false -Doptimization=1 -Ddebug=false \
        -Dintegration_program="$(cd "$build" && pwd)/tests/integration-tests" >/dev/null
    nice -n 10 ninja -C "$asan" -j"$(nproc)" >"$asan/ninja-output.txt" 2>&1 &
    asan_build=$!
fi

run_suite release "$build" || status=1
elapsed "release: tested"

if [ -n "$asan_build" ]; then
    if ! wait "$asan_build"; then
        tail -50 "$asan/ninja-output.txt"
        echo "asan: the build FAILED"
        exit 1
    fi
    elapsed "asan: built"
fi

# The background passes, beside the sanitizer suite and each other, each reporting in a file
# of its own: the fuzzing, and the tarballs (builds).  Both at $prio.
background_fuzz=$build/background-fuzz.txt
background_tarballs=$build/background-tarballs.txt
(prio="nice -n 10"; fuzz_pass) >"$background_fuzz" 2>&1 &
background_fuzz_pass=$!
(prio="nice -n 10"; release_pass tarballs) >"$background_tarballs" 2>&1 &
background_tarballs_pass=$!

if [ -n "$asan_build" ]; then
    reports=$(cd "$asan" && pwd)/reports
    rm -rf "$reports"
    mkdir -p "$reports"
    export ASAN_OPTIONS="detect_leaks=1:log_path=$reports/asan:log_exe_name=1"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$reports/ubsan:log_exe_name=1"
    run_suite asan "$asan" --timeout-multiplier 3 unit integration-1 integration-2 || status=1
    unset ASAN_OPTIONS UBSAN_OPTIONS
    if [ -n "$(ls "$reports")" ]; then
        echo "--- sanitizer reports ---"
        head -50 "$reports"/*
        status=1
    fi
    elapsed "asan: tested"
else
    printf '%s\n' asan --skipped "SANITIZE=0" >>"$runs"
fi

wait "$background_fuzz_pass" || status=1
wait "$background_tarballs_pass" || status=1
cat "$background_fuzz" "$background_tarballs"
release_pass ci-qemu || status=1
tr '\n' '\0' <"$runs" | xargs -0 python3 tests/summarize.py || status=1
elapsed "all done"
exit "$status"
