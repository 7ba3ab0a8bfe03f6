"""The install paths users take, each in a real OCI runtime (runc), from a root file system made
here without network: Debian's static busybox (/bin/busybox and a link per applet), /etc/passwd
and /etc/group.  The release tarball is unpacked into it by the image's own tar (busybox tar
-xJpf, run in a container, as a Dockerfile's RUN would), then /init runs a CMD:

  busybox    a v3-style cont-init script (#!/command/with-contenv sh) and a service; the CMD
             waits for the service and checks it with /command/s6-svstat; /init logs the
             release it comes from
  v2-swap    an s6-overlay v2 image: its own /init and /usr/bin/with-contenv, /bin/s6-svstat,
             and v2 scripts (#!/usr/bin/with-contenv sh in /etc/cont-init.d, /etc/services.d,
             /etc/fix-attrs.d); the tarball replaces /init and the helpers, the scripts stay
             byte for byte, and run under ours
  non-root   USER 1000 with S6_RUNTIME_DIR=/tmp/s6
  read-only  a read-only root with a noexec tmpfs on /run (docker run --read-only --tmpfs /run)

Each case checks the container's exit code (the CMD's) and what the service wrote.  Runs as
root; without runc or busybox it reports itself skipped (exit 77)."""
import hashlib, json, os, shutil, subprocess, sys, tempfile

BUSYBOX = "/bin/busybox"
TIMEOUT = 60
# The CMD's wait for a service's mark file, bounded (0.1 s steps, 10 s).
WAIT = "i=0; while [ ! -s {f} ]; do i=$((i+1)); [ $i -gt 100 ] && exit 90; sleep 0.1; done; "


def runc_path():
    for p in ("/usr/sbin/runc", "/usr/bin/runc", "/usr/local/sbin/runc"):
        if os.access(p, os.X_OK):
            return p
    return shutil.which("runc")


def put(root, rel, text, mode=0o755):
    p = os.path.join(root, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w") as f:
        f.write(text)
    os.chmod(p, mode)


def rootfs(root):
    for d in ("bin", "etc", "proc", "dev", "sys", "tmp", "run", "var"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    os.chmod(os.path.join(root, "tmp"), 0o1777)
    shutil.copy2(BUSYBOX, os.path.join(root, "bin", "busybox"))
    applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True,
                             check=True).stdout.split()
    for a in applets:
        if not os.path.lexists(os.path.join(root, "bin", a)):
            os.symlink("busybox", os.path.join(root, "bin", a))
    put(root, "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
        "app:x:1000:1000:app:/tmp:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n", 0o644)
    put(root, "etc/group", "root:x:0:\napp:x:1000:\nnogroup:x:65534:\n", 0o644)


class Runner:
    def __init__(self, tmp, version):
        self.version = version
        self.runc = runc_path()
        self.tmp = tmp
        self.seq = 0

    def run(self, root, args, env=(), uid=0, readonly=False, run_tmpfs=False):
        """runc run of ARGS in root; returns (exit code, stdout+stderr)."""
        self.seq += 1
        b = os.path.join(self.tmp, "bundle%d" % self.seq)
        os.makedirs(b)
        subprocess.run([self.runc, "spec"], cwd=b, check=True)
        with open(os.path.join(b, "config.json")) as f:
            cfg = json.load(f)
        p = cfg["process"]
        p["terminal"] = False
        p["args"] = list(args)
        p["env"] = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"] + list(env)
        p["user"] = {"uid": uid, "gid": uid}
        docker_caps = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER",
                       "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP",
                       "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
                       "CAP_AUDIT_WRITE"]
        mine = [] if uid else docker_caps
        p["capabilities"] = {"bounding": docker_caps, "effective": mine, "permitted": mine}
        cfg["root"] = {"path": root, "readonly": readonly}
        if run_tmpfs:
            cfg["mounts"].insert(0, {"destination": "/run", "type": "tmpfs", "source": "tmpfs",
                                     "options": ["nosuid", "nodev", "noexec", "mode=755"]})
        with open(os.path.join(b, "config.json"), "w") as f:
            json.dump(cfg, f)
        cid = "s6pp-release-%d-%d" % (os.getpid(), self.seq)
        try:
            r = subprocess.run([self.runc, "run", "--bundle", b, cid], capture_output=True,
                               text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL,
                               start_new_session=True)
            return r.returncode, r.stdout + r.stderr
        except subprocess.TimeoutExpired as e:
            return -1, "timed out after %d s: %s" % (TIMEOUT, e.stdout or "")
        finally:
            subprocess.run([self.runc, "delete", "-f", cid], capture_output=True)

    def install(self, root, tarball):
        """The Dockerfile's ADD + RUN tar -C / -Jxpf, with the image's (busybox) tar."""
        shutil.copy(tarball, os.path.join(root, "s6pp.tar.xz"))
        code, out = self.run(root, ["tar", "-C", "/", "-xJpf", "/s6pp.tar.xz"])
        os.unlink(os.path.join(root, "s6pp.tar.xz"))
        return code, out


def tree_sums(root, rel):
    sums = {}
    for top, dirs, files in os.walk(os.path.join(root, rel)):
        for f in files:
            p = os.path.join(top, f)
            with open(p, "rb") as fh:
                sums[os.path.relpath(p, root)] = (hashlib.sha256(fh.read()).hexdigest(),
                                                  os.stat(p).st_mode)
    return sums


def service(root, name, mark, shebang="#!/bin/sh"):
    put(root, "etc/services.d/%s/run" % name,
        "%s\necho \"up $GREETING\" > %s\nexec sleep 1000\n" % (shebang, mark))


