#!/usr/bin/env python3
"""Throughput and cost of s6pp's s6-log against stock s6-log 2.11.3.2, in one run.

For each stamping mode (t, T, none) both loggers read the same generated input (200 MB of
lines of 20 to 200 bytes by default) with the script `<mode> s4000000 n10 ./logdir`, from a
regular file and, for `t`, through a pipe.  Reported per run: wall time, MB/s, CPU seconds
(user + sys of the logger alone, from wait4), and ours/stock ratios.  Then instructions per
line under callgrind on a smaller input (the cost of an empty run subtracted), and a check
that what each logger kept (the archives in order, then current, stamps removed) is exactly
the tail of the input.

Files go to a tmpfs (default /dev/shm) so that the disk does not dominate; both loggers
fsync at each rotation, which is free there.  Usage:

    bench/log_bench.py [--ours build-log-rel/tools/s6-log] [--stock /usr/bin/s6-log]
                       [--mb 200] [--runs 3] [--dir /dev/shm] [--no-callgrind]

Exit status: 0, or 1 if the kept lines do not match the input (a correctness failure).
Targets (printed, not enforced): throughput >= 2x stock, CPU <= 0.5x stock.
"""

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def make_input(path, megabytes, seed=1):
    """Deterministic lines of 20..200 bytes (newline included), printable ASCII."""
    r = random.Random(seed)
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ:=,./-_"
    pool = "".join(r.choice(alphabet) for _ in range(8192)).encode()
    target = megabytes * 1000 * 1000
    total = lines = 0
    out = []
    with open(path, "wb") as f:
        while total < target:
            n = r.randint(20, 200)
            o = r.randint(0, len(pool) - n)
            out.append(pool[o:o + n - 1] + b"\n")
            total += n
            lines += 1
            if len(out) >= 4096:
                f.write(b"".join(out))
                out = []
        f.write(b"".join(out))
    return lines, total


def run_logger(binary, script, input_path, workdir, pipe=False):
    """Runs one logger to completion; returns (wall seconds, cpu seconds)."""
    logdir = os.path.join(workdir, "ld")
    shutil.rmtree(logdir, ignore_errors=True)
    argv = [binary] + script + ["./ld"]
    feeder = None
    start = time.perf_counter()
    if pipe:
        feeder = subprocess.Popen(["cat", input_path], stdout=subprocess.PIPE)
        stdin = feeder.stdout
    else:
        stdin = open(input_path, "rb")
    p = subprocess.Popen(argv, stdin=stdin, cwd=workdir)
    stdin.close()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - start
    p.returncode = os.waitstatus_to_exitcode(status)
    if feeder:
        feeder.wait()
    if p.returncode != 0:
        sys.exit(f"{binary} exited {p.returncode}")
    return wall, ru.ru_utime + ru.ru_stime


STAMP_RE = {
    "t": re.compile(rb"^@[0-9a-f]{24} ", re.M),
    "T": re.compile(rb"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9}  ", re.M),
    "none": None,
}


def kept_is_tail(workdir, mode, input_path):
    """True if archives (in name order) + current, stamps removed, end the input exactly."""
    logdir = os.path.join(workdir, "ld")
    names = sorted(n for n in os.listdir(logdir) if re.fullmatch(r"@[0-9a-f]{24}\.[su]", n))
    data = b"".join(open(os.path.join(logdir, n), "rb").read() for n in names)
    data += open(os.path.join(logdir, "current"), "rb").read()
    if STAMP_RE[mode] is not None:
        stamped_lines = data.count(b"\n")
        data, k = STAMP_RE[mode].subn(b"", data)
        if k != stamped_lines:
            return False, len(names)
    size = os.path.getsize(input_path)
    with open(input_path, "rb") as f:
        f.seek(size - len(data))
        tail = f.read()
    return tail == data, len(names)


