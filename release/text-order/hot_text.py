#!/usr/bin/env python3
"""Remakes tools/hot-text.ld: the order of the shared executable's hot code.

  meson compile -C BUILD hot-text      (x86_64, as root or with ptrace allowed; a few minutes)

Why: every program is one static executable (tools/entries.hh), and a daemon that idles keeps
mapped every page of it that it touched since its start.  The kernel maps file pages in 64 KiB
windows around each fault (fault-around), so one small function placed among code that no
other running process uses costs the daemon a whole window of its own, counted in full in its
PSS.  The linker otherwise lays the code out by LTO partition, which mixes what a daemon runs
while it serves with the start-up code of /init or of a client.

What: BUILD's own executable runs a supervision tree under release/text-order/trace.cc, which
single-steps every process of that executable and records each instruction address: s6-svscan,
its s6-supervise processes, an s6-log, an s6-fdholderd and an s6-ipcserverd, and beside them
/init running a CMD; each counted from when it drops its start-up pages
(sv::drop_startup_code: what they ran before is gone from their mappings anyway), the
servers exercised by clients.  BUILD's link map gives the input section
(a function of ours or of libstdc++, a member of libc.a) holding each address.  Those sections
go first, in .text.s6pp.hot, grouped by which of these programs run them (gray_rank), so that
each daemon's code lies in few windows, shared with the others where they share code.  What
they run only on their way out (after the workload's idle mark) does not count.  Then comes
the code of a container's boot: what /init, s6-svscan and s6-supervise run before they drop
their start-up pages (glibc's start-up, which every program runs, among it), in the linker's
order, so that the way from /init's exec to the CMD faults in few windows: on a virtual
machine each fault costs tens of microseconds.  The rest of the code follows in the linker's
own order.  The script names sections only: a name missing from another build or
architecture is skipped by the linker, and glibc's per-CPU variants of a string function
(strlen-avx2.o, strlen-evex.o, ...) are all kept together, the CPU choosing one at run time.

Usage: hot_text.py BUILD_TOOLS_DIR TRACE_EXE MAP OUTPUT
"""
import bisect, collections, glob, os, re, shutil, signal, subprocess, sys, tempfile, time

# The daemons whose code goes first, the ones that run alone with the least code first.
PROGRAMS = ("s6-ipcserverd", "s6-fdholderd", "s6-supervise", "s6-svscan", "s6-log", "init")
# Their start-up pages dropped before they serve: only what they run after the drop counts
# (/init's boot: it drops it once the CMD runs).  All of them do now.
DROPPING = PROGRAMS
# The programs of a container's boot, whose start-up code comes next, after the daemons'.
BOOT = ("init", "s6-svscan", "s6-supervise")
MARK = "_ZN2sv17drop_startup_codeEv"


def fatal(msg):
    sys.exit(f"hot_text.py: fatal: {msg}")


def listening(path):
    with open("/proc/net/unix") as f:
        for line in f:
            p = line.split()
            if len(p) >= 8 and p[-1] == path and int(p[3], 16) & 0x10000:
                return True
    return False


def wait_for(cond, what, seconds=120):
    deadline = time.monotonic() + seconds
    while not cond():
        if time.monotonic() > deadline:
            fatal(f"{what} did not happen within {seconds} s")
        time.sleep(0.1)


def write_run(path, body):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(f"#!/bin/sh\n{body}\n")
    os.chmod(path, 0o755)


