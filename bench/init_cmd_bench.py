#!/usr/bin/env python3
"""/init to CMD with no services, the figure of issue 14 (as root; needs runc and busybox-static).

Only that one figure, measured with many trials so that a shared machine's noise averages
out (run it as `nice -n -15 bench/init_cmd_bench.py --rounds 60`):

  baseline  runc run, PID 1 = busybox sh (a static program) running the CMD
  /init     runc run, PID 1 = our /init, no services, running the same CMD

The CMD is `sh -c 'echo > /bench/cmd.fifo'`; the instant it runs is taken on the host when
its write wakes the bench's poll() on that FIFO (bench/init_bench.py's Bench, Fifo and
boot_once: the same root file systems, the same clock).  The two take turns, each round a
pair, the baseline first in even rounds.  /init's part is reported twice: the difference of
the two medians, and the median of the per-round differences (each pair saw about the same
load).  The target is 5 ms.

Usage: bench/init_cmd_bench.py [--ours BUILD/tools] [--rounds R] [--verbose]
"""
import argparse, os, signal, statistics, sys

from init_bench import Bench, Failure, boot_once, runc_path, BUSYBOX

TARGET_MS = 5.0


def quartiles(xs):
    q = statistics.quantiles(xs, n=4)
    return q[0], statistics.median(xs), q[2]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ours", default=os.path.join(here, "..", "build", "tools"))
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("init_cmd_bench: must run as root (runc)")
    if not runc_path() or not os.access(BUSYBOX, os.X_OK):
        sys.exit("init_cmd_bench: needs runc and " + BUSYBOX)
    if a.rounds < 4:
        sys.exit("init_cmd_bench: --rounds must be at least 4")

    def interrupted(sig, _):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, interrupted)

    b = None
    try:
        b = Bench(os.path.realpath(a.ours), a.verbose)
        bare = b.bundle("bare", {})
        cmd = ["/bin/sh", "-c", "echo > /bench/cmd.fifo"]
        base, init = [], []
        for r in range(a.rounds):
            runs = [(base, cmd), (init, ["/init"] + cmd)]
            for into, args in (runs if r % 2 == 0 else runs[::-1]):
                into.append(boot_once(b, bare, args))
            b.log(f"round {r + 1}: baseline {base[-1]:.2f} ms, /init {init[-1]:.2f} ms")
    except Failure as e:
        sys.exit(f"init_cmd_bench: {e}")
    finally:
        if b:
            b.cleanup()

    print(f"runc run started -> CMD runs (ms), {a.rounds} rounds    q1   median      q3")
    for name, xs in (("baseline: busybox sh as PID 1", base), ("/init, no services", init)):
        print(f"  {name:<40} {'%8.2f %8.2f %8.2f' % quartiles(xs)}")
    diffs = [i - s for i, s in zip(init, base)]
    by_medians = statistics.median(init) - statistics.median(base)
    by_pairs = statistics.median(diffs)
    print(f"  /init's part, difference of the medians  {by_medians:+8.2f}")
    print(f"  /init's part, median of the differences  {by_pairs:+8.2f}"
          f"   (target <= {TARGET_MS:.0f} ms: {'met' if by_pairs <= TARGET_MS else 'NOT met'})")


if __name__ == "__main__":
    main()
