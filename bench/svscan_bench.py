#!/usr/bin/env python3
"""s6-svscan benchmarks, s6pp against stock s6 in one run, reported as ratios.

  1. Start-up: N services (`exec sleep 1000` run scripts, default 1000) in a fresh scan
     directory; wall time from starting s6-svscan until every supervise/status shows a
     running service (pid != 0 and not finishing).
  2. Shut-down: from running `s6-svscanctl -t SCANDIR` until s6-svscan has exited (it waits
     for every s6-supervise, and each s6-supervise for its service).
     Wall times on a shared 2-CPU machine move with the load, so two CPU-time figures come
     with them: s6-svscan's own CPU time (/proc/PID/schedstat) from start to all up, and
     the CPU time (user + sys, from wait4's rusage) of the whole tree over its life:
     s6-svscan, every s6-supervise and every service, start-up and shut-down included.
  3. Memory with M services (default 100, default -c): PSS (/proc/PID/smaps_rollup) of
     s6-svscan alone, and of the supervision tree = s6-svscan + all its s6-supervise
     children.  The `sleep` services are NOT part of the tree figure (they are the same
     /usr/bin/sleep on both sides); a second line adds them for completeness.  The
     anonymous part (Pss_Anon: heap, stack, data) is shown too, because PSS charges a
     lone static binary with all of its mapped text, while a dynamic one shares libc's
     text with every other process on the machine.

Each side uses its own binaries: ours from --ours (our s6-svscan runs the s6-supervise that
sits next to it), stock from --stock (Debian's s6-svscan runs /usr/bin/s6-supervise).  Every
measurement is repeated --rounds times, the sides taking turns (ours first in even rounds,
stock first in odd ones) so both see the same machine load; the tables show medians.

Limits: stock s6-svscan 2.11 keeps at most `-c` services (default 500, clamped to 2..90000),
so the start-up runs pass `-c N+100` to both sides.  N services mean about 2N processes
(s6-supervise + sleep) and a few fds each, so the script raises the soft RLIMIT_NOFILE and
RLIMIT_NPROC to their hard limits (inherited by s6-svscan and everything under it) and
refuses to run if the hard NPROC limit is obviously too small.

Every process a run starts has its cwd inside that run's temporary directory (s6-svscan in
the scan directory, s6-supervise and its service in the service directory), which is how
the clean-up finds them, even orphans: s6-svscan's process group is killed, then every
process whose cwd lies under the directory, in a finally block.

Usage: bench/svscan_bench.py [--ours BUILD/tools] [--stock /usr/bin] [--services N]
                             [--pss-services M] [--rounds R] [--verbose]
"""
import argparse, os, resource, shutil, signal, statistics, subprocess, sys, tempfile, time
from procinfo import ppid_of, procs_under, pss_kib

UP_TIMEOUT = 120.0    # seconds for N services to come up
EXIT_TIMEOUT = 120.0  # seconds for s6-svscan to exit after -t


def raise_limits(nprocs):
    for res in (resource.RLIMIT_NOFILE, resource.RLIMIT_NPROC):
        soft, hard = resource.getrlimit(res)
        if hard == resource.RLIM_INFINITY or soft < hard:
            resource.setrlimit(res, (hard, hard))
    soft, _ = resource.getrlimit(resource.RLIMIT_NPROC)
    if soft != resource.RLIM_INFINITY and soft < nprocs:
        sys.exit(f"RLIMIT_NPROC is {soft}, need about {nprocs} processes")


def make_scandir(n):
    root = os.path.realpath(tempfile.mkdtemp(prefix="s6pp-svscan-bench-"))
    scandir = os.path.join(root, "scan")
    os.mkdir(scandir)
    for i in range(n):
        d = os.path.join(scandir, f"svc{i:05d}")
        os.mkdir(d)
        run = os.path.join(d, "run")
        with open(run, "w") as f:
            f.write("#!/bin/sh\nexec sleep 1000\n")
        os.chmod(run, 0o755)
    return root, scandir


