#!/usr/bin/env python3
"""s6-setlock benchmarks, s6pp against stock s6 in one run, reported as ratios.

  1. Lock round trip: `s6-setlock FILE PROG` on a free lock, from the spawn to the exit of
     PROG, which releases the lock: open, lock, exec PROG, exit.
  2. The same with `-t 5000`: s6-setlock spawns s6lockd-helper, waits for its '!', execs
     PROG, and the helper lets go when PROG exits.  The wall time stops at PROG's exit (no
     caller of s6-setlock waits for the helper either).
  Each is given as the median wall time, and as the median CPU time (user + system) of the
  whole process tree: s6-setlock, PROG, and the helper, which the script collects as a child
  subreaper (PR_SET_CHILD_SUBREAPER) once PROG has left it behind.  On a shared machine the
  CPU time moves much less with the load than the wall time does.
  3. Baselines: PROG alone, the part of every figure that is not s6-setlock's; and a static
     C program that does nothing but exec PROG, the floor for anything that must exec it.

PROG is a tiny static program written by the script (it only exits 0), so that the figures
are s6-setlock's and not those of a dynamically linked /bin/true, the same for both sides.
Each side uses its own binaries: ours from --ours (our s6-setlock runs the s6lockd-helper that
sits next to it), stock from --stock (Debian's s6-setlock runs its helper from s6's libexec
directory).  Runs alternate between the sides (ours first in even rounds, stock first in odd
ones) so that both see the same machine load; the tables show medians.

Usage: bench/lock_bench.py [--ours BUILD/tools] [--stock /usr/bin] [--rounds N]
"""
import argparse, ctypes, os, shutil, statistics, subprocess, sys, tempfile, time

TRUE_C = "int main(void) { return 0; }\n"
EXEC_C = ("#include <unistd.h>\n"
          "int main(int c, char **v) { (void)c; execv(v[1], v + 1); return 111; }\n")


def make_static(root, name, source):
    """A static program from C source, or None if no C compiler can make one."""
    src, exe = os.path.join(root, name + ".c"), os.path.join(root, name)
    with open(src, "w") as f:
        f.write(source)
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc and subprocess.run([cc, "-O2", "-static", "-o", exe, src],
                             stderr=subprocess.DEVNULL).returncode == 0:
        return exe
    return None


def set_subreaper():
    """Orphans (the -t helper, once PROG has exited) come back to us, to be timed and reaped."""
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_CHILD_SUBREAPER = 36
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.exit("prctl(PR_SET_CHILD_SUBREAPER) failed")


def one_run(argv):
    """Wall time to the first process's exit, and CPU time of everything it started."""
    # posix_spawn (vfork in glibc) rather than subprocess, whose own fork from a large Python
    # process would cost more than what is measured.
    t0 = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ)
    _, st, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(st) != 0:
        sys.exit(f"{argv} exited {os.waitstatus_to_exitcode(st)}")
    cpu = ru.ru_utime + ru.ru_stime
    while True:  # the helper, if any: it goes as soon as PROG has closed its pipe
        try:
            _, _, ru = os.wait4(-1, 0)
        except ChildProcessError:
            break
        cpu += ru.ru_utime + ru.ru_stime
    return wall, cpu


def interleaved(argvs, rounds):
    walls, cpus = [[] for _ in argvs], [[] for _ in argvs]
    for r in range(rounds):
        order = range(len(argvs)) if r % 2 == 0 else reversed(range(len(argvs)))
        for i in order:
            w, c = one_run(argvs[i])
            walls[i].append(w)
            cpus[i].append(c)
    return ([statistics.median(t) * 1e6 for t in walls],
            [statistics.median(t) * 1e6 for t in cpus])


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
            break  # the first process is s6-setlock itself
    try:
        os.unlink(out)
    except OSError:
        pass
    return total


def ratio(a, b):
    return f"{a / b:.2f}x" if a is not None and b else "n/a"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--ours", default=os.path.join(here, "..", "build", "tools"))
    ap.add_argument("--stock", default="/usr/bin")
    ap.add_argument("--rounds", type=int, default=300)
    a = ap.parse_args()
    ours, stock = os.path.abspath(a.ours), a.stock
    for side in (ours, stock):
        if not os.access(os.path.join(side, "s6-setlock"), os.X_OK):
            sys.exit(f"no s6-setlock in {side}")
    root = tempfile.mkdtemp(prefix="s6pp-lock-bench-")
    try:
        prog = make_static(root, "true", TRUE_C) or "/bin/true"
        floor = make_static(root, "exec", EXEC_C)
        print(f"ours:  {ours}\nstock: {stock}\nprog:  {prog}\n"
              f"rounds: {a.rounds} (medians shown)\n")
        set_subreaper()
        print(f"{'measure':52} {'ours':>12} {'stock':>12} {'ours/stock':>11}")
        (base,), (base_cpu,) = interleaved([[prog]], a.rounds)
        print(f"{'prog alone, wall (us)':52} {base:12.0f}")
        print(f"{'prog alone, CPU (us)':52} {base_cpu:12.0f}")
        if floor:
            (fl,), (fl_cpu,) = interleaved([[floor, prog]], a.rounds)
            print(f"{'a static program that only execs prog, wall (us)':52} {fl:12.0f}")
            print(f"{'a static program that only execs prog, CPU (us)':52} {fl_cpu:12.0f}")
        for name, opts in (("s6-setlock FILE prog", []),
                           ("s6-setlock -t 5000 FILE prog", ["-t", "5000"])):
            argvs = [[os.path.join(side, "s6-setlock")] + opts +
                     [os.path.join(root, f"lock-{n}"), prog]
                     for n, side in enumerate((ours, stock))]
            (o, s), (oc, sc) = interleaved(argvs, a.rounds)
            print(f"{name + ', wall (us)':52} {o:12.0f} {s:12.0f} {ratio(o, s):>11}")
            print(f"{name + ', CPU of the tree (us)':52} {oc:12.0f} {sc:12.0f} {ratio(oc, sc):>11}")
        io, is_ = (callgrind_instr([os.path.join(side, "s6-setlock"),
                                    os.path.join(root, "lock-cg"), prog])
                   for side in (ours, stock))
        if io is not None and is_ is not None:
            print(f"{'s6-setlock instructions (callgrind)':52} {io:12d} {is_:12d} "
                  f"{ratio(io, is_):>11}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