def callgrind_ir(binary, script, input_path, workdir):
    out = os.path.join(workdir, "cg.out")
    shutil.rmtree(os.path.join(workdir, "ld"), ignore_errors=True)
    with open(input_path, "rb") as stdin:
        subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out, binary]
                       + script + ["./ld"], stdin=stdin, cwd=workdir, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ir = None
    with open(out) as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                ir = int(line.split()[1])
    os.unlink(out)
    return ir


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ours", default=os.path.join(ROOT, "build-log-rel", "tools", "s6-log"))
    ap.add_argument("--stock", default="/usr/bin/s6-log")
    ap.add_argument("--mb", type=int, default=200)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dir", default="/dev/shm")
    ap.add_argument("--no-callgrind", action="store_true")
    a = ap.parse_args()
    for b in (a.ours, a.stock):
        if not os.access(b, os.X_OK):
            sys.exit(f"no executable {b}")

    work = tempfile.mkdtemp(prefix="s6pp-logbench.", dir=a.dir)
    ok = True
    try:
        big = os.path.join(work, "input")
        lines, size = make_input(big, a.mb)
        print(f"input: {size / 1e6:.1f} MB, {lines} lines of 20-200 bytes, in {a.dir}")
        print(f"ours:  {a.ours}\nstock: {a.stock}\n")
        hdr = f"{'mode':<10}{'logger':<7}{'wall s':>8}{'MB/s':>9}{'CPU s':>8}   kept=tail  archives"
        print(hdr)
        print("-" * len(hdr))
        summary = []
        for mode, pipe in (("t", False), ("T", False), ("none", False), ("t", True)):
            script = ([] if mode == "none" else [mode]) + ["s4000000", "n10"]
            label = mode + (" (pipe)" if pipe else "")
            res = {}
            for name, binary in (("stock", a.stock), ("ours", a.ours)):
                walls, cpus = [], []
                for _ in range(a.runs):
                    w, c = run_logger(binary, script, big, work, pipe)
                    walls.append(w)
                    cpus.append(c)
                good, narch = kept_is_tail(work, mode, big)
                ok = ok and good
                w, c = statistics.median(walls), statistics.median(cpus)
                res[name] = (w, c)
                print(f"{label:<10}{name:<7}{w:>8.3f}{size / 1e6 / w:>9.1f}{c:>8.3f}"
                      f"   {'yes' if good else 'NO':<9} {narch}")
            tput = res["stock"][0] / res["ours"][0]
            cpu = res["ours"][1] / res["stock"][1]
            summary.append((label, tput, cpu))
        print()
        print(f"{'mode':<10}{'throughput ours/stock':>24}{'CPU ours/stock':>17}")
        for label, tput, cpu in summary:
            print(f"{label:<10}{tput:>23.2f}x{cpu:>16.2f}x")
        t_tput, t_cpu = summary[0][1], summary[0][2]
        print(f"\ntarget (t s4000000 n10): throughput >= 2x: "
              f"{'met' if t_tput >= 2 else 'NOT met'} ({t_tput:.2f}x); CPU <= 0.5x: "
              f"{'met' if t_cpu <= 0.5 else 'NOT met'} ({t_cpu:.2f}x)")

        if not a.no_callgrind and shutil.which("valgrind"):
            small = os.path.join(work, "small")
            n_small, _ = make_input(small, 2, seed=2)
            empty = os.path.join(work, "empty")
            open(empty, "wb").close()
            print(f"\ninstructions per line (callgrind, {n_small} lines, empty run subtracted)")
            for mode in ("t", "T", "none"):
                script = ([] if mode == "none" else [mode]) + ["s4000000", "n10"]
                per = {}
                for name, binary in (("stock", a.stock), ("ours", a.ours)):
                    base = callgrind_ir(binary, script, empty, work)
                    full = callgrind_ir(binary, script, small, work)
                    per[name] = (full - base) / n_small
                print(f"  {mode:<5} stock {per['stock']:>8.0f}   ours {per['ours']:>8.0f}"
                      f"   ratio {per['ours'] / per['stock']:.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if not ok:
        print("\nFAIL: some logger did not keep exactly the tail of its input")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
