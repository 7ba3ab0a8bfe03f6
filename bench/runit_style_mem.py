#!/usr/bin/env python3
"""Memory at start of the runit-style example (examples/runit-style/), beside the same set
under Debian's runit, in one run (as root; needs runc and the `runit` package).

Both containers are booted under runc from a busybox root (as bench/init_bench.py builds it)
with the example's rootfs and the syslog service (examples/syslog/syslogd) copied in:

  s6pp   the example as it is: /sbin/init runs /etc/runit/1, then s6-svscan over
         /etc/service supervises web, worker, queue, crond and syslogd, each with an s6-log
         logger (s6-supervise for each service and each logger).
  runit  the same services, with runit's programs where the example has s6pp's: runsvdir
         for s6-svscan, runsv for the s6-supervise pair of each service, svlogd for s6-log,
         chpst -u for s6-setuidgid (Debian's dynamic binaries, with their libraries copied
         into the root).  The services themselves (busybox httpd, sh loops, crond,
         s6-socklog) are the same programs.

Once every service and logger runs and the count of processes has held still for a second,
the PSS (/proc/PID/smaps_rollup) of every process in the container (runc ps) is summed.  The
target for s6pp is 2 MiB; the supervision part (init, supervisors, loggers) is shown apart
from the services' own programs, which are the same in both.
"""
import argparse, json, os, re, shutil, subprocess, sys, time
from init_bench import Bench, Failure, write
from procinfo import comm_of, pss_kib

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, "..", "examples")
SERVICES = ["web", "worker", "queue", "crond", "syslogd"]
SUPERVISION = {"s6-svscan", "s6-supervise", "s6-log", "runsvdir", "runsv", "svlogd", "init"}
TARGET_KIB = 2048
DOCKER_CAPS = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
               "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
               "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"]
RUNIT_BINS = ["runsvdir", "runsv", "svlogd", "chpst", "sv"]


