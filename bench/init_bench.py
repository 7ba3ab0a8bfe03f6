#!/usr/bin/env python3
"""Container /init benchmarks: s6pp's /init as PID 1 of a runc container (run as root).

Each container's root file system is built the way tests/integration/init_test.cc builds
it: Debian's static busybox (/bin/busybox plus a link per applet), /etc/passwd, /etc/group,
and our static binaries only (every program of --ours in /bin, s6-svscan as a link to
s6-supervise, halt/poweroff/reboot/shutdown as links to init, /init -> /bin/init).  The
services are N (default 10) directories of /etc/services.d.  Containers are started with
`runc run --bundle DIR ID` (config.json from `runc spec`, no terminal, writable root).

  1. Boot: wall time from starting `runc run` until the CMD runs.  The CMD is
     `sh -c 'echo > /bench/cmd.fifo'`; the bench holds the read end of that FIFO (created
     in the root file system, so host and container see the same inode) and poll()s it, so
     the instant is taken on the host's monotonic clock when the CMD's write wakes it up:
     microseconds of latency, no clock shared with the container.  The baseline is the
     same CMD run by busybox sh as PID 1 without /init, i.e. what runc itself costs
     (namespaces, mounts, cgroup, exec); "/init's part" is the difference of the medians.
     Variants: no services; N services; N services with S6_CMD_WAIT_FOR_SERVICES=1 (the
     CMD then waits until every service is up).
  2. Stop: a container without CMD and N services up (and ready: they signal readiness
     through notification-fd once their trap is set); SIGTERM to its PID 1, sent with
     kill(2) to PID 1's host pid (what `runc kill ID TERM` does, without the start-up of
     the runc client, which is measured as a second line), until `runc run` has exited
     (a pidfd in the same poll(), no sleeping).  The services are `sh` scripts whose TERM
     trap writes "term NAME" to a second FIFO, waits --service-stop-ms (default 0), kills
     its `sleep`, writes "exit NAME" and exits.  `echo` is a shell builtin, so each line
     costs an open and a write, no fork; the bench stamps each line on the host's
     monotonic clock as it arrives.  The run then splits into: kill -> last service got
     TERM, the services' own exit time (the longest "term" -> "exit" of one service), and
     last service gone -> runc run exited.  "Beyond the services" = total - services' own
     exit time; the target is <= 50 ms.  The baseline is busybox sh as PID 1 with
     `trap 'exit 0' TERM`, which exits at once: runc's own share of a stop.  Limits: the
     "exit" line precedes the real exit by the shell's exit itself (microseconds), and
     several lines read by one read() share its stamp (a slight overestimate).
  3. Memory: PSS and Pss_Anon (/proc/PID/smaps_rollup, read on the host) of the
     supervision tree, init + s6-svscan + N s6-supervise, found by a /proc scan for the
     processes in the container's PID namespace; then the same plus the N `exec sleep
     1000` services (busybox's sleep here).  Reference: stock s6 (--stock, dynamic) on
     the host, s6-svscan + N s6-supervise on the same N services (coreutils' sleep), shown
     as a ratio.  Stock has no /init: its tree is svscan + supervisors, so the table also
     gives our svscan + supervisors alone, which is the like-for-like ratio.  PSS charges
     a static binary with all its touched text, while dynamic ones share libc's with the
     rest of the machine: Pss_Anon (heap, stack, data) is the fairer per-process figure.

  4. An s6-overlay v3 image (--overlay, on by default when the oracle cache has real
     s6-overlay 3.1.5.0, built by ../shared/oracles/build-s6-overlay-v3.sh): 5 oneshots and
     10 longruns in /etc/s6-overlay/s6-rc.d, in a dependency graph (o1 <- o2, o3; o2 <-
     l01..l05; o3 and l01 <- l06..l10; l01, l06 <- o4 <- o5; all in the user bundle), the
     longruns the stop test's trap services (ready through notification-fd).  The same
     image boots on our /init and on s6-overlay's (unpacked over a busybox root without
     our programs), the two taking turns at going first: runc run -> the CMD runs; a
     stop without CMD once every longrun is ready, SIGTERM to PID 1 -> runc run exited,
     minus the services' own exit; PSS of every process in the container's PID namespace
     (and without the image's services, the run scripts and their sleep: what remains is
     the init and supervision tree), read once every longrun is ready.
     --v3-only runs this part alone.

Every round runs every variant, baselines and /init taking turns at going first; tables
show the median and the max over --rounds.  Waits are bounded (a stuck container is an
error with the tail of its output); every container is `runc delete -f`ed and every temp
dir removed in finally blocks, also on Ctrl-C or SIGTERM (runc runs in its own session,
so a Ctrl-C is not forwarded to the containers).

Usage: bench/init_bench.py [--ours BUILD/tools] [--stock /usr/bin] [--services N]
                           [--rounds R] [--service-stop-ms MS] [--verbose]
                           [--overlay DIR | --no-overlay] [--v3-only]
"""
import argparse, copy, glob, json, os, select, shutil, signal, statistics, subprocess, sys
import tempfile, time
from procinfo import comm_of, ppid_of, procs_under, pss_kib

