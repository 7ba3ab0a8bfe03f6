#!/usr/bin/env python3
"""Prints 'N passed, M failed, K skipped' for a meson test run, alone on the last line.

Catch2 programs count as their test cases, every other meson test counts as one.  A Catch2
test case that called h::skip() printed 'SKIPPED: <test case> -- <reason>' (tests/harness):
it is counted as skipped, not passed, and listed by name with its reason; so is a meson test
that exited 77.  With CI=true in the environment every prerequisite is installed, so any
skipped test fails the run: the exit status is then 1.

usage: summarize.py TEST-OUTPUT.txt TESTLOG.json"""
import json, os, re, sys

out_txt, log_json = sys.argv[1], sys.argv[2]
passed = failed = 0
skipped = []  # (program, test, reason), in the order seen, each test once
skip_line = re.compile(r"^SKIPPED: (.*?) -- (.*)$", re.M)
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

status = 0
if skipped:
    print("--- skipped ---")
    for prog, name, reason in skipped:
        print(f"SKIPPED: {prog}: {name} -- {reason}")
    if os.environ.get("CI") == "true":
        print(f"CI: {len(skipped)} test(s) skipped, but CI has every prerequisite: "
              + "; ".join(name for _, name, _ in skipped))
        status = 1
print(f"{passed} passed, {failed} failed, {len(skipped)} skipped")
sys.exit(status)