def status_up(path):
    try:
        with open(path, "rb") as f:
            b = f.read(35)
    except OSError:
        return False
    # 2.11 status: stamp(12) readystamp(12) pid(8, big-endian) wstat(2) flags(1); flag 2 =
    # finishing.
    return len(b) == 35 and int.from_bytes(b[24:32], "big") != 0 and not (b[34] & 2)


def wait_all_up(scandir, n, deadline):
    """Waits until every service is up and returns the time it saw the last one come up.
    A service seen up is never read again, and a pass stops at the first one still down
    (then sleeps 1 ms), so the whole wait opens about n + passes files and leaves the CPUs
    to the processes being measured."""
    pending = [os.path.join(scandir, f"svc{i:05d}", "supervise", "status") for i in range(n)]
    i = 0
    while i < n:
        if status_up(pending[i]):
            i += 1
            continue
        if time.monotonic() > deadline:
            raise RuntimeError(f"{n - i} of {n} services not up in time")
        time.sleep(0.001)
    return time.perf_counter()


class Tree:
    """One s6-svscan on a fresh scan directory; a context manager that kills everything it
    started and removes the directory, whatever happens."""

    def __init__(self, bindir, n, cmax):
        self.bindir, self.n = bindir, n
        self.root, self.scandir = make_scandir(n)
        self.errlog = open(os.path.join(self.root, "stderr"), "w+")
        self.argv = [os.path.join(bindir, "s6-svscan")]
        if cmax:
            self.argv += ["-c", str(cmax)]
        self.argv.append(self.scandir)
        self.proc = None

    def start(self):
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=self.errlog,
                                     start_new_session=True)
        return t0

    def stderr_tail(self):
        self.errlog.flush()
        self.errlog.seek(0)
        return "".join(self.errlog.readlines()[-5:])

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        try:
            if self.proc and self.proc.poll() is None:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            # The services run in their own sessions (s6-supervise setsids them): find them
            # by their cwd.  Two sweeps, in case something was forking during the first.
            for _ in range(2):
                for pid in procs_under(self.root):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                time.sleep(0.05)
            if self.proc:
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass
        finally:
            self.errlog.close()
            shutil.rmtree(self.root, ignore_errors=True)
        return False


def cpu_ns(pid):
    """Time pid has spent on a CPU so far (ns, /proc/PID/schedstat)."""
    with open(f"/proc/{pid}/schedstat") as f:
        return int(f.read().split()[0])


def wait_exit(proc, deadline):
    """Reaps proc with wait4 (polling, bounded) and returns its rusage: its own CPU time
    plus that of every descendant it, or they, waited for."""
    while True:
        pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return ru
        if time.monotonic() > deadline:
            raise RuntimeError("s6-svscan did not exit in time")
        time.sleep(0.001)


def run_updown(bindir, n):
    """One start-up + shut-down run.  Returns seconds to all up, seconds from -t to exit,
    s6-svscan's own CPU seconds until all were up, and the CPU seconds (user + sys) of the
    whole tree (svscan, supervisors, services) over its life."""
    with Tree(bindir, n, n + 100) as t:
        t0 = t.start()
        try:
            t_up = wait_all_up(t.scandir, n, time.monotonic() + UP_TIMEOUT) - t0
        except RuntimeError as e:
            raise RuntimeError(f"{bindir}: {e}\n{t.stderr_tail()}")
        if t.proc.poll() is not None:
            raise RuntimeError(f"{bindir}: s6-svscan exited early\n{t.stderr_tail()}")
        own_cpu = cpu_ns(t.proc.pid) / 1e9
        t1 = time.perf_counter()
        subprocess.run([os.path.join(bindir, "s6-svscanctl"), "-t", t.scandir], check=True)
        ru = wait_exit(t.proc, time.monotonic() + EXIT_TIMEOUT)
        t_down = time.perf_counter() - t1
        left = procs_under(t.root)
        if left:
            print(f"warning: {bindir}: {len(left)} processes left after s6-svscan exited",
                  file=sys.stderr)
        return t_up, t_down, own_cpu, ru.ru_utime + ru.ru_stime


