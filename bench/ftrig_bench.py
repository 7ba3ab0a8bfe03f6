#!/usr/bin/env python3
"""Fifodir benchmarks, s6pp against stock s6 in one run, reported as ratios.

  1. Wake-up latency of s6-ftrig-listen1: `s6-ftrig-listen1 FIFODIR x PROG` is started and
     left to settle (its FIFO is in FIFODIR, PROG has exited and been reaped); then the script
     writes the event byte "x" straight into that FIFO, as a notifier does, and times the
     interval from that write to the listener's exit (wait4).  Stock's listener gets the event
     through its s6-ftrigrd helper and a pipe; ours reads the FIFO itself.
  2. The same for s6-svlisten1 -u on a service that is down (a supervise/status written by the
     script, no supervisor): the event is "u".  And for s6-svlisten -u -o on two such
     services, the event going to the first: stock's s6-ftrigrd then holds two subscriptions,
     ours two FIFOs of its own.
  3. Memory of an idle s6-ftrigrd serving one client: the script is the client.  It spawns the
     helper as libs6's ftrigr_startf() does (three pipes, SKALIBS_CHILD_SPAWN_FDS, the
     "ftrigr v1.0" handshake), subscribes to one fifodir, and then reads the helper's PSS
     (/proc/PID/smaps_rollup) and its anonymous part (Pss_Anon: heap, stack, data).
     Where the helper runs matters: PSS divides a page among the processes that map it.
     Stock's is dynamic and shares libc's text with every process on the machine (and
     libskarnet's with every stock s6 program); ours is static, and on a recent kernel a
     static binary gets (nearly) all of its text mapped, so alone in its file it is charged
     for all of it.  Ours is therefore a program of the shared executable, the one the
     supervision tree runs (s6-svscan, s6-supervise): the figure that matters is the helper
     beside a tree of --tree services run by the same side's s6-svscan, which is where
     ftrigr clients (s6-rc, s6-svwait, s6-linux-init...) run.  The helper alone is shown too.

PROG is a tiny static program written by the script (it only exits 0), the same for both
sides.  Each side uses its own binaries, from --ours and --stock; stock's s6-ftrig-listen1 and
s6-svlisten1 spawn /usr/bin/s6-ftrigrd (where libs6 looks), whatever --stock says.  Runs
alternate between the sides (ours first in even rounds, stock first in odd ones) so that both
see the same machine load; the tables show medians.

Usage: bench/ftrig_bench.py [--ours BUILD/tools] [--stock /usr/bin] [--rounds N] [--tree N]
"""
import argparse, os, select, shutil, statistics, struct, subprocess, sys, tempfile, time
from procinfo import comm_of, pss_kib
from svscan_bench import Tree, wait_all_up

TRUE_C = "int main(void) { return 0; }\n"
SETTLE_TIMEOUT = 5.0
EXIT_TIMEOUT = 5.0


def make_true(root):
    """A static do-nothing program, or /bin/true if no C compiler can make one."""
    src, exe = os.path.join(root, "true.c"), os.path.join(root, "true")
    with open(src, "w") as f:
        f.write(TRUE_C)
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc and subprocess.run([cc, "-O2", "-static", "-o", exe, src],
                             stderr=subprocess.DEVNULL).returncode == 0:
        return exe
    return "/bin/true"


def listener_fifos(fifodir):
    return [os.path.join(fifodir, n) for n in os.listdir(fifodir)
            if n.startswith("ftrig1:@") and len(n) == 39]


