#!/usr/bin/env python3
"""Syslog throughput: s6pp's s6-socklog against stock s6-socklog 2.11.3.2, in one run.

Ten concurrent clients each send the same number of logger-sized datagrams
("<13>Dec  2 04:03:03 app[1234]: ..." of about 80 bytes) on blocking Unix datagram sockets,
as syslog(3) does, to one s6-socklog whose stdout is a file on a tmpfs.  A run lasts from the
first datagram to the moment the output holds every line.  Reported per daemon: the best
of --runs runs in messages per second, the daemon's own CPU time (user + sys, from wait4),
and the ratios ours/stock.  The clients (Python) share the machine with the daemon, so the
CPU figure is the steadier one on a busy machine.  Then a check that every
client's messages are all there, in order (a correctness failure exits 1).

    bench/syslog_bench.py [--ours build-rel/tools/s6-socklog] [--stock /usr/bin/s6-socklog]
                          [--messages 20000] [--clients 10] [--runs 3] [--dir /dev/shm]

Target (printed, not enforced): ours >= 1.5x stock.
"""

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from multiprocessing import Process, Barrier

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def message(client, i):
    return ("<13>Dec  2 04:03:03 app[%d]: client %d message %07d of the syslog benchmark"
            % (1000 + client, client, i)).encode()


def client(path, c, n, barrier):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    msgs = [message(c, i) for i in range(n)]
    barrier.wait()
    for m in msgs:
        s.sendto(m, path)


def expected_size(clients, n):
    # "<13>" becomes "user.notice: " (+9 bytes) and each line gains a newline.
    return sum(len(message(c, i)) + 9 + 1 for c in range(clients) for i in range(n))


def one_run(binary, workdir, clients, per_client, want_bytes):
    sock = os.path.join(workdir, "log")
    out_path = os.path.join(workdir, "out")
    for p in (sock, sock + ".lock", out_path):
        if os.path.exists(p):
            os.unlink(p)
    with open(out_path, "wb") as out:
        d = subprocess.Popen([binary, "-x", sock], stdout=out)
    deadline = time.monotonic() + 10
    while not os.path.exists(sock):
        if time.monotonic() > deadline:
            d.kill()
            raise SystemExit("%s did not bind its socket" % binary)
        time.sleep(0.005)
    barrier = Barrier(clients + 1)
    procs = [Process(target=client, args=(sock, c, per_client, barrier)) for c in range(clients)]
    for p in procs:
        p.start()
    barrier.wait()
    t0 = time.monotonic()
    deadline = t0 + 120
    while os.path.getsize(out_path) < want_bytes:
        if time.monotonic() > deadline:
            d.kill()
            raise SystemExit("%s: output incomplete after 120 s" % binary)
        time.sleep(0.001)
    elapsed = time.monotonic() - t0
    for p in procs:
        p.join()
    d.send_signal(signal.SIGTERM)
    _, _, ru = os.wait4(d.pid, 0)
    d.returncode = 0
    with open(out_path, "rb") as f:
        return elapsed, ru.ru_utime + ru.ru_stime, f.read()


def check(output, clients, per_client):
    nxt = [0] * clients
    pat = re.compile(rb"user\.notice: Dec  2 04:03:03 app\[\d+\]: client (\d+) message (\d+) ")
    for line in output.splitlines():
        m = pat.match(line)
        if not m:
            return "unexpected line: %r" % line[:100]
        c, i = int(m.group(1)), int(m.group(2))
        if i != nxt[c]:
            return "client %d: message %d where %d was due" % (c, i, nxt[c])
        nxt[c] += 1
    if nxt != [per_client] * clients:
        return "missing messages: %r" % nxt
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ours", default=os.path.join(ROOT, "build-rel/tools/s6-socklog"))
    ap.add_argument("--stock", default="/usr/bin/s6-socklog")
    ap.add_argument("--messages", type=int, default=20000, help="per client")
    ap.add_argument("--clients", type=int, default=10)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dir", default="/dev/shm")
    a = ap.parse_args()
    want = expected_size(a.clients, a.messages)
    total = a.clients * a.messages
    best, least = {}, {}
    failed = False
    with tempfile.TemporaryDirectory(dir=a.dir) as wd:
        for r in range(a.runs):
            for name, binary in (("stock", a.stock), ("ours", a.ours)):
                elapsed, cpu, output = one_run(binary, wd, a.clients, a.messages, want)
                problem = check(output, a.clients, a.messages)
                if problem:
                    print("%s: %s" % (name, problem))
                    failed = True
                rate = total / elapsed
                print("run %d %-5s %8.3f s  %10.0f msg/s  daemon CPU %.3f s (%.2f us/msg)"
                      % (r + 1, name, elapsed, rate, cpu, cpu * 1e6 / total))
                best[name] = max(best.get(name, 0), rate)
                least[name] = min(least.get(name, 1e9), cpu)
    print("best: stock %.0f msg/s, ours %.0f msg/s, ratio ours/stock %.2f (target >= 1.5)"
          % (best["stock"], best["ours"], best["ours"] / best["stock"]))
    print("least daemon CPU: stock %.3f s, ours %.3f s, ratio ours/stock %.2f"
          % (least["stock"], least["ours"], least["ours"] / least["stock"]))
    print("%d clients x %d messages, every message present and in order: %s"
          % (a.clients, a.messages, "no" if failed else "yes"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
