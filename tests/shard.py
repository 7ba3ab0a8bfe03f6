#!/usr/bin/env python3
"""Runs one shard of a Catch2 program's test cases: every COUNT-th case, from the INDEX-th
(0-based), of those SPEC selects, in the program's order.  The shards of one program run at
once as separate meson tests: an integration case spends most of its time waiting on the
processes it drives, so two of them keep a 2-core machine busier than one.

usage: shard.py PROGRAM INDEX COUNT SPEC [EXTRA-ARGUMENT ...]

The cases are handed to the program by name (-f FILE, Catch2's input file), each name with
Catch2's special characters escaped.  A shard with no case runs nothing: it says so and exits
77, which meson and tests/summarize.py count as skipped, not passed."""
import os, re, subprocess, sys, tempfile


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    prog, index, count, spec = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    extra = sys.argv[5:]
    if not 0 <= index < count:
        sys.exit(f"shard.py: index {index} is not in 0..{count - 1}")
    listing = subprocess.run([prog, "--list-test-names-only", spec], capture_output=True,
                             text=True)
    names = [n for n in listing.stdout.split("\n") if n.strip()]
    if listing.returncode < 0 or (listing.returncode and not names):
        sys.exit(f"shard.py: {prog} --list-test-names-only failed:\n{listing.stderr}")
    mine = names[index::count]
    if not mine:
        print(f"shard.py: shard {index + 1}/{count} of {spec!r} has no test case")
        return 77
    with tempfile.NamedTemporaryFile("w", prefix="s6pp-shard-", suffix=".txt",
                                     delete=False) as f:
        for n in mine:
            f.write(re.sub(r"([\\,\[\]*~\"])", r"\\\1", n) + "\n")
    try:
        return subprocess.run([prog, "-f", f.name] + extra).returncode
    finally:
        os.unlink(f.name)


if __name__ == "__main__":
    sys.exit(main())