def workload(tools, trace, out, root):
    """A scan directory with a fd-holder, a local IPC server, a logged service, a sleeper and a
    service with readiness that s6-svc brings up and down as s6-rc does, run by s6-svscan
    under trace, its servers used by clients, then stopped; beside it, /init (not PID 1, with
    its run-time directory in root) running a CMD that waits for root/stop."""
    exe = os.path.join(tools, "s6-supervise")
    mark = next((l.split()[0] for l in subprocess.run(["nm", exe], capture_output=True,
                                                     text=True, check=True).stdout.splitlines()
                 if l.endswith(" " + MARK)), None)
    if mark is None:
        fatal(f"no symbol {MARK} in {exe}")
    scan = os.path.join(root, "scan")
    rules = os.path.join(root, "rules", "uid", str(os.getuid()))
    os.makedirs(os.path.join(rules, "env"))
    open(os.path.join(rules, "allow"), "w").close()
    for var, value in (("STORE_REGEX", ".*"), ("RETRIEVE_REGEX", ".*"), ("LIST", "1")):
        with open(os.path.join(rules, "env", "S6_FDHOLDER_" + var), "w") as f:
            f.write(value + "\n")
    fdh, ipc = os.path.join(root, "fdholder"), os.path.join(root, "ipc")
    write_run(f"{scan}/fdholder/run", f"exec {tools}/s6-fdholder-daemon -i {root}/rules {fdh}")
    write_run(f"{scan}/ipcserver/run", f"exec {tools}/s6-ipcserver -c 1000 {ipc} echo x")
    write_run(f"{scan}/logged/run", "while :; do echo hello; sleep 0.2; done")
    write_run(f"{scan}/logged/log/run", f"exec {tools}/s6-log -b n3 s100 t {root}/logdir")
    write_run(f"{scan}/sleeper/run", "exec sleep 100000")
    # As s6-rc runs a longrun: down by default, readiness on fd 3, brought up and down by
    # s6-svc with waits on the event fifodir.
    ready = os.path.join(scan, "ready")
    write_run(f"{ready}/run", "echo >&3; exec sleep 100000")
    with open(os.path.join(ready, "notification-fd"), "w") as f:
        f.write("3\n")
    open(os.path.join(ready, "down"), "w").close()
    stop = os.path.join(root, "stop")
    both = os.path.join(root, "both")
    write_run(both, f"{tools}/s6-svscan {scan} &\n"
              f"S6_RUNTIME_DIR={root}/run {tools}/init sh -c "
              f"': > {root}/cmd; while [ ! -e {stop} ]; do sleep 0.1; done' 2>/dev/null &\n"
              "wait")
    tree = subprocess.Popen([trace, out, exe, mark, "--", both])
    wait_for(lambda: listening(fdh) and listening(ipc), "the traced tree's servers listening")

    def run(*argv, **kw):
        subprocess.run([os.path.join(tools, argv[0])] + list(argv[1:]), check=True,
                       stdout=subprocess.DEVNULL, timeout=120, **kw)

    r, w = os.pipe()
    for fd, name in ((r, "pipe-r"), (w, "pipe-w")):
        run("s6-fdholder-store", "-d", str(fd), fdh, name, pass_fds=(fd,))
    os.close(r)
    os.close(w)
    run("s6-fdholder-list", fdh)
    run("s6-fdholder-retrieve", fdh, "pipe-r", "true")
    for _ in range(20):
        run("s6-ipcclient", ipc, "sh", "-c", "cat <&6")
    sleeper = os.path.join(scan, "sleeper")
    run("s6-svc", "-r", sleeper)
    run("s6-svc", "-wd", "-d", "-T", "60000", sleeper)
    run("s6-svc", "-wu", "-u", "-T", "60000", sleeper)
    run("s6-svstat", sleeper)
    for flags in ("-uwU", "-dwD", "-uwU"):
        run("s6-svc", flags, "-T", "60000", ready)
    wait_for(lambda: os.path.exists(os.path.join(root, "logdir", "current"))
             and os.path.getsize(os.path.join(root, "logdir", "current")) > 200,
             "s6-log writing lines")
    wait_for(lambda: os.path.exists(os.path.join(root, "cmd")), "/init running its CMD")
    os.kill(tree.pid, signal.SIGUSR1)  # what follows is their way out, not their idling
    wait_for(lambda: os.path.exists(os.path.join(out, "idle")), "trace taking the idle mark")
    run("s6-svscanctl", "-t", scan)
    open(stop, "w").close()
    if tree.wait(timeout=300) != 0:
        fatal(f"the traced tree and /init exited {tree.returncode}")


def text_sections(mapfile):
    """(start, size, section, file) of every input section of the link placed in a .text."""
    secs, lines = [], open(mapfile).read().splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"^ (\.text\S*)\s*$", lines[i])
        if m and i + 1 < len(lines):
            n = re.match(r"^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$", lines[i + 1])
            if n:
                secs.append((int(n.group(1), 16), int(n.group(2), 16), m.group(1), n.group(3)))
            i += 2
            continue
        m = re.match(r"^ (\.text\S*)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$", lines[i])
        if m:
            secs.append((int(m.group(2), 16), int(m.group(3), 16), m.group(1), m.group(4)))
        i += 1
    return sorted(s for s in secs if s[0] and s[1])