class MemBench(Bench):
    def bundle_for(self, name, runit):
        """A bundle with the example's root: runit=True swaps in runit's programs."""
        b, root, binp = self.new_root(name, ("bin", "etc", "proc", "dev", "sys", "tmp", "run",
                                             "var", "srv"))
        for a in self.applets:
            if not os.path.lexists(os.path.join(binp, a)):
                os.symlink("busybox", os.path.join(binp, a))
        write(os.path.join(root, "etc/passwd"),
              "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/srv:/bin/sh\n"
              "nobody:x:65534:65534:nobody:/:/bin/false\n")
        write(os.path.join(root, "etc/group"), "root:x:0:\napp:x:1000:\nnogroup:x:65534:\n")
        subprocess.run(["cp", "-a", os.path.join(EXAMPLES, "runit-style", "rootfs") + "/.",
                        root], check=True)
        svc = os.path.join(root, "etc/service")
        subprocess.run(["cp", "-a", os.path.join(EXAMPLES, "syslog", "syslogd"), svc],
                       check=True)
        if runit:
            self.runitify(root)
        return b

    def runitify(self, root):
        """runit's programs where the example uses s6pp's."""
        libs = set()
        for p in RUNIT_BINS:
            src = shutil.which(p)
            if not src:
                raise Failure(f"no {p}: apt-get install runit")
            shutil.copy2(src, os.path.join(root, "bin", p))
            out = subprocess.run(["ldd", src], capture_output=True, text=True).stdout
            libs.update(re.findall(r"(/\S+\.so[.\d]*)", out))
        for lib in libs:
            dst = os.path.join(root, lib.lstrip("/"))
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy2(os.path.realpath(lib), dst)
        svc = os.path.join(root, "etc/service")
        shutil.rmtree(os.path.join(svc, ".s6-svscan"))
        for s in SERVICES:
            for rel in ("run", "log/run"):
                p = os.path.join(svc, s, rel)
                if not os.path.exists(p):
                    continue  # crond has no log/: it logs through syslog
                text = open(p).read()
                text = text.replace("s6-setuidgid app", "chpst -u app")
                # runsv gives no readiness fd 3.
                text = text.replace("set -- -d 3 -x", "set -- -x")
                # s6-log -b -- n10 s1000000 T DIR  ->  svlogd -tt DIR (size and count go in
                # DIR/config for svlogd; the defaults are the same 10 files of 1 MB).
                text = re.sub(r"s6-log -b -- (?:\S+ )*?(?:T )?(/\S+)", r"svlogd -tt \1", text)
                if rel == "log/run" and "svlogd" not in text:
                    # The syslog service's logger writes to the container's output.
                    text = "#!/bin/sh\nexec svlogd -tt /var/log/syslogd\n"
                    os.makedirs(os.path.join(root, "var/log/syslogd"), exist_ok=True)
                write(p, text, 0o755)
        init = os.path.join(root, "sbin/init")
        text = open(init).read().replace("exec s6-svscan /etc/service", "exec runsvdir -P /etc/service")
        write(init, text, 0o755)

    def config(self, bundle, args, env=()):
        """As Bench's, with Docker's default capabilities (stage 1 chowns, s6-setuidgid and
        chpst change user)."""
        super().config(bundle, args, env)
        path = os.path.join(bundle, "config.json")
        with open(path) as f:
            c = json.load(f)
        c["process"]["capabilities"] = {k: DOCKER_CAPS for k in ("bounding", "effective",
                                                               "permitted")}
        with open(path, "w") as f:
            json.dump(c, f)

    def procs(self, cid):
        r = subprocess.run([self.runc, "ps", "--format", "json", cid], capture_output=True,
                           text=True, timeout=10)
        if r.returncode != 0:
            return []
        return json.loads(r.stdout) or []

    def measure(self, name, runit, settle):
        b = self.bundle_for(name, runit)
        cid, p, _ = self.start(b, ["/sbin/init"])
        try:
            # Up: every service has its program and logger, and the count holds still.
            want = {"httpd", "crond", "s6-socklog"}
            deadline = time.monotonic() + 30
            last, since = None, time.monotonic()
            while True:
                if p.poll() is not None:
                    raise Failure(f"{name}: exited {p.returncode}\n" + self.output_tail(b))
                pids = self.procs(cid)
                names = {comm_of(x) for x in pids}
                if want <= names and len(pids) == last:
                    if time.monotonic() - since >= settle:
                        break
                else:
                    last, since = len(pids), time.monotonic()
                if time.monotonic() > deadline:
                    raise Failure(f"{name}: not up in 30 s: {sorted(names)}\n"
                                  + self.output_tail(b))
                time.sleep(0.1)
            rows = [(comm_of(x), pss_kib(x)) for x in pids]
            # Where each one's PSS goes: program text and data from files (shared by
            # every process running the same executable) and anonymous memory (heap,
            # stack, written data: the process's own).
            self.detail = getattr(self, "detail", {})
            self.detail[name] = [(comm_of(x), pss_kib(x), pss_kib(x, "Pss_File:"),
                                  pss_kib(x, "Pss_Anon:"), pss_kib(x, "Private_Dirty:"))
                                 for x in pids]
        finally:
            self.delete(cid)
        return rows


def summary(rows):
    sup = sum(k for n, k in rows if n in SUPERVISION)
    total = sum(k for _, k in rows)
    return len(rows), total, sup


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ours", default=os.path.join(HERE, "..", "build", "tools"),
                    help="our static binaries (default: build/tools)")
    ap.add_argument("--settle", type=float, default=1.0,
                    help="seconds the process count must hold still before measuring")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("runit_style_mem: SKIPPED: not root", file=sys.stderr)
        return 0
    b = MemBench(os.path.realpath(a.ours), a.verbose)
    try:
        results = {}
        for name, runit in (("s6pp", False), ("runit", True)):
            rows = b.measure(name, runit, a.settle)
            results[name] = rows
            if a.verbose:
                print(f"  {name:6} {'process':14} {'PSS':>6} {'file':>6} {'anon':>6}"
                      f" {'pvt dirty':>9} (KiB)", file=sys.stderr)
                for n, k, f, an, pd in sorted(b.detail[name]):
                    print(f"  {name:6} {n:14} {k:6} {f:6} {an:6} {pd:9}", file=sys.stderr)
        print("runit-style example at start: PSS of every process in the container (KiB)")
        print(f"{'':8}{'procs':>6}{'total':>9}{'supervision':>13}{'services':>10}")
        for name, rows in results.items():
            n, total, sup = summary(rows)
            print(f"{name:8}{n:6}{total:9}{sup:13}{total - sup:10}")
        n, total, _ = summary(results["s6pp"])
        ok = total <= TARGET_KIB
        print(f"s6pp total {total} KiB: {'within' if ok else 'OVER'} the {TARGET_KIB} KiB target")
        return 0 if ok else 1
    except Failure as e:
        print(f"runit_style_mem: fatal: {e}", file=sys.stderr)
        return 1
    finally:
        b.cleanup()


if __name__ == "__main__":
    sys.exit(main())
