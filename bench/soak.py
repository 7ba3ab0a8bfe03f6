#!/usr/bin/env python3
"""Soak: a supervision tree of ours left to churn, sampled for leaks, zombies and bad status.

The tree: our s6-svscan on a fresh scan directory with
  - CRASHERS services that exit 1 at once (every other one with a finish script that exits
    too), so s6-supervise restarts them once a second, for the whole run;
  - CONTROLLED services that print a line a second into their own logger (log/run: our s6-log
    with rotation, so s6-log churns files too), driven by a random s6-svc driver: one command
    every --period ms, picked among -u -d -r -k -t -o -p -c -wu -wd (with a timeout) on a
    random one of them.
Every --interval seconds the script samples, for each daemon (s6-svscan, each s6-supervise,
each s6-log): its resident set (VmRSS) and its open fds; the zombies among the tree's
processes (a zombie seen at two samples in a row is a stuck one: a short-lived zombie between
SIGCHLD and the reap is normal); and every supervise/status file (exactly 35 bytes, a TAI64N
label that starts with 0x40, flags with no unknown bits).

At the end it prints, per kind of daemon, the least-squares slope of RSS (KiB per hour) and
of fds (per hour) over the run, the mean over the daemons of the kind and the worst one,
the first and last means, the stuck zombies and the invalid status samples.  Everything
started is stopped and reaped in a finally block (s6-svscanctl -t, then any process whose
cwd is in the run's directory).

Usage: bench/soak.py [--ours BUILD/tools] [--minutes 30] [--crashers 200] [--controlled 20]
                     [--interval 10] [--period 100]
"""
import argparse, os, random, shutil, signal, statistics, subprocess, sys, tempfile, time

from procinfo import comm_of, ppid_of, procs_under

DRIVER_CMDS = [["-u"], ["-d"], ["-r"], ["-k"], ["-t"], ["-o"], ["-p"], ["-c"],
               ["-wu", "-T", "2000", "-u"], ["-wd", "-T", "2000", "-d"]]


def write_exe(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o755)


def make_tree(scan, bindir, crashers, controlled):
    os.makedirs(scan)
    for i in range(crashers):
        d = os.path.join(scan, f"crash{i:03}")
        os.makedirs(d)
        write_exe(os.path.join(d, "run"), "#!/bin/sh\nexit 1\n")
        if i % 2:
            write_exe(os.path.join(d, "finish"), "#!/bin/sh\nexit 0\n")
    for i in range(controlled):
        d = os.path.join(scan, f"ctl{i:02}")
        os.makedirs(os.path.join(d, "log"))
        write_exe(os.path.join(d, "run"),
                  "#!/bin/sh\nexec 2>&1\nwhile :; do echo \"tick $$ $(date +%s)\"; sleep 1; done\n")
        write_exe(os.path.join(d, "log", "run"),
                  f"#!/bin/sh\nexec {bindir}/s6-log t n3 s2000 ./main\n")