def run_pss(bindir, n):
    """PSS (KiB) of s6-svscan, of s6-svscan + its s6-supervise children, and of that plus
    the services, with n services and the default -c; then the anonymous part (Pss_Anon)
    of the first two."""
    with Tree(bindir, n, 0) as t:
        t.start()
        wait_all_up(t.scandir, n, time.monotonic() + UP_TIMEOUT)
        time.sleep(0.3)  # let the last ones settle (measurement, not a test wait)
        svscan = t.proc.pid
        pids = procs_under(t.root)
        sups = [p for p in pids if ppid_of(p) == svscan]
        svcs = [p for p in pids if ppid_of(p) in set(sups)]
        if len(sups) != n or len(svcs) != n:
            raise RuntimeError(f"{bindir}: found {len(sups)} supervisors, {len(svcs)} services")
        own = pss_kib(svscan)
        tree = own + sum(pss_kib(p) for p in sups)
        whole = tree + sum(pss_kib(p) for p in svcs)
        own_anon = pss_kib(svscan, "Pss_Anon:")
        tree_anon = own_anon + sum(pss_kib(p, "Pss_Anon:") for p in sups)
        subprocess.run([os.path.join(bindir, "s6-svscanctl"), "-t", t.scandir], check=True)
        t.proc.wait(timeout=EXIT_TIMEOUT)
        return own, tree, whole, own_anon, tree_anon


def interleaved(sides, rounds, fn, verbose):
    """fn(bindir) for each side, rounds times, alternating which side goes first."""
    res = [[] for _ in sides]
    for r in range(rounds):
        order = range(len(sides)) if r % 2 == 0 else reversed(range(len(sides)))
        for i in order:
            v = fn(sides[i])
            res[i].append(v)
            if verbose:
                print(f"  round {r} {sides[i]}: {v}", file=sys.stderr)
    return res


def median_col(rows, k):
    return statistics.median(r[k] for r in rows)


def ratio(a, b):
    return f"{a / b:.2f}x" if b else "n/a"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--ours", default=os.path.join(here, "..", "build", "tools"))
    ap.add_argument("--stock", default="/usr/bin")
    ap.add_argument("--services", type=int, default=1000)
    ap.add_argument("--pss-services", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    ours, stock = os.path.abspath(a.ours), a.stock
    for b in (ours, stock):
        for tool in ("s6-svscan", "s6-svscanctl", "s6-supervise"):
            if not os.access(os.path.join(b, tool), os.X_OK):
                sys.exit(f"{b}/{tool} is missing")
    raise_limits(2 * max(a.services, a.pss_services) + 200)
    sides = [ours, stock]

    print(f"ours:  {ours}\nstock: {stock}\nrounds: {a.rounds} (medians shown)\n")
    print(f"{'measure':52} {'ours':>10} {'stock':>10} {'ours/stock':>11}")

    ud = interleaved(sides, a.rounds, lambda b: run_updown(b, a.services), a.verbose)
    for k, name in ((0, f"start -> {a.services} services up, wall (ms)"),
                    (1, f"svscanctl -t -> s6-svscan exited, wall (ms)"),
                    (2, "s6-svscan's own CPU, start -> all up (ms)"),
                    (3, "whole tree CPU (user+sys), start -> exit (ms)")):
        o, s = median_col(ud[0], k) * 1000, median_col(ud[1], k) * 1000
        print(f"{name:52} {o:10.0f} {s:10.0f} {ratio(o, s):>11}")

    pss = interleaved(sides, a.rounds, lambda b: run_pss(b, a.pss_services), a.verbose)
    m = a.pss_services
    for k, name in ((0, "s6-svscan PSS (KiB)"),
                    (1, f"svscan + {m} s6-supervise PSS, no services (KiB)"),
                    (2, f"same + the {m} sleep services (KiB)"),
                    (3, "s6-svscan Pss_Anon (KiB)"),
                    (4, f"svscan + {m} s6-supervise Pss_Anon (KiB)")):
        o, s = median_col(pss[0], k), median_col(pss[1], k)
        print(f"{name:52} {o:10.0f} {s:10.0f} {ratio(o, s):>11}")


if __name__ == "__main__":
    main()