BUSYBOX = "/bin/busybox"
BOOT_TIMEOUT = 20.0   # seconds for a container to reach its CMD, or its services to be up
STOP_TIMEOUT = 20.0   # seconds for runc run to exit after the stop signal
TARGET_MS = 50.0      # stop latency beyond the services' own exit
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class Failure(Exception):
    pass


def runc_path():
    for p in ("/usr/sbin/runc", "/usr/bin/runc", "/usr/local/sbin/runc"):
        if os.access(p, os.X_OK):
            return p
    return shutil.which("runc")


def write(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def read_status(path):
    """(up, ready) from a 35-byte supervise/status, or None."""
    try:
        with open(path, "rb") as f:
            b = f.read(35)
    except OSError:
        return None
    if len(b) != 35:
        return None
    # stamp(12: TAI64N) readystamp(12) pid(8, big-endian) wstat(2) flags(1): 2 = finishing,
    # 8 = ready.
    up = int.from_bytes(b[24:32], "big") != 0 and not (b[34] & 2)
    return up, bool(b[34] & 8)


class Bench:
    """The temp dir, the root file systems, and every container and host process started;
    cleanup() (called from a finally block) removes all of them."""

    def __init__(self, ours, verbose):
        self.runc = runc_path()
        self.verbose = verbose
        self.tmp = os.path.realpath(tempfile.mkdtemp(prefix="s6pp-init-bench-"))
        self.live = {}    # container id -> Popen of its `runc run`
        self.hosts = []   # stock s6-svscan Popens
        self.seq = 0
        self.spec = None
        self.applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True,
                                      check=True).stdout.split()
        # One copy of the binaries, on the temp dir's file system: the root file systems
        # hard-link them (and so share their page cache, as one image's containers do).
        self.template = os.path.join(self.tmp, "template")
        try:
            os.mkdir(self.template)
            for e in sorted(os.listdir(ours)):
                src = os.path.join(ours, e)
                if os.path.islink(src):
                    os.symlink(os.readlink(src), os.path.join(self.template, e))
                elif os.path.isfile(src) and os.access(src, os.X_OK):
                    shutil.copy2(src, os.path.join(self.template, e))
            shutil.copy2(BUSYBOX, os.path.join(self.template, "busybox"))
        except BaseException:
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise

    def log(self, *a):
        if self.verbose:
            print(" ", *a, file=sys.stderr)

    def new_root(self, name, dirs, ours=True):
        """BUNDLE/rootfs with the top directories dirs (tmp sticky) and /bin holding the
        template's programs (links into it; busybox only without ours); returns (bundle,
        root, bin)."""
        b = os.path.join(self.tmp, name)
        root = os.path.join(b, "rootfs")
        for d in dirs:
            os.makedirs(os.path.join(root, d))
        os.chmod(os.path.join(root, "tmp"), 0o1777)
        binp = os.path.join(root, "bin")
        for e in os.listdir(self.template) if ours else ["busybox"]:
            src = os.path.join(self.template, e)
            if os.path.islink(src):
                os.symlink(os.readlink(src), os.path.join(binp, e))
            else:
                os.link(src, os.path.join(binp, e))
        return b, root, binp

    def bundle(self, name, services):
        """A bundle dir with rootfs/; services: {name: run script} for /etc/services.d."""
        b, root, binp = self.new_root(name, ("bin", "etc", "proc", "dev", "sys", "tmp", "run",
                                             "bench"))
        for l in ("halt", "poweroff", "reboot", "shutdown"):
            if not os.path.lexists(os.path.join(binp, l)):
                os.symlink("init", os.path.join(binp, l))
        for a in self.applets:
            if not os.path.lexists(os.path.join(binp, a)):
                os.symlink("busybox", os.path.join(binp, a))
        # /init -> /bin/init, so that /init finds s6-svscan next to its real executable.
        os.symlink("/bin/init", os.path.join(root, "init"))
        write(os.path.join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n")
        write(os.path.join(root, "etc/group"), "root:x:0:\n")
        os.mkfifo(os.path.join(root, "bench/cmd.fifo"), 0o666)
        os.mkfifo(os.path.join(root, "bench/stop.fifo"), 0o666)
        for s, (script, notify) in services.items():
            d = os.path.join(root, "etc/services.d", s)
            os.makedirs(d)
            write(os.path.join(d, "run"), script, 0o755)
            if notify:
                write(os.path.join(d, "notification-fd"), "3\n")
        return b

    def config(self, bundle, args, env=()):
        if self.spec is None:
            d = os.path.join(self.tmp, "spec")
            os.mkdir(d)
            subprocess.run([self.runc, "spec"], cwd=d, check=True, timeout=10)
            with open(os.path.join(d, "config.json")) as f:
                self.spec = json.load(f)
        c = copy.deepcopy(self.spec)
        c["process"]["terminal"] = False
        c["process"]["args"] = list(args)
        c["process"]["env"] = ["PATH=" + PATH] + list(env)
        c["root"]["readonly"] = False
        with open(os.path.join(bundle, "config.json"), "w") as f:
            json.dump(c, f)

    # A container's life: start, (host pid), wait, delete.
    def start(self, bundle, args, env=()):
        self.config(bundle, args, env)
        self.seq += 1
        cid = f"s6pp-init-bench-{os.getpid()}-{self.seq}"
        logf = open(os.path.join(bundle, "output"), "w")
        t0 = time.perf_counter()
        p = subprocess.Popen([self.runc, "run", "--bundle", bundle, cid],
                             stdin=subprocess.DEVNULL, stdout=logf, stderr=logf,
                             start_new_session=True)
        logf.close()
        self.live[cid] = p
        return cid, p, t0

    def output_tail(self, bundle):
        try:
            with open(os.path.join(bundle, "output"), errors="replace") as f:
                return "".join(f.readlines()[-8:])
        except OSError:
            return ""

    def host_pid(self, cid):
        r = subprocess.run([self.runc, "state", cid], capture_output=True, text=True,
                           timeout=10)
        if r.returncode != 0:
            raise Failure(f"runc state {cid}: {r.stderr.strip()}")
        return json.loads(r.stdout)["pid"]

    def wait_exit(self, cid, p, bundle, timeout):
        """Blocks (poll on a pidfd) until `runc run` exits; returns (perf_counter time,
        exit code)."""
        fd = os.pidfd_open(p.pid)
        try:
            if not select.select([fd], [], [], timeout)[0]:
                raise Failure(f"{cid} did not exit within {timeout:.0f} s\n"
                              + self.output_tail(bundle))
            t = time.perf_counter()
        finally:
            os.close(fd)
        rc = p.wait()
        del self.live[cid]
        return t, rc

    def delete(self, cid):
        p = self.live.pop(cid, None)
        subprocess.run([self.runc, "delete", "-f", cid], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=15)
        if p and p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait(timeout=10)

    def cleanup(self):
        for cid in list(self.live):
            try:
                self.delete(cid)
            except Exception as e:  # keep cleaning up
                print(f"warning: unable to delete container {cid}: {e}", file=sys.stderr)
        for p in self.hosts:
            kill_host_tree(p, self.tmp)
        shutil.rmtree(self.tmp, ignore_errors=True)


    def v3_bundle(self, name, overlay, svc_script):
        """A v3 image (section 4 of the docstring): on our /init, or with s6-overlay's tree
        overlay unpacked over a busybox root."""
        b, root, binp = self.new_root(name, ("bin", "etc", "proc", "dev", "sys", "tmp", "run",
                                             "var", "bench"), ours=overlay is None)
        for a in self.applets:
            if not os.path.lexists(os.path.join(binp, a)):
                os.symlink("busybox", os.path.join(binp, a))
        if overlay is None:
            for l in ("halt", "poweroff", "reboot", "shutdown"):
                if not os.path.lexists(os.path.join(binp, l)):
                    os.symlink("init", os.path.join(binp, l))
            os.symlink("/bin/init", os.path.join(root, "init"))
        else:
            subprocess.run(["cp", "-a", "--remove-destination", overlay + "/.", root],
                           check=True)
            write(os.path.join(root, "etc/nsswitch.conf"), "passwd: files\ngroup: files\n")
        write(os.path.join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n")
        write(os.path.join(root, "etc/group"), "root:x:0:\n")
        os.mkfifo(os.path.join(root, "bench/cmd.fifo"), 0o666)
        os.mkfifo(os.path.join(root, "bench/stop.fifo"), 0o666)
        src = os.path.join(root, "etc/s6-overlay/s6-rc.d")
        for name_, (kind, deps) in V3_GRAPH.items():
            d = os.path.join(src, name_)
            os.makedirs(os.path.join(d, "dependencies.d"))
            write(os.path.join(d, "type"), kind + "\n")
            for dep in deps:
                write(os.path.join(d, "dependencies.d", dep), "")
            if kind == "oneshot":
                write(os.path.join(d, "up"), "true\n")
            else:
                write(os.path.join(d, "run"), svc_script(name_), 0o755)
                write(os.path.join(d, "notification-fd"), "3\n")
            os.makedirs(os.path.join(src, "user/contents.d"), exist_ok=True)
            write(os.path.join(src, "user/contents.d", name_), "")
        write(os.path.join(src, "user/type"), "bundle\n")
        return b


# The v3 image's services: name -> (type, dependencies).
V3_GRAPH = {"o1": ("oneshot", ["base"]), "o2": ("oneshot", ["o1"]), "o3": ("oneshot", ["o1"])}
V3_GRAPH.update({f"l{i:02d}": ("longrun", ["o2"]) for i in range(1, 6)})
V3_GRAPH.update({f"l{i:02d}": ("longrun", ["o3", "l01"]) for i in range(6, 11)})
V3_GRAPH.update({"o4": ("oneshot", ["l01", "l06"]), "o5": ("oneshot", ["o4"])})
V3_LONGRUNS = [n for n, (k, _) in V3_GRAPH.items() if k == "longrun"]


class Fifo:
    """The read end of a FIFO of a bundle's bench/, opened before the container starts.
    A write end is kept open as well, so that poll() never reports a hang-up once the
    container's writers have come and gone."""

    def __init__(self, bundle, name="cmd.fifo"):
        path = os.path.join(bundle, "rootfs/bench", name)
        self.fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        self.keep = os.open(path, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)

    def wait(self, b, cid, p, bundle, timeout):
        """The perf_counter time at which the CMD wrote; fails if runc run exits first."""
        pfd = os.pidfd_open(p.pid)
        try:
            pl = select.poll()
            pl.register(self.fd, select.POLLIN)
            pl.register(pfd, select.POLLIN)
            end = time.monotonic() + timeout
            while True:
                left = end - time.monotonic()
                if left <= 0:
                    raise Failure(f"{cid}: the CMD did not run within {timeout:.0f} s\n"
                                  + b.output_tail(bundle))
                ev = pl.poll(left * 1000)
                t = time.perf_counter()
                if any(fd == self.fd and e & select.POLLIN for fd, e in ev):
                    return t
                if any(fd == pfd for fd, _ in ev):
                    raise Failure(f"{cid}: runc run exited ({p.wait()}) before the CMD "
                                  "ran\n" + b.output_tail(bundle))
        finally:
            os.close(pfd)

    def words(self):
        """Whatever the container wrote so far, split into words (non-blocking)."""
        data = b""
        while True:
            try:
                chunk = os.read(self.fd, 65536)
            except BlockingIOError:
                break
            if not chunk:
                break
            data += chunk
        return data.decode(errors="replace").split()

    def close(self):
        os.close(self.keep)
        os.close(self.fd)


def boot_once(b, bundle, args, env=()):
    """runc run -> the CMD writes the FIFO (ms); the container must then exit 0."""
    fifo = Fifo(bundle)
    cid = None
    try:
        cid, p, t0 = b.start(bundle, args, env)
        t = fifo.wait(b, cid, p, bundle, BOOT_TIMEOUT)
        _, rc = b.wait_exit(cid, p, bundle, STOP_TIMEOUT)
        if rc != 0:
            raise Failure(f"{cid}: exit code {rc}, expected 0\n" + b.output_tail(bundle))
        return (t - t0) * 1000
    finally:
        fifo.close()
        if cid in b.live:
            b.delete(cid)


def in_root(root, path):
    """path inside the root file system root, as the container sees it: absolute symbolic
    links (s6-overlay's /run/service/NAME -> /run/s6-rc/servicedirs/NAME) resolved there."""
    parts, cur = path.strip("/").split("/"), root
    for i, part in enumerate(parts):
        cur = os.path.join(cur, part)
        for _ in range(10):
            try:
                t = os.readlink(cur)
            except OSError:
                break
            cur = os.path.join(root, t.lstrip("/")) if t.startswith("/") else \
                os.path.join(os.path.dirname(cur), t)
    return cur


def proc_root(b, cid, deadline):
    """The container's root as its PID 1 sees it (/proc/PID/root: its own mounts too, such
    as the tmpfs s6-overlay's stage 1 may put on /run)."""
    while True:
        try:
            return f"/proc/{b.host_pid(cid)}/root"
        except (Failure, ValueError, KeyError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def wait_services(b, bundle, names, need_ready, deadline, root=None):
    for s in names:
        while True:
            # Resolved each time: s6-overlay's link appears once s6-rc has started it.
            st = in_root(root or os.path.join(bundle, "rootfs"),
                         f"/run/service/{s}/supervise/status")
            r = read_status(st)
            if r and r[0] and (r[1] or not need_ready):
                break
            if time.monotonic() > deadline:
                raise Failure(f"service {s} not {'ready' if need_ready else 'up'} in time\n"
                              + b.output_tail(bundle))
            time.sleep(0.002)


def stop_once(b, bundle, names, use_runc_kill, env=(), via_proc=False):
    """An idle /init container with the trap services: returns (total, services' own exit,
    kill -> last "term" line, last "exit" line -> runc run exited), all in ms."""
    fifo = Fifo(bundle, "stop.fifo")
    cid = None
    try:
        cid, p, _ = b.start(bundle, ["/init"], env)
        deadline = time.monotonic() + BOOT_TIMEOUT
        root = proc_root(b, cid, deadline) if via_proc else None
        wait_services(b, bundle, names, True, deadline, root)
        pid = b.host_pid(cid)
        fifo.words()  # nothing is expected yet; start from an empty pipe
        pfd = os.pidfd_open(p.pid)
        try:
            pl = select.poll()
            pl.register(fifo.fd, select.POLLIN)
            pl.register(pfd, select.POLLIN)
            seen = {"term": {}, "exit": {}}
            t0 = time.perf_counter()
            if use_runc_kill:
                subprocess.run([b.runc, "kill", cid, "TERM"], check=True, timeout=10)
            else:
                os.kill(pid, signal.SIGTERM)
            end, t1 = time.monotonic() + STOP_TIMEOUT, None
            while t1 is None:
                left = end - time.monotonic()
                if left <= 0:
                    raise Failure(f"{cid} did not exit within {STOP_TIMEOUT:.0f} s\n"
                                  + b.output_tail(bundle))
                ev = pl.poll(left * 1000)
                t = time.perf_counter()
                words = fifo.words()
                for what, name in zip(words[::2], words[1::2]):
                    seen.setdefault(what, {}).setdefault(name, t)
                if any(fd == pfd for fd, _ in ev):
                    t1 = t
        finally:
            os.close(pfd)
        rc = p.wait()
        del b.live[cid]
        if rc != 0:
            raise Failure(f"{cid}: exit code {rc}, expected 0\n" + b.output_tail(bundle))
        missing = [s for s in names if s not in seen["term"] or s not in seen["exit"]]
        if missing:
            raise Failure(f"{cid}: no term/exit line from {' '.join(missing)}\n"
                          + b.output_tail(bundle))
        own = max(seen["exit"][s] - seen["term"][s] for s in names)
        return ((t1 - t0) * 1000, own * 1000, (max(seen["term"].values()) - t0) * 1000,
                (t1 - max(seen["exit"].values())) * 1000)
    finally:
        fifo.close()
        if cid in b.live:
            b.delete(cid)


def stop_baseline_once(b, bundle, use_runc_kill):
    """busybox sh as PID 1, exiting at once on TERM: signal -> runc run exited (ms)."""
    fifo = Fifo(bundle)
    cid = None
    try:
        cid, p, _ = b.start(bundle, ["/bin/sh", "-c", "trap 'exit 0' TERM; sleep 1000 & "
                                     "echo > /bench/cmd.fifo; wait"])
        fifo.wait(b, cid, p, bundle, BOOT_TIMEOUT)
        pid = b.host_pid(cid)
        t0 = time.perf_counter()
        if use_runc_kill:
            subprocess.run([b.runc, "kill", cid, "TERM"], check=True, timeout=10)
        else:
            os.kill(pid, signal.SIGTERM)
        t1, rc = b.wait_exit(cid, p, bundle, STOP_TIMEOUT)
        if rc != 0:
            raise Failure(f"{cid}: exit code {rc}, expected 0\n" + b.output_tail(bundle))
        return (t1 - t0) * 1000
    finally:
        fifo.close()
        if cid in b.live:
            b.delete(cid)


def ns_members(pid):
    """Host pids of every process in pid's PID namespace."""
    ns = os.readlink(f"/proc/{pid}/ns/pid")
    found = []
    for e in os.listdir("/proc"):
        if e.isdigit():
            try:
                if os.readlink(f"/proc/{e}/ns/pid") == ns:
                    found.append(int(e))
            except OSError:
                pass
    return found


def tree_pss(root_pid, pids, n, what):
    """PSS figures of a tree: root_pid (init, or None) -> s6-svscan -> n s6-supervise ->
    services.  Returns dict of KiB values."""
    kids = {}
    for q in pids:
        kids.setdefault(ppid_of(q), []).append(q)
    if root_pid is not None:
        svscans = [q for q in kids.get(root_pid, []) if comm_of(q) == "s6-svscan"]
        if len(svscans) != 1:
            raise Failure(f"{what}: found {len(svscans)} s6-svscan under init")
        svscan = svscans[0]
    else:
        svscan = pids[0]
    sups = kids.get(svscan, [])
    svcs = [q for s in sups for q in kids.get(s, [])]
    if len(sups) != n or len(svcs) != n:
        raise Failure(f"{what}: found {len(sups)} supervisors and {len(svcs)} services")
    r = {"init": pss_kib(root_pid) if root_pid else 0,
         "init_anon": pss_kib(root_pid, "Pss_Anon:") if root_pid else 0,
         "svscan": pss_kib(svscan), "svscan_anon": pss_kib(svscan, "Pss_Anon:"),
         "sups": sum(pss_kib(q) for q in sups),
         "sups_anon": sum(pss_kib(q, "Pss_Anon:") for q in sups),
         "svcs": sum(pss_kib(q) for q in svcs)}
    return r


def pss_ours(b, bundle, names):
    cid = None
    try:
        cid, p, _ = b.start(bundle, ["/init"])
        wait_services(b, bundle, names, False, time.monotonic() + BOOT_TIMEOUT)
        time.sleep(0.3)  # let the last ones settle (measurement, not a test wait)
        pid = b.host_pid(cid)
        r = tree_pss(pid, ns_members(pid), len(names), "container")
        os.kill(pid, signal.SIGTERM)
        b.wait_exit(cid, p, bundle, STOP_TIMEOUT)
        return r
    finally:
        if cid in b.live:
            b.delete(cid)


def is_service(pid, names):
    """pid is one of the image's services (the run script or its sleep): its working
    directory is the service directory of one of names, and it is not the supervisor."""
    try:
        cwd = os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return False
    return os.path.basename(cwd) in names and comm_of(pid) != "s6-supervise"


def pss_ns(b, bundle, names):
    """PSS (KiB) of every process of an idle v3 container once the longruns names are
    ready: (everything, everything but the services' processes, process count)."""
    cid = None
    try:
        cid, p, _ = b.start(bundle, ["/init"])
        deadline = time.monotonic() + BOOT_TIMEOUT
        wait_services(b, bundle, names, True, deadline, proc_root(b, cid, deadline))
        time.sleep(0.5)  # let the last ones settle (measurement, not a test wait)
        pid = b.host_pid(cid)
        members = ns_members(pid)
        total = sum(pss_kib(q) for q in members)
        tree = sum(pss_kib(q) for q in members if not is_service(q, names))
        os.kill(pid, signal.SIGTERM)
        b.wait_exit(cid, p, bundle, STOP_TIMEOUT)
        return total, tree, len(members)
    finally:
        if cid in b.live:
            b.delete(cid)


def v3_bench(b, overlay, rounds, trap_script):
    """Section 4: the v3 image on our /init and on real s6-overlay, interleaved."""
    load = os.getloadavg()
    imgs = {"ours": b.v3_bundle("v3-ours", None, trap_script),
            "s6-overlay": b.v3_bundle("v3-overlay", overlay, trap_script)}
    bare = b.bundle("v3-bare", {})
    base = []  # busybox sh as PID 1 exiting at once on TERM: runc's own share of a stop
    cmd = ["/init", "/bin/sh", "-c", "echo > /bench/cmd.fifo"]
    boot = {k: [] for k in imgs}
    stop = {k: [] for k in imgs}
    own = {k: [] for k in imgs}
    pss = {k: [] for k in imgs}
    for r in range(rounds):
        print(f"v3 round {r + 1}/{rounds}", file=sys.stderr)
        order = list(imgs) if r % 2 == 0 else list(imgs)[::-1]

        def drained(f, k):
            # The services' TERM traps write to stop.fifo: a reader, so that they never
            # block, outside the stop test (which reads it itself).
            sink = Fifo(imgs[k], "stop.fifo")
            try:
                return f()
            finally:
                sink.close()
        for k in order:
            boot[k].append(drained(lambda: boot_once(b, imgs[k], cmd), k))
        for k in order:
            total, o, _, _ = stop_once(b, imgs[k], V3_LONGRUNS, False, via_proc=True)
            stop[k].append(total - o)
            own[k].append(o)
        base.append(stop_baseline_once(b, bare, False))
        for k in order:
            pss[k].append(drained(lambda: pss_ns(b, imgs[k], V3_LONGRUNS), k))
        b.log("v3 " + " ".join(f"{k}: boot {boot[k][-1]:.1f} stop-beyond {stop[k][-1]:.1f} "
                               f"pss {pss[k][-1][0]}" for k in imgs))
    load_after = os.getloadavg()
    print(f"\n4. s6-overlay v3 image: {len(V3_GRAPH) - len(V3_LONGRUNS)} oneshots, "
          f"{len(V3_LONGRUNS)} longruns; {overlay}")
    print(f"  load average before {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, after "
          f"{load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    print(f"  {'':52} {'ours':>10} {'s6-overlay':>10} {'ratio':>7} {'target':>8}")

    def line(name, f, target, unit):
        o, t = med(f("ours")), med(f("s6-overlay"))
        ratio = o / t if t else float("nan")
        print(f"  {name:52} {o:10.1f} {t:10.1f} {ratio:6.2f}x {target:>8}  ({unit}, median)")
    line("boot: runc run -> CMD runs", lambda k: boot[k], "<= 0.5x", "ms")
    line("stop: SIGTERM -> runc run exited, beyond services' exit", lambda k: stop[k],
         "<= 50ms", "ms")
    line("  services' own exit (longest term -> exit)", lambda k: own[k], "", "ms")
    line("  the same minus runc's own share (sh as PID 1)",
         lambda k: [x - med(base) for x in stop[k]], "", "ms")
    print(f"  runc's own share of a stop: busybox sh as PID 1, SIGTERM -> runc run exited: "
          f"median {med(base):.1f} ms")
    line("PSS, every process of the container", lambda k: [x[0] for x in pss[k]], "<= 0.6x",
         "KiB")
    line("PSS, the tree without the image's 10 services", lambda k: [x[1] for x in pss[k]],
         "", "KiB")
    line("processes", lambda k: [x[2] for x in pss[k]], "", "count")
    print("  max over rounds: " + "; ".join(
        f"{k} boot {max(boot[k]):.1f} stop-beyond {max(stop[k]):.1f}" for k in imgs))


def kill_host_tree(p, root):
    """Kills a host s6-svscan's session and everything with its cwd under root."""
    if p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for _ in range(2):  # the services run in their own sessions: find them by cwd
        for q in procs_under(root):
            try:
                os.kill(q, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.05)
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def pss_stock(b, stock, n):
    """Stock s6-svscan + n s6-supervise on the host, same n `exec sleep 1000` services."""
    root = tempfile.mkdtemp(prefix="stock-", dir=b.tmp)
    scan = os.path.join(root, "scan")
    names = [f"svc{i:02d}" for i in range(n)]
    for s in names:
        os.makedirs(os.path.join(scan, s))
        write(os.path.join(scan, s, "run"), "#!/bin/sh\nexec sleep 1000\n", 0o755)
    p = subprocess.Popen([os.path.join(stock, "s6-svscan"), scan], cwd=scan,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    b.hosts.append(p)
    try:
        deadline = time.monotonic() + BOOT_TIMEOUT
        for s in names:
            while not (read_status(os.path.join(scan, s, "supervise/status")) or [0])[0]:
                if time.monotonic() > deadline or p.poll() is not None:
                    raise Failure(f"stock: service {s} not up in time")
                time.sleep(0.002)
        time.sleep(0.3)
        pids = [p.pid] + [q for q in procs_under(root) if q != p.pid]
        r = tree_pss(None, pids, n, "stock")
        subprocess.run([os.path.join(stock, "s6-svscanctl"), "-t", scan], timeout=10)
        p.wait(timeout=STOP_TIMEOUT)
        return r
    finally:
        kill_host_tree(p, root)
        b.hosts.remove(p)
        shutil.rmtree(root, ignore_errors=True)


def med(xs):
    return statistics.median(xs)


def row(name, xs, extra=""):
    print(f"  {name:58} {med(xs):8.1f} {max(xs):8.1f}  {extra}")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ours", default=os.path.join(here, "..", "build", "tools"),
                    help="the build's tools/ directory (static build, as shipped)")
    ap.add_argument("--stock", default="/usr/bin", help="stock s6 for the PSS reference")
    ap.add_argument("--no-stock", action="store_true")
    ap.add_argument("--services", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--service-stop-ms", type=int, default=0,
                    help="how long each service takes to exit after TERM (stop test)")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--overlay", default=None,
                    help="real s6-overlay 3.1.5.0's tree (default: the oracle cache's)")
    ap.add_argument("--no-overlay", action="store_true")
    ap.add_argument("--v3-only", action="store_true", help="section 4 alone")
    a = ap.parse_args()
    overlay = None
    if not a.no_overlay:
        cached = sorted(glob.glob("/var/cache/s6pp-oracles/s6-overlay-3.1.5.0-*/out/overlay"))
        overlay = a.overlay or (cached[-1] if cached else None)
        if not overlay or not os.access(os.path.join(overlay, "init"), os.X_OK):
            print("note: no s6-overlay 3.1.5.0 tree (build it with tests [overlay] or "
                  "../shared/oracles/build-s6-overlay-v3.sh); no v3 section", file=sys.stderr)
            overlay = None
    if a.v3_only and not overlay:
        sys.exit("init_bench: --v3-only needs s6-overlay's tree (--overlay)")
    ours = os.path.abspath(a.ours)
    if os.geteuid() != 0:
        sys.exit("init_bench: must run as root (runc)")
    if not runc_path():
        sys.exit("init_bench: runc not found")
    if not os.access(BUSYBOX, os.X_OK):
        sys.exit(f"init_bench: {BUSYBOX} is missing (Debian's busybox-static)")
    for t in ("init", "s6-supervise", "s6-svscan"):
        if not os.access(os.path.join(ours, t), os.X_OK):
            sys.exit(f"init_bench: {ours}/{t} is missing")
    stock = None if a.no_stock else a.stock
    if stock and not all(os.access(os.path.join(stock, t), os.X_OK)
                         for t in ("s6-svscan", "s6-svscanctl", "s6-supervise")):
        print(f"note: no stock s6 in {stock}; no PSS reference", file=sys.stderr)
        stock = None
    if a.rounds < 1 or a.services < 1:
        sys.exit("init_bench: --rounds and --services must be at least 1")

    # A SIGTERM or SIGHUP to the bench goes through the same finally blocks as a Ctrl-C.
    def interrupted(sig, _):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)

    n = a.services
    names = [f"svc{i:02d}" for i in range(n)]
    b = None
    try:
        b = Bench(ours, a.verbose)
        plain = {s: ("#!/bin/sh\nexec sleep 1000\n", False) for s in names}
        delay = f"sleep {a.service_stop_ms / 1000:.3f}; " if a.service_stop_ms else ""
        trap = {s: ("#!/bin/sh\n"
                    f"trap 'echo term {s} > /bench/stop.fifo; {delay}kill $! 2>/dev/null;"
                    f" echo exit {s} > /bench/stop.fifo; exit 0' TERM\n"
                    "sleep 1000 &\necho >&3\nwait\n", True) for s in names}
        bare = b.bundle("bare", {})
        withsvc = b.bundle("services", plain)
        stopsvc = b.bundle("stop", trap)
        cmd = ["/bin/sh", "-c", "echo > /bench/cmd.fifo"]
        boot = {k: [] for k in ("base", "init0", "initn", "initw")}
        stop = {k: [] for k in ("total", "own", "toterm", "tail", "runc_total")}
        stopb = {k: [] for k in ("kill", "runc")}
        pss = []
        ref = []

        print(f"ours: {ours}\nrunc: {b.runc}\nservices: {n}, rounds: {a.rounds} "
              f"(median and max over rounds), service stop time: {a.service_stop_ms} ms\n",
              flush=True)
        v3_trap = (lambda s: trap[names[0]][0].replace(names[0], s))
        if a.v3_only:
            v3_bench(b, overlay, a.rounds, v3_trap)
            return
        for r in range(a.rounds):
            print(f"round {r + 1}/{a.rounds}", file=sys.stderr)
            base_first = r % 2 == 0

            def base_boot():
                boot["base"].append(boot_once(b, bare, cmd))

            def init_boots():
                boot["init0"].append(boot_once(b, bare, ["/init"] + cmd))
                boot["initn"].append(boot_once(b, withsvc, ["/init"] + cmd))
                boot["initw"].append(boot_once(b, withsvc, ["/init"] + cmd,
                                               ["S6_CMD_WAIT_FOR_SERVICES=1"]))
            for f in ((base_boot, init_boots) if base_first else (init_boots, base_boot)):
                f()

            def base_stops():
                stopb["kill"].append(stop_baseline_once(b, bare, False))
                stopb["runc"].append(stop_baseline_once(b, bare, True))

            def init_stops():
                total, own, toterm, tail = stop_once(b, stopsvc, names, False)
                for k, v in zip(("total", "own", "toterm", "tail"), (total, own, toterm, tail)):
                    stop[k].append(v)
                stop["runc_total"].append(stop_once(b, stopsvc, names, True)[0])
            for f in ((base_stops, init_stops) if base_first else (init_stops, base_stops)):
                f()

            pss.append(pss_ours(b, withsvc, names))
            if stock:
                ref.append(pss_stock(b, stock, n))
            b.log("boot " + " ".join(f"{k}={v[-1]:.1f}" for k, v in boot.items())
                  + " | stop " + " ".join(f"{k}={v[-1]:.1f}" for k, v in stop.items())
                  + " | stop baseline " + " ".join(f"{k}={v[-1]:.1f}"
                                                   for k, v in stopb.items()))

        print(f"1. boot: runc run started -> CMD runs (ms){'':17} {'median':>8} {'max':>8}"
              "  median minus baseline")
        mb = med(boot["base"])
        row("baseline: busybox sh as PID 1, no /init", boot["base"])
        for k, name in (("init0", "/init, no services"),
                        ("initn", f"/init, {n} services"),
                        ("initw", f"/init, {n} services, S6_CMD_WAIT_FOR_SERVICES=1")):
            row(name, boot[k], f"{med(boot[k]) - mb:+8.1f}  (/init's part)")

        print(f"\n2. stop, no CMD, {n} services up (ms){'':24} {'median':>8} {'max':>8}")
        beyond = [t - o for t, o in zip(stop["total"], stop["own"])]
        initpart = [x - y for x, y in zip(beyond, stopb["kill"])]
        row("/init: SIGTERM to PID 1 (kill(2)) -> runc run exited", stop["total"])
        row("  services' own exit (longest \"term\" -> \"exit\")", stop["own"])
        row("  beyond the services' own exit (total - own)", beyond)
        row("  SIGTERM -> last service got TERM", stop["toterm"])
        row("  last service gone -> runc run exited", stop["tail"])
        row("baseline sh PID 1: SIGTERM -> runc run exited", stopb["kill"])
        row("/init's part: beyond the services minus baseline", initpart)
        row("/init: runc kill ID TERM -> runc run exited", stop["runc_total"])
        row("baseline sh PID 1: runc kill ID TERM -> runc run exited", stopb["runc"])
        verdict = "PASS" if max(beyond) <= TARGET_MS else \
            "PASS for the median only" if med(beyond) <= TARGET_MS else "FAIL"
        print(f"  target: beyond the services' own exit <= {TARGET_MS:.0f} ms: median "
              f"{med(beyond):.1f}, max {max(beyond):.1f}: {verdict}")

        print(f"\n3. PSS (KiB), {n} services{'':21} {'ours (runc)':>12} {'stock (host)':>12}"
              f" {'ours/stock':>10}")

        def prow(name, f):
            o = med([f(x) for x in pss])
            s = med([f(x) for x in ref]) if ref else None
            so = f"{s:12.0f}" if s else f"{'-':>12}"
            ra = f"{o / s:9.2f}x" if s else f"{'-':>10}"
            print(f"  {name:46} {o:12.0f} {so} {ra}")
        prow("init", lambda x: x["init"])
        prow("s6-svscan", lambda x: x["svscan"])
        prow(f"{n} x s6-supervise", lambda x: x["sups"])
        prow(f"s6-svscan + {n} s6-supervise", lambda x: x["svscan"] + x["sups"])
        prow("tree: init + s6-svscan + s6-supervise", lambda x: x["init"] + x["svscan"] + x["sups"])
        prow(f"tree + the {n} sleep services", lambda x: x["init"] + x["svscan"] + x["sups"]
             + x["svcs"])
        prow("tree Pss_Anon", lambda x: x["init_anon"] + x["svscan_anon"] + x["sups_anon"])
        prow(f"s6-svscan + {n} s6-supervise Pss_Anon", lambda x: x["svscan_anon"]
             + x["sups_anon"])
        if ref:
            print("  stock has no init: its tree is s6-svscan + s6-supervise, which the tree"
                  " rows\n  compare with ours, init included.")
        if overlay:
            v3_bench(b, overlay, a.rounds, v3_trap)
    except KeyboardInterrupt:
        print("init_bench: interrupted; cleaning up", file=sys.stderr)
        sys.exit(130)
    except (Failure, subprocess.SubprocessError, OSError) as e:
        print(f"init_bench: {e}", file=sys.stderr)
        sys.exit(1)
    finally:
        if b:
            b.cleanup()


if __name__ == "__main__":
    main()