def status_ok(path):
    try:
        with open(path, "rb") as f:
            b = f.read(64)
    except FileNotFoundError:
        return True  # not written yet: nothing to judge
    return len(b) == 35 and b[0] == 0x40 and b[12] in (0x00, 0x40) and not (b[34] & 0xf0)


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def nfds(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


def state_of(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
        return s[s.rindex(")") + 2]
    except OSError:
        return None


def slope_per_hour(points):
    """Least-squares slope of (t seconds, v) points, per hour; 0 with fewer than 2."""
    if len(points) < 2:
        return 0.0
    ts = [t for t, _ in points]
    vs = [v for _, v in points]
    mt, mv = statistics.mean(ts), statistics.mean(vs)
    den = sum((t - mt) ** 2 for t in ts)
    return 0.0 if den == 0 else sum((t - mt) * (v - mv) for t, v in points) / den * 3600


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--ours", default=os.path.join(here, "..", "build", "tools"))
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--crashers", type=int, default=200)
    ap.add_argument("--controlled", type=int, default=20)
    ap.add_argument("--interval", type=float, default=10)
    ap.add_argument("--period", type=float, default=100, help="ms between driver commands")
    a = ap.parse_args()
    bindir = os.path.abspath(a.ours)
    root = tempfile.mkdtemp(prefix="s6pp-soak-")
    scan = os.path.join(root, "scan")
    make_tree(scan, bindir, a.crashers, a.controlled)
    svscan = subprocess.Popen([os.path.join(bindir, "s6-svscan"), "-c", str(a.crashers + a.controlled + 100)],
                              cwd=scan, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    series = {}      # pid -> (kind, [(t, rss)], [(t, fds)])
    zombies_prev, stuck, bad_status, samples, commands = set(), set(), 0, 0, 0
    cmd_fail = {}  # (command, exit code) -> count, for the codes that are not 0
    rng = random.Random(1)
    ctl_dirs = [os.path.join(scan, f"ctl{i:02}") for i in range(a.controlled)]
    status_files = [os.path.join(scan, e, "supervise", "status") for e in os.listdir(scan)
                    if not e.startswith(".")]
    status_files += [os.path.join(d, "log", "supervise", "status") for d in ctl_dirs]
    # The driver starts once every supervisor has written its status: before that, s6-svc -w
    # can find a control FIFO and no status file yet, with stock's s6-supervise too.
    up_by = time.monotonic() + 120
    while not all(os.path.exists(f) for f in status_files):
        if time.monotonic() > up_by or svscan.poll() is not None:
            sys.exit("the tree did not come up")
        time.sleep(0.1)
    t0 = time.monotonic()
    end = t0 + a.minutes * 60
    next_sample = t0
    try:
        while time.monotonic() < end:
            if svscan.poll() is not None:
                sys.exit(f"s6-svscan exited {svscan.returncode} during the soak")
            d = rng.choice(ctl_dirs)
            cmd = rng.choice(DRIVER_CMDS)
            r = subprocess.run([os.path.join(bindir, "s6-svc")] + cmd + [d],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            commands += 1
            if r.returncode:
                key = (" ".join(cmd), r.returncode, r.stderr.strip())
                cmd_fail[key] = cmd_fail.get(key, 0) + 1
            now = time.monotonic()
            if now >= next_sample:
                next_sample = now + a.interval
                samples += 1
                t = now - t0
                pids = procs_under(root)
                zombies = set()
                for pid in pids:
                    st = state_of(pid)
                    if st == "Z":
                        zombies.add(pid)
                        continue
                    kind = comm_of(pid)
                    if kind not in ("s6-svscan", "s6-supervise", "s6-log"):
                        continue
                    rss, fds = rss_kib(pid), nfds(pid)
                    if rss is None or fds is None:
                        continue
                    k, rs, fs = series.setdefault(pid, (kind, [], []))
                    rs.append((t, rss))
                    fs.append((t, fds))
                stuck |= zombies & zombies_prev
                zombies_prev = zombies
                bad_status += sum(not status_ok(f) for f in status_files)
            time.sleep(a.period / 1000)
        report(series, stuck, bad_status, samples, commands, cmd_fail, a)
    finally:
        subprocess.run([os.path.join(bindir, "s6-svscanctl"), "-t", scan],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            svscan.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(svscan.pid, signal.SIGKILL)
            svscan.wait()
        for pid in procs_under(root):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        shutil.rmtree(root, ignore_errors=True)


def report(series, stuck, bad_status, samples, commands, cmd_fail, a):
    print(f"soak: {a.minutes} min, {a.crashers} crash-looping services, {a.controlled} driven "
          f"ones with loggers; {samples} samples, {commands} s6-svc commands")
    for (cmd, code, err), n in sorted(cmd_fail.items()):
        print(f"  s6-svc {cmd}: exit {code} x{n}: {err}")
    print()
    print(f"{'daemon':14} {'n':>4} {'RSS KiB first':>14} {'last':>8} {'slope/h mean':>13} "
          f"{'worst':>8} {'fds first':>10} {'last':>6} {'slope/h mean':>13} {'worst':>8}")
    for kind in ("s6-svscan", "s6-supervise", "s6-log"):
        # Only daemons that lived through most of the run say anything about a slope.
        full = [(rs, fs) for k, rs, fs in series.values() if k == kind and len(rs) >= samples * 0.8]
        if not full:
            print(f"{kind:14} {0:>4}  (none lived through the run)")
            continue
        rsl = [slope_per_hour(rs) for rs, _ in full]
        fsl = [slope_per_hour(fs) for _, fs in full]
        first_r = statistics.mean(rs[0][1] for rs, _ in full)
        last_r = statistics.mean(rs[-1][1] for rs, _ in full)
        first_f = statistics.mean(fs[0][1] for _, fs in full)
        last_f = statistics.mean(fs[-1][1] for _, fs in full)
        print(f"{kind:14} {len(full):>4} {first_r:>14.0f} {last_r:>8.0f} "
              f"{statistics.mean(rsl):>13.1f} {max(rsl, key=abs):>8.1f} "
              f"{first_f:>10.1f} {last_f:>6.1f} {statistics.mean(fsl):>13.2f} "
              f"{max(fsl, key=abs):>8.2f}")
    print(f"\nstuck zombies (seen at two samples in a row): {len(stuck)}")
    print(f"invalid status samples: {bad_status}")


if __name__ == "__main__":
    main()
