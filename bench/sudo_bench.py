#!/usr/bin/env python3
"""s6-sudo round trip, s6pp against stock s6 in one run, as a ratio.

Each side runs its own `s6-ipcserver SOCKET s6-sudod` and its own client, `s6-sudo SOCKET
TRUE`, where TRUE is a tiny static program that exits 0 (written by the script, the same for
both sides, so the figures are the sudo programs' own).  One run, timed from the spawn of
s6-sudo to its exit: connect, s6-sudod spawned by s6-ipcserverd, the request with the
client's three standard fds, TRUE spawned and reaped, its exit code carried back.  Runs
alternate between the sides (ours first in even rounds, stock first in odd ones) so that
both see the same machine load; the table shows medians and the 25th percentiles.

Usage: bench/sudo_bench.py [--ours BUILD/tools] [--stock /usr/bin] [--rounds N]
Target (issue 11): ours/stock <= 0.7.
"""
import argparse, os, shutil, statistics, sys, tempfile, time

from ipc_bench import header, interleaved_walls, make_static, one_run, row, start_server

TRUE_C = "int main(void) { return 0; }\n"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--ours", default=os.path.join(here, "..", "build", "tools"))
    ap.add_argument("--stock", default="/usr/bin")
    ap.add_argument("--rounds", type=int, default=500)
    a = ap.parse_args()
    sides = (os.path.abspath(a.ours), a.stock)
    for side in sides:
        for t in ("s6-ipcserver", "s6-ipcserverd", "s6-sudo", "s6-sudoc", "s6-sudod"):
            if not os.access(os.path.join(side, t), os.X_OK):
                sys.exit(f"no {t} in {side}")
    root = tempfile.mkdtemp(prefix="s6pp-sudo-bench-")
    servers = []
    try:
        true = make_static(root, "true", TRUE_C)
        socks = [os.path.join(root, f"sock-{n}") for n in range(2)]
        servers = [start_server(side, sock, os.path.join(side, "s6-sudod"))
                   for side, sock in zip(sides, socks)]
        argvs = [[os.path.join(side, "s6-sudo"), sock, true] for side, sock in zip(sides, socks)]
        for argv in argvs:  # one request each before anything is measured
            one_run(argv)
        walls = interleaved_walls(argvs, a.rounds)
        med = [statistics.median(w) for w in walls]
        p25 = [sorted(w)[len(w) // 4] for w in walls]
        header(sides, a.rounds)
        row("s6-sudo SOCKET true, median wall (us)", med[0] * 1e6, med[1] * 1e6)
        row("s6-sudo SOCKET true, 25th percentile (us)", p25[0] * 1e6, p25[1] * 1e6)
    finally:
        for p in servers:
            p.terminate()
            p.wait()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
