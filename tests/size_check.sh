#!/bin/sh
# Size gate: strips each built program into a temp dir and compares its size with the baseline
# in tests/sizes.txt ("name bytes" per line); the links to the shared executable (every name
# but s6-supervise, tools/entries.hh) are not files of their own and are skipped.  Fails if any program grew by more than 10 % or
# has no baseline; an accidental iostream or similar shows up here at once.  Run only for the
# default release configuration (static, -Os, LTO), where the baseline was recorded.
#   usage: size_check.sh TOOLS_DIR BASELINE [--print]
set -eu
tools=$1 baseline=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
for exe in "$tools"/*; do
    # The links to the shared executable (every name but s6-supervise) are not files of their own.
    [ -f "$exe" ] && [ -x "$exe" ] && [ ! -L "$exe" ] || continue
    name=$(basename "$exe")
    strip -o "$tmp/$name" "$exe"
    size=$(wc -c < "$tmp/$name")
    if [ "${3:-}" = --print ]; then echo "$name $size"; continue; fi
    base=$(awk -v n="$name" '$1 == n { print $2 }' "$baseline")
    if [ -z "$base" ]; then
        echo "$name: $size bytes, no baseline in tests/sizes.txt (add it)"
        fail=1
    elif [ "$size" -gt $((base + base / 10)) ]; then
        echo "$name: $size bytes, more than 10 % over its baseline of $base"
        fail=1
    else
        echo "$name: $size bytes (baseline $base)"
    fi
done
exit "$fail"