def children_of(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def settled(pid, fifodir):
    """The listener has subscribed, and its only child left is its helper (if it has one)."""
    if len(listener_fifos(fifodir)) != 1:
        return False
    return all(comm_of(c) == "s6-ftrigrd" for c in children_of(pid))


def wake_up(argv, fifodir, event):
    """Seconds from writing event into the listener's FIFO to the listener's exit."""
    devnull = os.open(os.devnull, os.O_RDWR)
    pid = os.posix_spawn(argv[0], argv, os.environ,
                         file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1)])
    os.close(devnull)
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while not settled(pid, fifodir):
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            sys.exit(f"{argv}: did not settle")
        time.sleep(0.001)
    fifo = listener_fifos(fifodir)[0]
    fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    t0 = time.perf_counter()
    os.write(fd, event)
    _, st = os.waitpid(pid, 0)
    dt = time.perf_counter() - t0
    os.close(fd)
    if os.waitstatus_to_exitcode(st) != 0:
        sys.exit(f"{argv} exited {os.waitstatus_to_exitcode(st)}")
    # Stock's helper leaves after its client: wait until its FIFO is gone too.
    deadline = time.monotonic() + EXIT_TIMEOUT
    while listener_fifos(fifodir) and time.monotonic() < deadline:
        time.sleep(0.001)
    return dt


def interleaved(runs, rounds):
    times = [[] for _ in runs]
    for r in range(rounds):
        order = range(len(runs)) if r % 2 == 0 else reversed(range(len(runs)))
        for i in order:
            times[i].append(runs[i]())
    return [statistics.median(t) * 1e6 for t in times]


def fake_down_service(d):
    """A service directory as a stopped supervisor leaves it: event/ and a 'down' status."""
    os.makedirs(os.path.join(d, "supervise"))
    os.mkdir(os.path.join(d, "event"), 0o700)
    os.chmod(os.path.join(d, "event"), 0o3730)
    # 2.11 status: stamp(12) readystamp(12) pid(8) wstat(2) flags(1); flag 0x08 = want up.
    stamp = struct.pack(">QL", (1 << 62) + int(time.time()) + 37, 0)
    with open(os.path.join(d, "supervise", "status"), "wb") as f:
        f.write(stamp + stamp + bytes(8) + bytes(2) + bytes([0x08]))


def frame(b):
    return struct.pack(">I", len(b)) + b


def read_frame(fd, timeout=SETTLE_TIMEOUT):
    buf = b""
    deadline = time.monotonic() + timeout
    while len(buf) < 4 or len(buf) < 4 + struct.unpack(">I", buf[:4])[0]:
        r, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not r:
            sys.exit("s6-ftrigrd: no answer")
        chunk = os.read(fd, 4096)
        if not chunk:
            sys.exit("s6-ftrigrd: connection closed")
        buf += chunk
    return buf[4:]


def idle_helper_pss(helper, fifodir):
    """(Pss, Pss_Anon) in KiB of helper serving one subscription of ours, idle."""
    req_r, req_w = os.pipe()
    ans_r, ans_w = os.pipe()
    asy_r, asy_w = os.pipe()
    os.set_inheritable(asy_w, True)
    pid = os.posix_spawn(helper, [helper], {"SKALIBS_CHILD_SPAWN_FDS": str(asy_w)},
                         file_actions=[(os.POSIX_SPAWN_DUP2, req_r, 0),
                                       (os.POSIX_SPAWN_DUP2, ans_w, 1)])
    for fd in (req_r, ans_w, asy_w):
        os.close(fd)
    try:
        os.write(req_w, frame(b"ftrigr v1.0 (b)\n"))
        if read_frame(asy_r) != b"ftrigr v1.0 (a)\n" or read_frame(ans_r) != b"ftrigr v1.0 (a)\n":
            sys.exit(f"{helper}: bad handshake")
        path, re = fifodir.encode(), b"[DuUdOx]"
        os.write(req_w, frame(b"\x00\x00L" + struct.pack(">III", 1, len(path), len(re)) +
                              path + b"\0" + re + b"\0"))
        if read_frame(ans_r) != b"\0":
            sys.exit(f"{helper}: subscription refused")
        time.sleep(0.2)  # idle
        return pss_kib(pid), pss_kib(pid, "Pss_Anon:")
    finally:
        for fd in (req_w, ans_r, asy_r):
            os.close(fd)
        os.waitpid(pid, 0)


