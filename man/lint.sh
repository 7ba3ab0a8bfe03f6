#!/bin/sh
# Usage: lint.sh MANDOC PAGE...
# Runs `mandoc -Tlint -W warning` on each page and fails if any page gets a warning or an
# error, or if mandoc itself fails.  scdoc 1.11 puts a .P after every .SH/.SS heading and
# after some blocks; mandoc reports each of these as "skipping paragraph macro" (it drops
# the macro, and the rendered page is the same), so those three messages alone are ignored.
mandoc=$1
shift
status=0
for page in "$@"; do
    out=$("$mandoc" -Tlint -W warning "$page" 2>&1)
    rc=$?
    # mandoc exits 2 for warnings and 3 for errors; 4 and up mean it could not do its job.
    if [ "$rc" -ge 4 ]; then
        printf '%s\n' "$out"
        echo "lint.sh: mandoc failed on $page (exit $rc)"
        status=1
        continue
    fi
    out=$(printf '%s\n' "$out" |
        grep -v -e 'WARNING: skipping paragraph macro: PP empty$' \
                -e 'WARNING: skipping paragraph macro: PP after SH$' \
                -e 'WARNING: skipping paragraph macro: PP after SS$' \
                -e '^$')
    if [ -n "$out" ]; then
        printf '%s\n' "$out"
        status=1
    fi
done
if [ "$status" -eq 0 ]; then
    echo "$# pages checked, no mandoc warnings or errors"
fi
exit "$status"
