#!/usr/bin/env python3
"""/init to CMD with no services, the figure of issue 14 (as root; needs runc and busybox-static).

Only that one figure, measured with many trials so that a shared machine's noise averages
out (run it as `nice -n -15 bench/init_cmd_bench.py --rounds 60`):

  baseline  runc run, PID 1 = busybox sh (a static program) running the CMD
  /init     runc run, PID 1 = our /init, no services, running the same CMD, on a root file
            system as the image has it (what `docker run` gives each new container): what a
            previous boot wrote (/run/s6, /run/service, /var/run, ...) is removed before it,
            outside the timing.  This is the figure the target is for.
  restart   the same on the root file system the previous /init boot left (`docker restart`
            of a container, which keeps its writable layer): /init first clears that run's
            /run/s6 and /run/service on the image's file system.

The CMD is `sh -c 'echo > /bench/cmd.fifo'`; the instant it runs is taken on the host when
its write wakes the bench's poll() on that FIFO (bench/init_bench.py's Bench, Fifo and
boot_once: the same root file systems, the same clock).  The three take turns, each round
one of each, in an order that rotates from round to round (the machine is busier right after
a container's end).  /init's part is reported twice: the difference of the medians, and the
median of the per-round differences (each round saw about the same load).  The target is
5 ms.

Usage: bench/init_cmd_bench.py [--ours BUILD/tools] [--rounds R] [--verbose]
"""
import argparse, os, signal, statistics, sys

from init_bench import Bench, Failure, boot_once, runc_path, BUSYBOX

TARGET_MS = 5.0


def listing(root):
    """Every path under root, relative, links not followed."""
    out = set()
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            out.add(os.path.relpath(os.path.join(d, n), root))
    return out


def reset(root, image):
    """Removes from root what is not in image (a listing): what boots wrote."""
    for rel in sorted(listing(root) - image, key=lambda p: -p.count("/")):
        path = os.path.join(root, rel)
        if os.path.isdir(path) and not os.path.islink(path):
            os.rmdir(path)
        else:
            os.unlink(path)


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
        root = os.path.join(bare, "rootfs")
        image = listing(root)
        cmd = ["/bin/sh", "-c", "echo > /bench/cmd.fifo"]
        boot_once(b, bare, ["/init"] + cmd)  # so that the first restart finds a used root
        base, init, restart = [], [], []
        runs = [(base, cmd, None), (init, ["/init"] + cmd, image), (restart, ["/init"] + cmd, None)]
        for r in range(a.rounds):
            for into, args, fresh in runs[r % 3:] + runs[:r % 3]:
                if fresh is not None:
                    reset(root, fresh)
                into.append(boot_once(b, bare, args))
            b.log(f"round {r + 1}: baseline {base[-1]:.2f} ms, /init {init[-1]:.2f} ms, "
                  f"restart {restart[-1]:.2f} ms")
    except Failure as e:
        sys.exit(f"init_cmd_bench: {e}")
    finally:
        if b:
            b.cleanup()

    print(f"runc run started -> CMD runs (ms), {a.rounds} rounds    q1   median      q3")
    for name, xs in (("baseline: busybox sh as PID 1", base),
                     ("/init, no services, the image's root", init),
                     ("/init, restart (root of the last boot)", restart)):
        print(f"  {name:<40} {'%8.2f %8.2f %8.2f' % quartiles(xs)}")
    for name, xs, target in (("/init's part", init, True), ("a restart's part", restart, False)):
        by_medians = statistics.median(xs) - statistics.median(base)
        by_rounds = statistics.median([i - s for i, s in zip(xs, base)])
        verdict = (f"   (target <= {TARGET_MS:.0f} ms: "
                   f"{'met' if by_rounds <= TARGET_MS else 'NOT met'})") if target else ""
        print(f"  {name + ', difference of the medians':<49}{by_medians:+8.2f}")
        print(f"  {name + ', median of the differences':<49}{by_rounds:+8.2f}{verdict}")


if __name__ == "__main__":
    main()