def ratio(a, b):
    return f"{a / b:.2f}x" if b else "n/a"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--ours", default=os.path.join(here, "..", "build", "tools"))
    ap.add_argument("--stock", default="/usr/bin")
    ap.add_argument("--rounds", type=int, default=200)
    ap.add_argument("--tree", type=int, default=10,
                    help="services in the supervision tree the helper runs beside")
    a = ap.parse_args()
    ours, stock = os.path.abspath(a.ours), a.stock
    for side in (ours, stock):
        for tool in ("s6-ftrig-listen1", "s6-svlisten1", "s6-svlisten", "s6-ftrigrd",
                     "s6-svscan"):
            if not os.access(os.path.join(side, tool), os.X_OK):
                sys.exit(f"no {tool} in {side}")
    root = os.path.realpath(tempfile.mkdtemp(prefix="s6pp-ftrig-bench-"))
    try:
        prog = make_true(root)
        print(f"ours:  {ours}\nstock: {stock}\nprog:  {prog}\n"
              f"rounds: {a.rounds} (medians shown)\n")
        print(f"{'measure':52} {'ours':>10} {'stock':>10} {'ours/stock':>11}")

        fifodirs = []
        for n in ("ours", "stock"):
            d = os.path.join(root, "fd-" + n)
            os.mkdir(d, 0o700)
            os.chmod(d, 0o1733)
            fifodirs.append(d)
        runs = [lambda side=side, d=d: wake_up(
                    [os.path.join(side, "s6-ftrig-listen1"), d, "x", prog], d, b"x")
                for side, d in zip((ours, stock), fifodirs)]
        o, s = interleaved(runs, a.rounds)
        print(f"{'s6-ftrig-listen1: event to exit (us)':52} {o:10.0f} {s:10.0f} {ratio(o, s):>11}")

        svcs = []
        for n in ("ours", "stock"):
            d = os.path.join(root, "svc-" + n)
            fake_down_service(d)
            svcs.append(d)
        runs = [lambda side=side, d=d: wake_up(
                    [os.path.join(side, "s6-svlisten1"), "-u", d, prog],
                    os.path.join(d, "event"), b"u")
                for side, d in zip((ours, stock), svcs)]
        o, s = interleaved(runs, a.rounds)
        print(f"{'s6-svlisten1 -u: event to exit (us)':52} {o:10.0f} {s:10.0f} {ratio(o, s):>11}")

        pairs = []
        for n in ("ours", "stock"):
            pair = [os.path.join(root, f"svl-{n}-{k}") for k in ("a", "b")]
            for d in pair:
                fake_down_service(d)
            pairs.append(pair)
        runs = [lambda side=side, p=p: wake_up(
                    [os.path.join(side, "s6-svlisten"), "-u", "-o", " " + p[0], " " + p[1], "",
                     prog], os.path.join(p[0], "event"), b"u")
                for side, p in zip((ours, stock), pairs)]
        o, s = interleaved(runs, a.rounds)
        print(f"{'s6-svlisten -u -o, 2 services: event to exit (us)':52} {o:10.0f} {s:10.0f} "
              f"{ratio(o, s):>11}")

        for tree in (0, a.tree):
            pss = [[], []]
            for r in range(max(3, a.rounds // 40)):
                order = (0, 1) if r % 2 == 0 else (1, 0)
                for i in order:
                    side = (ours, stock)[i]
                    helper = os.path.join(side, "s6-ftrigrd")
                    if not tree:
                        pss[i].append(idle_helper_pss(helper, fifodirs[i]))
                        continue
                    with Tree(side, tree, 0) as t:
                        t.start()
                        wait_all_up(t.scandir, tree, time.monotonic() + 60)
                        pss[i].append(idle_helper_pss(helper, fifodirs[i]))
            where = f"beside a tree of {tree}" if tree else "alone"
            for k, what in ((0, "PSS"), (1, "Pss_Anon")):
                name = f"idle s6-ftrigrd {where}: {what} (KiB)"
                o = statistics.median(p[k] for p in pss[0])
                s = statistics.median(p[k] for p in pss[1])
                print(f"{name:52} {o:10.0f} {s:10.0f} {ratio(o, s):>11}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