def traced(out):
    """(program -> the instruction addresses it ran, the addresses BOOT's programs ran before
    their drop), from trace's files."""
    use, boot = collections.defaultdict(set), set()
    for path in glob.glob(os.path.join(out, "*.*")):
        with open(path) as f:
            prog = os.path.basename(f.readline().strip())
            phases = {line.split()[0]: [int(a, 16) for a in line.split()[1:]] for line in f}
        if prog not in PROGRAMS:
            continue
        phases.pop("idle", None)  # its way out
        if prog in BOOT and "drop" in phases:
            boot.update(phases["start"])
        if prog in DROPPING and "drop" in phases:
            del phases["start"]
        for p in phases.values():
            use[prog].update(p)
    missing = [p for p in PROGRAMS if not use[p]] + ([] if boot else ["the boot"])
    if missing:
        fatal(f"the trace holds nothing of {', '.join(missing)}")
    return use, boot


def pattern(section, path):
    """The linker script's input section description for one input section."""
    if ".ltrans" in path:  # LTO's output: the section names the function
        return f"*({section})"
    m = re.match(r".*/(lib[^/]+\.a)\((.*)\)$", path)
    if not m:
        return f"*{os.path.basename(path)}({section})"
    lib, member = m.groups()
    family = re.match(r"^([a-z_0-9]+)-(sse|ssse3|avx|evex|erms)", member)
    if lib == "libc.a" and family:  # every CPU variant of this string function
        return f"*libc.a:{family.group(1)}-*.o(.text .text.*)"
    return f"*{lib}:{member}({section})"


def gray_rank(users):
    """Where a set of programs comes in the order of the sections they run (highest first):
    its membership bits, in PROGRAMS' order, read as a reflected Gray code.  Neighbouring sets
    then differ by one program, so the sections of each of the first two programs make one
    run, and those of the others few runs: a daemon touches few windows even when it runs
    alone.  Highest first puts the first program's code at the start of the text, in the
    window it shares with the PLT stubs that every process calls through: s6-ipcserverd's
    19 KB then cost it no window of its own."""
    rank = bit = 0
    for p in PROGRAMS:
        bit ^= p in users
        rank = rank * 2 + bit
    return rank


def script(use, boot, secs):
    starts = [s[0] for s in secs]

    def section(a):
        k = bisect.bisect_right(starts, a) - 1
        return k if k >= 0 and a < secs[k][0] + secs[k][1] else None

    users = collections.defaultdict(set)
    for prog, addrs in use.items():
        for a in addrs:
            if (k := section(a)) is not None:
                users[k].add(prog)
    order = sorted(users, key=lambda k: (-gray_rank(users[k]), secs[k][0]))
    order += sorted({k for a in boot if (k := section(a)) is not None} - set(users))
    lines = ["/* Made by release/text-order/hot_text.py (meson compile -C BUILD hot-text):",
             "   the code that s6pp's daemons run, first and together, then a container's",
             "   boot; see that script.",
             f"   {len(order)} input sections, {sum(secs[k][1] for k in order)} bytes"
             " when traced. */",
             "SECTIONS", "{", "  .text.s6pp.hot :", "  {"]
    seen = set()
    for k in order:
        p = pattern(secs[k][2], secs[k][3])
        if p not in seen:
            seen.add(p)
            lines.append(f"    {p}")
    lines += ["  }", "}", "INSERT BEFORE .text;"]
    return "\n".join(lines) + "\n"


def main():
    if len(sys.argv) != 5:
        sys.exit("hot_text.py: usage: hot_text.py BUILD_TOOLS_DIR TRACE_EXE MAP OUTPUT")
    tools, trace, mapfile, output = (os.path.abspath(a) for a in sys.argv[1:])
    for tool in ("sh", "sleep", "cat", "echo", "true", "nm"):
        if not shutil.which(tool):
            fatal(f"{tool} is needed")
    # The workload's /init reads the machine's own /etc as an image's: it would run them.
    for d in ("cont-init.d", "services.d", "fix-attrs.d", "cont-finish.d", "s6-overlay",
              "cont-profile.d"):
        if os.path.exists(os.path.join("/etc", d)):
            fatal(f"/etc/{d} exists: the traced /init would run it; run this elsewhere")
    root = tempfile.mkdtemp(prefix="s6pp-hot-text-")
    try:
        out = os.path.join(root, "trace")
        os.mkdir(out)
        workload(tools, trace, out, root)
        text = script(*traced(out), text_sections(mapfile))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    with open(output + ".new", "w") as f:
        f.write(text)
    os.replace(output + ".new", output)
    print(f"hot_text.py: wrote {output}")


if __name__ == "__main__":
    main()
