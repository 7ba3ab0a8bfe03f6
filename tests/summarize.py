#!/usr/bin/env python3
"""Prints 'N passed, M failed, K skipped' for the meson test runs of tests/run.sh, alone on
the last line, after one such line per run.

Catch2 programs count as their test cases, every other meson test counts as one.  A Catch2
test case that called h::skip() printed 'SKIPPED: <test case> -- <reason>' (tests/harness):
it is counted as skipped, not passed, and listed by name with its reason; so is a meson test
that exited 77, and a whole run that could not be made (its reason given instead of its
files).  With CI=true in the environment every prerequisite is installed, so any skipped
test fails the run: the exit status is then 1.

usage: summarize.py LABEL TEST-OUTPUT.txt TESTLOG.json [LABEL ...]
       (a run that did not happen: LABEL --skipped REASON)"""
import json, os, re, sys

skip_line = re.compile(r"^SKIPPED: (.*?) -- (.*)$", re.M)


def count(log_json):
    """passed, failed, [(program, test, reason)] of one meson test log."""
    passed = failed = 0
    skipped = []  # in the order seen, each test once
    with open(log_json) as f:
        for line in f:
            t = json.loads(line)
            out = t.get("stdout", "") or ""
            m = re.search(r"All tests passed \(\d+ assertions? in (\d+) test cases?\)", out)
            n = re.search(r"test cases:\s*(\d+)\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed", out)
            if m or n:
                seen = {}
                for name, reason in skip_line.findall(out):
                    seen.setdefault(name, reason)
                skipped += [(t["name"], name, reason) for name, reason in seen.items()]
                ok = int(m.group(1)) if m else int(n.group(2))
                # Catch2 counts a skipped test case as passed (h::skip records no failure).
                passed += max(ok - len(seen), 0)
                failed += int(n.group(3)) if n else 0
            elif t.get("result") == "OK":
                passed += 1
            elif t.get("result") == "SKIP":
                skipped.append((t["name"], t["name"], "exit status 77"))
            else:
                failed += 1
    return passed, failed, skipped


args = sys.argv[1:]
if len(args) < 3 or len(args) % 3:
    sys.exit(__doc__)
total_p = total_f = 0
all_skipped = []
lines = []
for i in range(0, len(args), 3):
    label, out_txt, log_json = args[i:i + 3]
    if out_txt == "--skipped":
        p, f, s = 0, 0, [(label, "the whole run", log_json)]
    else:
        p, f, s = count(log_json)
        s = [(f"{label}: {prog}", name, reason) for prog, name, reason in s]
    total_p += p
    total_f += f
    all_skipped += s
    lines.append(f"{label}: {p} passed, {f} failed, {len(s)} skipped")

status = 0
if all_skipped:
    print("--- skipped ---")
    for prog, name, reason in all_skipped:
        print(f"SKIPPED: {prog}: {name} -- {reason}")
    if os.environ.get("CI") == "true":
        print(f"CI: {len(all_skipped)} test(s) skipped, but CI has every prerequisite: "
              + "; ".join(name for _, name, _ in all_skipped))
        status = 1
if len(lines) > 1:
    print("\n".join(lines))
print(f"{total_p} passed, {total_f} failed, {len(all_skipped)} skipped")
sys.exit(status)
