#!/bin/sh
# Runs every libFuzzer target of a -Dfuzz=true build for a bounded time, starting from the
# seed corpus in fuzz/corpus/NAME (copied: the repository is not written to), and prints one
# line per target with its executions.  A crash, a leak, a sanitizer report, a timeout or an
# out-of-memory stops that target with its input saved as BUILD/fuzz-artifacts/NAME-*, and
# the script exits 1 after running the others.
#
# usage: fuzz/run.sh BUILD [SECONDS-PER-TARGET [TARGET...]]  (meson test runs it per target)
set -u
build=$(cd "$1" && pwd)
cd "$(dirname "$0")/.."
secs=${2:-15}
shift; [ $# -gt 0 ] && shift
targets=${*:-$(cd fuzz/corpus && ls)}
arts=$build/fuzz-artifacts
mkdir -p "$arts"
status=0
for t in $targets; do
    work=$(mktemp -d)
    cp fuzz/corpus/"$t"/* "$work"/
    # -timeout: a single input taking more than 10 s is a finding; -max_len keeps inputs
    # small (every parser's interesting cases are short; regcomp on long fuzzed regexes
    # would only measure glibc).
    if "$build"/fuzz/fuzz-"$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 \
        -max_len=1024 -print_final_stats=1 -artifact_prefix="$arts/$t-" "$work" \
        >"$arts/$t.log" 2>&1; then
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$arts/$t.log")
        echo "fuzz $t: ok, $execs executions in ${secs}s"
    else
        echo "fuzz $t: FAILED"
        grep -E -A30 '^==[0-9]+==|runtime error|deadly signal|Test unit written' "$arts/$t.log" | head -60
        status=1
    fi
    rm -rf "$work"
done
exit $status
