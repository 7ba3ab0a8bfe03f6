#!/usr/bin/env python3
"""Core-supervision benchmarks, s6pp against stock s6 in one run, reported as ratios.

  1. PSS of a running s6-supervise: 100 services (exec sleep 1000), mean of
     /proc/PID/smaps_rollup Pss over the 100 supervisors.
  2. Control round trip: `s6-svc -wD -d DIR` then `s6-svc -wU -u DIR` on a service with
     notification-fd (each side's s6-svc driving its own s6-supervise); median of N.
  3. One `s6-svstat DIR` and one `s6-svc -u DIR` call: median wall time over N runs and
     callgrind instruction counts (if valgrind is installed).

Usage: bench/supervise_bench.py [--ours BUILD/tools] [--stock /usr/bin] [--rounds N]
"""
import argparse, os, shutil, signal, statistics, subprocess, sys, tempfile, time
from procinfo import pss_kib


def make_service(d, notify):
    os.makedirs(d)
    with open(os.path.join(d, "run"), "w") as f:
        if notify:
            f.write("#!/bin/sh\necho >&3\nexec sleep 1000\n")
        else:
            f.write("#!/bin/sh\nexec sleep 1000\n")
    os.chmod(os.path.join(d, "run"), 0o755)
    if notify:
        with open(os.path.join(d, "notification-fd"), "w") as f:
            f.write("3\n")


def wait_for(pred, timeout=20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.005)
    return pred()


def status_up(d):
    try:
        with open(os.path.join(d, "supervise", "status"), "rb") as f:
            b = f.read(35)
    except OSError:
        return False
    return len(b) == 35 and int.from_bytes(b[24:32], "big") != 0 and not (b[34] & 2)


def start_supervisors(bindir, root, n, notify):
    procs, dirs = [], []
    for i in range(n):
        d = os.path.join(root, f"svc{i}")
        make_service(d, notify)
        dirs.append(d)
        procs.append(subprocess.Popen([os.path.join(bindir, "s6-supervise"), d],
                                      stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL))
    for d in dirs:
        if not wait_for(lambda: status_up(d)):
            raise RuntimeError(f"{d} did not come up")
    return procs, dirs


def stop_supervisors(procs, dirs, bindir):
    for d in dirs:
        subprocess.run([os.path.join(bindir, "s6-svc"), "-dx", d],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def bench_pss(bindir, n):
    root = tempfile.mkdtemp(prefix="s6pp-bench-")
    try:
        procs, dirs = start_supervisors(bindir, root, n, False)
        time.sleep(0.2)  # let the last ones settle (measurement, not a test wait)
        vals = [pss_kib(p.pid) for p in procs]
        stop_supervisors(procs, dirs, bindir)
        return statistics.mean(vals)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def bench_roundtrip(sides, rounds):
    """Median round trip per side; the sides take turns so both see the same machine load."""
    roots, setups = [], []
    try:
        for bindir in sides:
            root = tempfile.mkdtemp(prefix="s6pp-bench-")
            roots.append(root)
            procs, dirs = start_supervisors(bindir, root, 1, True)
            svc = os.path.join(bindir, "s6-svc")
            subprocess.run([svc, "-wU", "-T", "5000", "-u", dirs[0]], check=True)
            setups.append((bindir, svc, procs, dirs))
        times = [[] for _ in sides]
        for _ in range(rounds):
            for i, (_, svc, _, dirs) in enumerate(setups):
                t0 = time.perf_counter()
                subprocess.run([svc, "-wD", "-T", "5000", "-d", dirs[0]], check=True)
                subprocess.run([svc, "-wU", "-T", "5000", "-u", dirs[0]], check=True)
                times[i].append(time.perf_counter() - t0)
        for bindir, _, procs, dirs in setups:
            stop_supervisors(procs, dirs, bindir)
        return [statistics.median(t) * 1000 for t in times]
    finally:
        for r in roots:
            shutil.rmtree(r, ignore_errors=True)


def callgrind_instr(argv):
    if not shutil.which("valgrind"):
        return None
    out = tempfile.mktemp(prefix="cg-")
    r = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"] + argv,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    total = None
    for line in r.stderr.splitlines():
        if "Collected :" in line:
            total = int(line.split(":")[-1].strip())
    try:
        os.unlink(out)
    except OSError:
        pass
    return total


def bench_calls(sides, rounds):
    """Median wall time of one s6-svstat / s6-svc -u call per side (interleaved), and callgrind
    instruction counts."""
    roots, setups = [], []
    try:
        for bindir in sides:
            root = tempfile.mkdtemp(prefix="s6pp-bench-")
            roots.append(root)
            procs, dirs = start_supervisors(bindir, root, 1, False)
            setups.append((bindir, procs, dirs))
        res = [{} for _ in sides]
        for name, tool, args in (("s6-svstat", "s6-svstat", []), ("s6-svc -u", "s6-svc", ["-u"])):
            times = [[] for _ in sides]
            for _ in range(rounds):
                for i, (bindir, _, dirs) in enumerate(setups):
                    argv = [os.path.join(bindir, tool)] + args + [dirs[0]]
                    t0 = time.perf_counter()
                    subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
                    times[i].append(time.perf_counter() - t0)
            for i, (bindir, _, dirs) in enumerate(setups):
                argv = [os.path.join(bindir, tool)] + args + [dirs[0]]
                res[i][name] = (statistics.median(times[i]) * 1e6, callgrind_instr(argv))
        for bindir, procs, dirs in setups:
            stop_supervisors(procs, dirs, bindir)
        return res
    finally:
        for r in roots:
            shutil.rmtree(r, ignore_errors=True)


def ratio(a, b):
    return f"{a / b:.2f}x" if a is not None and b else "n/a"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--ours", default=os.path.join(here, "..", "build", "tools"))
    ap.add_argument("--stock", default="/usr/bin")
    ap.add_argument("--services", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=50)
    a = ap.parse_args()
    ours, stock = os.path.abspath(a.ours), a.stock

    print(f"ours:  {ours}\nstock: {stock}\n")
    print(f"{'measure':44} {'ours':>12} {'stock':>12} {'ours/stock':>11}")
    p_o, p_s = bench_pss(ours, a.services), bench_pss(stock, a.services)
    print(f"{'s6-supervise PSS, mean of %d (KiB)' % a.services:44} {p_o:12.1f} {p_s:12.1f} {ratio(p_o, p_s):>11}")
    r_o, r_s = bench_roundtrip([ours, stock], a.rounds)
    print(f"{'round trip -wD -d + -wU -u, median (ms)':44} {r_o:12.2f} {r_s:12.2f} {ratio(r_o, r_s):>11}")
    c_o, c_s = bench_calls([ours, stock], a.rounds)
    for name in c_o:
        (wo, io), (ws, is_) = c_o[name], c_s[name]
        print(f"{name + ' wall, median (us)':44} {wo:12.0f} {ws:12.0f} {ratio(wo, ws):>11}")
        if io is not None:
            print(f"{name + ' instructions (callgrind)':44} {io:12d} {is_:12d} {ratio(io, is_):>11}")


if __name__ == "__main__":
    main()
