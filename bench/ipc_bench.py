#!/usr/bin/env python3
"""s6-ipcserver, s6-ipcclient and s6-fdholderd benchmarks, s6pp against stock s6 in one run, as ratios.

  1. Connection rate: `s6-ipcclient SOCKET CLIENT` against `s6-ipcserver SOCKET SERVED`, each
     side with its own client and server.  SERVED writes one byte on its stdout (the
     connection) and exits; CLIENT reads that byte from fd 6 and exits: one connection, one
     exchange, exit.  Each run is timed from the spawn of s6-ipcclient to its exit; the rate
     is 1 / the median.  CLIENT and SERVED are tiny static programs written by the script, the
     same for both sides, so that the figures are the IPC programs' own.
  2. Idle s6-ipcserverd: the proportional set size (Pss, /proc/PID/smaps_rollup) of a server
     that listens and has served its connections, in all and its anonymous part alone
     (Pss_Anon: heap, stack, data written to).  The rest is file-backed: for our static
     binary that is its own text, counted whole when no other process maps it, for stock's
     dynamic one mostly libc and libskarnet, shared with every other process using them.

  3. Idle s6-fdholderd: the same two measures for a fd-holder daemon (started by each side's
     s6-fdholder-daemon, default limits) that holds two pipe ends and has answered a list:
     alone, and as it runs in an image, as a service under its side's s6-svscan, beside four
     other services (sleep).  Our s6-fdholderd is a link to the shared executable of the
     supervision tree (tools/entries.hh), whose text its s6-svscan and s6-supervise processes
     share; stock's maps libc and libskarnet, shared with every dynamic process.
  4. Idle s6-ipcserverd as it runs in an image (s6-rc's oneshot runner is one): a service
     `s6-ipcserver SOCKET SERVED` in that same tree, measured after 20 connections.

Runs alternate between the sides (ours first in even rounds, stock first in odd ones) so that
both see the same machine load.  Our s6-ipcserver finds our socketbinder and s6-ipcserverd
next to itself; stock's finds stock's.

Usage: bench/ipc_bench.py [--ours BUILD/tools] [--stock /usr/bin] [--rounds N]
"""
import argparse, os, shutil, socket, statistics, subprocess, sys, tempfile, time

from procinfo import pss_kib

SERVED_C = "#include <unistd.h>\nint main(void) { return write(1, \"x\", 1) == 1 ? 0 : 1; }\n"
CLIENT_C = ("#include <unistd.h>\n"
            "int main(void) { char c; return read(6, &c, 1) == 1 ? 0 : 1; }\n")


def make_static(root, name, source):
    """A static program from C source; exits if no C compiler can make one."""
    src, exe = os.path.join(root, name + ".c"), os.path.join(root, name)
    with open(src, "w") as f:
        f.write(source)
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc or subprocess.run([cc, "-O2", "-static", "-o", exe, src],
                                stderr=subprocess.DEVNULL).returncode != 0:
        sys.exit("no C compiler able to link a static program")
    return exe


def listening(path):
    """Whether a Unix socket listens at path (/proc/net/unix, flag __SO_ACCEPTCON)."""
    with open("/proc/net/unix") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 8 and parts[-1] == path and int(parts[3], 16) & 0x10000:
                return True
    return False


