#!/usr/bin/env python3
"""Prints 'N passed, M failed' for a meson test run: Catch2 programs count as their test
cases, every other meson test counts as one."""
import json, re, sys

out_txt, log_json = sys.argv[1], sys.argv[2]
passed = failed = 0
with open(log_json) as f:
    for line in f:
        t = json.loads(line)
        out = t.get("stdout", "") or ""
        m = re.search(r"All tests passed \(\d+ assertions? in (\d+) test cases?\)", out)
        n = re.search(r"test cases:\s*(\d+)\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed", out)
        if m:
            passed += int(m.group(1))
        elif n:
            passed += int(n.group(2))
            failed += int(n.group(3))
        elif t.get("result") == "OK":
            passed += 1
        elif t.get("result") == "SKIP":
            pass
        else:
            failed += 1
print(f"{passed} passed, {failed} failed")