class Failed(Exception):
    pass


def install(r, root, tarball):
    code, out = r.install(root, tarball)
    if code != 0:
        raise Failed("busybox tar failed (%d): %s" % (code, out))


def boot(r, root, mark, checks, want, **kw):
    """/init with a CMD that waits for the service's mark file, runs checks (shell that exits
    9x on a failure) and exits want; returns (problems, output)."""
    code, out = r.run(root, ["/init", "sh", "-c", WAIT.format(f=mark) + checks +
                             "exit %d" % want], **kw)
    return ([] if code == want else ["exit %d, want %d (the CMD's): %s" % (code, want, out)],
            out)


def case_busybox(r, root, tarball):
    rootfs(root)
    put(root, "etc/cont-init.d/10-greet",
        "#!/command/with-contenv sh\necho \"$GREETING\" > /tmp/greet\n")
    service(root, "app", "/tmp/app-up")
    install(r, root, tarball)
    bad, out = boot(r, root, "/tmp/app-up",
                    "/command/s6-svstat /run/service/app >/tmp/svstat || exit 91; "
                    "[ \"$(cat /tmp/greet)\" = hello ] || exit 92; ", 7, env=["GREETING=hello"])
    if not open(os.path.join(root, "tmp/svstat")).read().startswith("up"):
        bad.append("s6-svstat did not say up")
    if "[s6-init] s6pp %s starting\n" % r.version not in out:
        bad.append("/init did not log its version: " + out)
    return bad


def case_v2_swap(r, root, tarball):
    rootfs(root)
    # What an s6-overlay v2 image has: its /init, its helpers in /usr/bin, s6 in /bin.
    put(root, "init", "#!/bin/sh\necho 'the old /init ran'; exit 99\n")
    put(root, "usr/bin/with-contenv", "#!/bin/sh\necho 'the old with-contenv ran'; exit 98\n")
    put(root, "bin/s6-svstat", "#!/bin/sh\necho 'the old s6-svstat ran'; exit 97\n")
    put(root, "etc/cont-init.d/10-v2",
        "#!/usr/bin/with-contenv sh\necho \"$GREETING\" > /tmp/greet\n")
    put(root, "etc/fix-attrs.d/01-mark", "/tmp/fixme false root 0600 0700\n", 0o644)
    put(root, "tmp/fixme", "x\n", 0o666)
    service(root, "app", "/tmp/app-up", "#!/usr/bin/with-contenv sh")
    put(root, "etc/services.d/app/finish", "#!/usr/bin/with-contenv sh\nexit 0\n")
    before = tree_sums(root, "etc")
    install(r, root, tarball)
    bad = []
    if tree_sums(root, "etc") != before:
        bad.append("unpacking changed /etc")
    if not os.path.islink(os.path.join(root, "init")):
        bad.append("/init is still the old one")
    more, out = boot(r, root, "/tmp/app-up",
                     "s6-svstat /run/service/app >/tmp/svstat || exit 91; "
                     "[ \"$(cat /tmp/greet)\" = v2 ] || exit 92; "
                     "[ \"$(stat -c %a /tmp/fixme)\" = 600 ] || exit 93; ", 8, env=["GREETING=v2"])
    bad += more
    if "old" in out:
        bad.append("an old v2 program ran: " + out)
    if tree_sums(root, "etc") != before:
        bad.append("running changed /etc")
    return bad


def plain_image(r, root, tarball, mark):
    """A busybox rootfs with one service writing mark, and the tarball unpacked over it."""
    rootfs(root)
    service(root, "app", mark)
    install(r, root, tarball)


def case_non_root(r, root, tarball):
    plain_image(r, root, tarball, "/tmp/app-up")
    bad, _ = boot(r, root, "/tmp/app-up", "[ \"$(id -u)\" = 1000 ] || exit 91; ", 5,
                  env=["S6_RUNTIME_DIR=/tmp/s6"], uid=1000)
    st = os.stat(os.path.join(root, "tmp/app-up"))
    if st.st_uid != 1000:
        bad.append("the service ran as uid %d, want 1000" % st.st_uid)
    return bad


def case_read_only(r, root, tarball):
    plain_image(r, root, tarball, "/run/app-up")
    bad, _ = boot(r, root, "/run/app-up", "touch /probe 2>/dev/null && exit 91; ", 6,
                  readonly=True, run_tmpfs=True)
    return bad


CASES = [("busybox", case_busybox), ("v2-swap", case_v2_swap), ("non-root", case_non_root),
         ("read-only", case_read_only)]


def run_all(tarball, version):
    """Runs every case on tarball; returns the exit status (0, 1, or 77 when skipped)."""
    why = None
    if os.geteuid() != 0:
        why = "needs root"
    elif not runc_path():
        why = "no runc"
    elif not os.access(BUSYBOX, os.X_OK):
        why = "no " + BUSYBOX
    if why:
        for name, _ in CASES:
            print("SKIPPED: install path %s -- %s" % (name, why))
        return 77
    failed = 0
    tmp = os.path.realpath(tempfile.mkdtemp(prefix="s6pp-containers-"))
    try:
        r = Runner(tmp, version)
        for name, case in CASES:
            root = os.path.join(tmp, name)
            try:
                bad = case(r, root, tarball)
            except (Failed, OSError) as e:
                bad = [str(e)]
            for b in bad:
                print("  %s: %s" % (name, b))
            print("%s: install path %s" % ("FAILED" if bad else "ok", name))
            failed += bool(bad)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d of %d install paths ok" % (len(CASES) - failed, len(CASES)))
    return 1 if failed else 0