def start_server(bindir, sock, served):
    p = subprocess.Popen([os.path.join(bindir, "s6-ipcserver"), "-c", "1000", sock, served],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not listening(sock):
        if time.monotonic() > deadline or p.poll() is not None:
            sys.exit(f"{bindir}/s6-ipcserver did not start listening")
        time.sleep(0.01)
    return p


def fdholder_rules(root, n):
    """A rules directory letting this uid store, retrieve and list; its path."""
    rules = os.path.join(root, f"rules-{n}", "uid", str(os.getuid()))
    os.makedirs(os.path.join(rules, "env"))
    open(os.path.join(rules, "allow"), "w").close()
    for var, value in (("STORE_REGEX", ".*"), ("RETRIEVE_REGEX", ".*"), ("LIST", "1")):
        with open(os.path.join(rules, "env", "S6_FDHOLDER_" + var), "w") as f:
            f.write(value + "\n")
    return os.path.join(root, f"rules-{n}")


def wait_listening(sock, alive, what):
    deadline = time.monotonic() + 10
    while not listening(sock):
        if time.monotonic() > deadline or not alive():
            sys.exit(f"{what} did not start listening")
        time.sleep(0.01)


def fill_fdholder(bindir, sock):
    """Stores two pipe ends in the daemon at sock, then lists them."""
    r, w = os.pipe()
    for fd, name in ((r, "pipe-r"), (w, "pipe-w")):
        subprocess.run([os.path.join(bindir, "s6-fdholder-store"), "-d", str(fd), sock, name],
                       pass_fds=(fd,), check=True)
    os.close(r)
    os.close(w)
    subprocess.run([os.path.join(bindir, "s6-fdholder-list"), sock], check=True,
                   stdout=subprocess.DEVNULL)


def start_fdholder(bindir, root, n):
    """A fd-holder daemon from bindir, alone, holding two pipe ends; its Popen."""
    sock = os.path.join(root, f"fdholder-{n}")
    p = subprocess.Popen([os.path.join(bindir, "s6-fdholder-daemon"), "-i",
                          fdholder_rules(root, n), sock],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_listening(sock, lambda: p.poll() is None, f"{bindir}/s6-fdholder-daemon")
    fill_fdholder(bindir, sock)
    return p


def supervised_fdholder(bindir, root, n, served):
    """bindir's s6-svscan on a scan directory with a fd-holder service, a local IPC server
    (s6-ipcserver running served) and four sleepers; returns the s6-svscan Popen, the scan
    directory, the pids of the s6-fdholderd and the s6-ipcserverd it runs, and the IPC
    server's socket."""
    scan = os.path.join(root, f"scan-{n}")
    sock = os.path.join(root, f"supervised-{n}")
    ipc = os.path.join(root, f"supervised-ipc-{n}")
    rules = fdholder_rules(root, f"sup-{n}")
    runs = {"fdholder": f"exec {bindir}/s6-fdholder-daemon -i {rules} {sock}",
            "ipcserver": f"exec {bindir}/s6-ipcserver -c 1000 {ipc} {served}"}
    runs.update({f"sleep{i}": "exec sleep 100000" for i in range(4)})
    for name, body in runs.items():
        os.makedirs(os.path.join(scan, name))
        with open(os.path.join(scan, name, "run"), "w") as f:
            f.write(f"#!/bin/sh\n{body}\n")
        os.chmod(os.path.join(scan, name, "run"), 0o755)
    p = subprocess.Popen([os.path.join(bindir, "s6-svscan"), scan],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_listening(sock, lambda: p.poll() is None, f"{bindir}/s6-svscan's fd-holder")
    wait_listening(ipc, lambda: p.poll() is None, f"{bindir}/s6-svscan's IPC server")
    fill_fdholder(bindir, sock)
    pids = [int(subprocess.run([os.path.join(bindir, "s6-svstat"), "-p",
                                os.path.join(scan, name)],
                               capture_output=True, text=True, check=True).stdout)
            for name in ("fdholder", "ipcserver")]
    return p, scan, pids[0], pids[1], ipc


def stop_tree(bindir, p, scan):
    subprocess.run([os.path.join(bindir, "s6-svscanctl"), "-t", scan])
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def one_run(argv):
    t0 = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ)
    _, st = os.waitpid(pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(st) != 0:
        sys.exit(f"{argv} exited {os.waitstatus_to_exitcode(st)}")
    return wall


def ratio(a, b):
    return f"{a / b:.2f}x" if a is not None and b else "n/a"


def interleaved_walls(argvs, rounds):
    """Wall times of one_run(argv) for the two sides, taking turns (ours first in even rounds,
    stock first in odd ones) so that both see the same machine load."""
    walls = [[], []]
    for r in range(rounds):
        for i in (0, 1) if r % 2 == 0 else (1, 0):
            walls[i].append(one_run(argvs[i]))
    return walls


def header(sides, rounds):
    print(f"ours:  {sides[0]}\nstock: {sides[1]}\nrounds: {rounds}\n")
    print(f"{'measure':48} {'ours':>10} {'stock':>10} {'ours/stock':>11}")


def row(label, ours, stock, fmt="10.0f"):
    print(f"{label:48} {ours:{fmt}} {stock:{fmt}} {ratio(ours, stock):>11}")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--ours", default=os.path.join(here, "..", "build", "tools"))
    ap.add_argument("--stock", default="/usr/bin")
    ap.add_argument("--rounds", type=int, default=500)
    a = ap.parse_args()
    sides = (os.path.abspath(a.ours), a.stock)
    for side in sides:
        for t in ("s6-ipcserver", "s6-ipcclient", "s6-ipcserverd", "s6-ipcserver-socketbinder",
                  "s6-fdholder-daemon", "s6-fdholderd", "s6-fdholder-store", "s6-fdholder-list",
                  "s6-svscan", "s6-svscanctl", "s6-svstat"):
            if not os.access(os.path.join(side, t), os.X_OK):
                sys.exit(f"no {t} in {side}")
    root = tempfile.mkdtemp(prefix="s6pp-ipc-bench-")
    servers = []
    trees = []
    holders = []
    try:
        served = make_static(root, "served", SERVED_C)
        client = make_static(root, "client", CLIENT_C)
        socks = [os.path.join(root, f"sock-{n}") for n in range(2)]
        servers = [start_server(side, sock, served) for side, sock in zip(sides, socks)]
        argvs = [[os.path.join(side, "s6-ipcclient"), sock, client]
                 for side, sock in zip(sides, socks)]
        for argv in argvs:  # one connection each before anything is measured
            one_run(argv)
        med = [statistics.median(w) for w in interleaved_walls(argvs, a.rounds)]
        rate = [1 / m for m in med]
        time.sleep(0.2)  # the last served programs reaped
        pss = [pss_kib(p.pid) for p in servers]
        anon = [pss_kib(p.pid, "Pss_Anon:") for p in servers]
        holders = [start_fdholder(side, root, n) for n, side in enumerate(sides)]
        time.sleep(0.2)  # the clients' connections closed
        fpss = [pss_kib(p.pid) for p in holders]
        fanon = [pss_kib(p.pid, "Pss_Anon:") for p in holders]
        for p in holders:  # gone before the trees start: they would share the trees' pages
            p.terminate()
            p.wait()
        for n, side in enumerate(sides):
            trees.append((side,) + supervised_fdholder(side, root, n, served))
        time.sleep(0.5)  # the other services started, the clients' connections closed
        spss = [pss_kib(t[3]) for t in trees]
        for t in trees:  # the supervised IPC server serves a few clients, then idles
            for _ in range(20):
                one_run([os.path.join(t[0], "s6-ipcclient"), t[5], client])
        time.sleep(0.2)  # the last served programs reaped
        ipss = [pss_kib(t[4]) for t in trees]
        header(sides, f"{a.rounds} (medians shown)")
        row("connect + one exchange + exit, wall (us)", med[0] * 1e6, med[1] * 1e6)
        row("connection rate (per second)", rate[0], rate[1])
        row("idle s6-ipcserverd Pss (KiB)", pss[0], pss[1], "10d")
        row("idle s6-ipcserverd Pss_Anon (KiB)", anon[0], anon[1], "10d")
        row("idle s6-fdholderd Pss (KiB)", fpss[0], fpss[1], "10d")
        row("idle s6-fdholderd Pss_Anon (KiB)", fanon[0], fanon[1], "10d")
        row("idle s6-fdholderd Pss, supervised, 6 services", spss[0], spss[1], "10d")
        row("idle s6-ipcserverd Pss, supervised, 6 services", ipss[0], ipss[1], "10d")
    finally:
        for side, p, scan, *_ in trees:
            stop_tree(side, p, scan)
        for p in servers + holders:
            if p.poll() is not None:
                continue
            p.terminate()
            p.wait()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
