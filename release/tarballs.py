#!/usr/bin/env python3
"""s6pp's release tarballs, made the way s6-overlay ships: one tar per architecture that a
Dockerfile unpacks over / (`tar -C / -Jxpf s6pp-VERSION-ARCH.tar.xz`), and one with the man
pages.

What a tarball holds is what `meson install --strip` puts in a staging directory (so a program
added to tools/meson.build joins it with no edit here), split in two:
  s6pp-VERSION-ARCH.tar.xz  everything but the man pages: PREFIX/bin (one file, the shared
                            executable s6-supervise, and every other program a symlink to it),
                            the libexec helper (a symlink to it too), plus the links images
                            expect:
                              /init -> PREFIX/bin/init
                              /command/NAME -> ../PREFIX/bin/NAME for every program
                                (s6-overlay v3's #!/command/with-contenv and /command/s6-svc)
                              /usr/bin/NAME for s6-overlay v2's helpers (with-contenv,
                                printcontenv, fix-attrs, logutil-*) when PREFIX is not /usr
  s6pp-VERSION-man.tar.xz   PREFIX/share/man/man8/*.8
and NAME.sha256 beside each (sha256sum's format).  No /bin entries: on merged-/usr images /bin
is a link to usr/bin, and a tar entry under it would replace the real file with a link.

Reproducible: entries sorted by name, every owner 0:0 with no user or group names, every mtime
SOURCE_DATE_EPOCH (else the last commit's date), modes 0755 for directories and programs,
0644 for man pages, ustar format, xz with fixed settings (one thread, one LZMA2 dictionary
sized to the input).

Subcommands (meson passes the build's values; see release/meson.build):
  build     the tarballs of every architecture of --arches into BUILD/dist: this build's own
            arch from this build directory, each other one from BUILD/cross-ARCH, set up with
            release/cross/ARCH.txt and this build's options (`meson compile -C BUILD tarballs`)
  selftest  the meson test 'release-manifest': stage and pack this build's arch twice (two
            staging directories) and compare the bytes, then check the manifest
  check     check the manifest of given tarballs
  containers  the meson test 'release-containers': this build's tarball unpacked and run in
            runc containers, one per install path (release/containers.py)
"""
import argparse, hashlib, io, lzma, os, shutil, struct, subprocess, sys, tarfile, tempfile

# Release arch name -> (meson cpu_family, ELF e_machine, ELF class).
ARCHES = {
    "x86_64": ("x86_64", 62, 2),
    "aarch64": ("aarch64", 183, 2),
    "armhf": ("arm", 40, 1),
    "riscv64": ("riscv64", 243, 2),
}
# The helpers s6-overlay v2 installed in /usr/bin, which v2 scripts name by path
# (#!/usr/bin/with-contenv sh).
V2_USR_BIN = ["with-contenv", "printcontenv", "fix-attrs", "logutil-service", "logutil-newfifo"]


def fail(*msg):
    print("tarballs:", *msg, file=sys.stderr)
    sys.exit(1)


def rel(path):
    """An absolute install path as a tar member name (no leading /)."""
    return os.path.normpath(path).lstrip("/")


def source_epoch(source):
    e = os.environ.get("SOURCE_DATE_EPOCH")
    if e:
        return int(e)
    r = subprocess.run(["git", "-C", source, "log", "-1", "--format=%ct"],
                       capture_output=True, text=True)
    if r.returncode == 0 and r.stdout.strip():
        return int(r.stdout.strip())
    print("tarballs: no SOURCE_DATE_EPOCH and no git history: mtimes are 0", file=sys.stderr)
    return 0


def stage(build, dest):
    """meson install --strip of an already built tree into dest."""
    r = subprocess.run(["meson", "install", "-C", build, "--no-rebuild", "--strip", "--quiet",
                        "--destdir", dest], capture_output=True, text=True)
    if r.returncode != 0:
        fail("meson install -C", build, "failed:\n" + r.stdout + r.stderr)


class Layout:
    """Where things go, from the build's options."""

    def __init__(self, a):
        self.prefix = a.prefix
        self.bindir = rel(os.path.join(a.prefix, a.bindir))
        self.mandir = rel(os.path.join(a.prefix, a.mandir))
        self.libexecdir = rel(os.path.join(a.prefix, a.libexecdir))
        self.version = a.version


def members(stage_dir, layout):
    """(arch members, man members) from a staging tree: lists of (name, kind, data) where kind
    is 'file' (data: bytes), 'link' (data: target) or 'dir'."""
    arch, man = {}, {}
    for top, dirs, files in os.walk(stage_dir):
        dirs.sort()
        for f in sorted(files):
            p = os.path.join(top, f)
            name = os.path.relpath(p, stage_dir)
            into = man if name.startswith(layout.mandir + "/") else arch
            if os.path.islink(p):
                into[name] = ("link", os.readlink(p))
            elif os.path.isfile(p):
                with open(p, "rb") as fh:
                    into[name] = ("file", fh.read())
            else:
                fail("not a file or link in the install:", name)
    bin_names = sorted(os.path.basename(n) for n in arch if os.path.dirname(n) == layout.bindir)
    init = layout.bindir + "/init"
    if init not in arch:
        fail("no", init, "in the install")
    arch["init"] = ("link", init)
    for n in bin_names:
        arch["command/" + n] = ("link", "../" + layout.bindir + "/" + n)
    if layout.bindir != "usr/bin":
        up = os.path.relpath(layout.bindir, "usr/bin")
        for n in V2_USR_BIN:
            if n in bin_names:
                arch["usr/bin/" + n] = ("link", up + "/" + n)
    return arch, man


def with_dirs(m):
    out = dict(m)
    for name in m:
        d = os.path.dirname(name)
        while d:
            out[d] = ("dir", None)
            d = os.path.dirname(d)
    return out


def tar_bytes(m, epoch, file_mode):
    """An uncompressed ustar archive of members m, sorted, owners 0:0, mtimes epoch."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for name in sorted(with_dirs(m)):
            kind, data = with_dirs(m)[name]
            ti = tarfile.TarInfo(name)
            ti.uid = ti.gid = 0
            ti.uname = ti.gname = ""
            ti.mtime = epoch
            if kind == "dir":
                ti.type, ti.mode = tarfile.DIRTYPE, 0o755
                t.addfile(ti)
            elif kind == "link":
                ti.type, ti.mode, ti.linkname = tarfile.SYMTYPE, 0o777, data
                t.addfile(ti)
            else:
                ti.type, ti.mode, ti.size = tarfile.REGTYPE, file_mode, len(data)
                t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def xz(data):
    """xz with fixed settings: LZMA2 preset 3 (the hc4 match finder) with the dictionary sized
    to the input (a power of two, 1 MiB to 64 MiB), one thread, CRC64.  The dictionary is what
    counts here (sixty static binaries share most of their libc), and preset 3 comes within
    8 % of preset 9's size in a sixth of the time.  Identical liblzma versions give identical
    bytes."""
    dict_size = 1 << 20
    while dict_size < len(data) and dict_size < (64 << 20):
        dict_size <<= 1
    filters = [{"id": lzma.FILTER_LZMA2, "preset": 3, "dict_size": dict_size}]
    return lzma.compress(data, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64, filters=filters)


def write_with_sum(path, data):
    with open(path, "wb") as f:
        f.write(data)
    digest = hashlib.sha256(data).hexdigest()
    with open(path + ".sha256", "w") as f:
        f.write(digest + "  " + os.path.basename(path) + "\n")


def archives(build, layout):
    """Stages build; returns the uncompressed (arch tar, man tar) bytes."""
    with tempfile.TemporaryDirectory(prefix="s6pp-stage-") as tmp:
        stage(build, tmp)
        a, m = members(tmp, layout)
    return a, m


def pack(build, layout, arch, epoch, out, with_man, tars=None):
    """Stages build (unless tars gives its members) and writes s6pp-VERSION-ARCH.tar.xz (and
    the -man one) into out; returns the paths written."""
    os.makedirs(out, exist_ok=True)
    a, m = tars or archives(build, layout)
    written = []
    p = os.path.join(out, "s6pp-%s-%s.tar.xz" % (layout.version, arch))
    write_with_sum(p, xz(tar_bytes(a, epoch, 0o755)))
    written.append(p)
    if with_man:
        if not m:
            fail("no man pages in the install (is scdoc installed?)")
        p = os.path.join(out, "s6pp-%s-man.tar.xz" % layout.version)
        write_with_sum(p, xz(tar_bytes(m, epoch, 0o644)))
        written.append(p)
    return written


# --- checking -------------------------------------------------------------------------------

def elf_facts(data):
    """(class, e_machine, has PT_INTERP, has .symtab) of an ELF image, or None."""
    if data[:4] != b"\x7fELF":
        return None
    cls, endian = data[4], "<" if data[5] == 1 else ">"
    if cls == 2:
        phoff, shoff = struct.unpack_from(endian + "QQ", data, 0x20)
        phentsize, phnum, shentsize, shnum = struct.unpack_from(endian + "HHHH", data, 0x36)
    else:
        phoff, shoff = struct.unpack_from(endian + "II", data, 0x1c)
        phentsize, phnum, shentsize, shnum = struct.unpack_from(endian + "HHHH", data, 0x2a)
    machine = struct.unpack_from(endian + "H", data, 0x12)[0]
    interp = any(struct.unpack_from(endian + "I", data, phoff + i * phentsize)[0] == 3
                 for i in range(phnum))
    symtab = any(struct.unpack_from(endian + "I", data, shoff + i * shentsize + 4)[0] == 2
                 for i in range(shnum))
    return cls, machine, interp, symtab


def expected(a, layout):
    """name -> (kind, link target or None, mode) of both tarballs' non-directory members."""
    programs = a.programs.split(",")
    members_ = a.members.split(",") if a.members else []
    links = a.multicall.split(",") if a.multicall else []
    arch = {}
    names = sorted(set(programs) | set(links))
    for n in names:
        if n in links:
            arch[layout.bindir + "/" + n] = ("link", "s6-supervise", 0o777)
        else:
            arch[layout.bindir + "/" + n] = ("file", None, 0o755)
        arch["command/" + n] = ("link", "../" + layout.bindir + "/" + n, 0o777)
    # The libexec helpers are links to the shared executable too, from out of the PATH.
    helper_target = os.path.relpath(layout.bindir + "/s6-supervise", layout.libexecdir)
    for n in a.libexec.split(",") if a.libexec else []:
        arch[layout.libexecdir + "/" + n] = ("link", helper_target, 0o777)
    arch["init"] = ("link", layout.bindir + "/init", 0o777)
    if layout.bindir != "usr/bin":
        for n in V2_USR_BIN:
            if n in names:
                arch["usr/bin/" + n] = ("link", os.path.relpath(layout.bindir, "usr/bin") + "/" + n,
                                        0o777)
    for m in members_:
        if m not in links:
            fail("multicall member", m, "is not among the links")
    man = {layout.mandir + "/" + n + ".8": ("file", None, 0o644)
           for n in a.man.split(",")} if a.man else {}
    return arch, man


def check_tarball(path, want, epoch, arch=None, version=None):
    """Problems found in one tarball against want (see expected); [] when it is right."""
    bad = []
    with tarfile.open(path, "r:xz") as t:
        got = t.getmembers()
        names = [m.name for m in got]
        if names != sorted(names):
            bad.append("entries are not sorted")
        dirs = set()
        for n in want:
            d = os.path.dirname(n)
            while d:
                dirs.add(d)
                d = os.path.dirname(d)
        seen = set()
        for m in got:
            seen.add(m.name)
            if m.uid != 0 or m.gid != 0 or m.uname or m.gname:
                bad.append("%s: owner %d:%d (%s:%s), want 0:0" % (m.name, m.uid, m.gid, m.uname,
                                                                  m.gname))
            if m.mtime != epoch:
                bad.append("%s: mtime %d, want %d" % (m.name, m.mtime, epoch))
            if m.isdir():
                if m.name not in dirs:
                    bad.append("%s: unexpected directory" % m.name)
                elif m.mode != 0o755:
                    bad.append("%s: mode %o, want 755" % (m.name, m.mode))
                continue
            if m.name not in want:
                bad.append("%s: unexpected member" % m.name)
                continue
            kind, target, mode = want[m.name]
            if kind == "link":
                if not m.issym() or m.linkname != target:
                    bad.append("%s: want a symlink to %s" % (m.name, target))
                continue
            if not m.isfile():
                bad.append("%s: not a regular file" % m.name)
                continue
            if m.mode != mode:
                bad.append("%s: mode %o, want %o" % (m.name, m.mode, mode))
            data = t.extractfile(m).read()
            if arch:
                facts = elf_facts(data)
                cls, machine = ARCHES[arch][2], ARCHES[arch][1]
                if facts is None:
                    bad.append("%s: not an ELF file" % m.name)
                elif facts[:2] != (cls, machine):
                    bad.append("%s: ELF class %d machine %d, want %d %d" % ((m.name,) + facts[:2]
                                                                          + (cls, machine)))
                elif facts[2]:
                    bad.append("%s: dynamically linked (has PT_INTERP)" % m.name)
                elif facts[3]:
                    bad.append("%s: not stripped (has .symtab)" % m.name)
            if version and b'"s6pp %s"' % version.encode() not in data.split(b"\n.SH", 1)[0]:
                bad.append("%s: no \"s6pp %s\" in its header" % (m.name, version))
        for n in sorted(set(want) - seen):
            bad.append("%s: missing" % n)
        for d in sorted(dirs - seen):
            bad.append("%s/: directory entry missing" % d)
    return bad


def check_all(a, layout, epoch, tarballs):
    want_arch, want_man = expected(a, layout)
    problems = 0
    for p in tarballs:
        base = os.path.basename(p)
        prefix = "s6pp-%s-" % layout.version
        if not base.startswith(prefix) or not base.endswith(".tar.xz"):
            fail(p, ": not named", prefix + "ARCH.tar.xz")
        which = base[len(prefix):-len(".tar.xz")]
        if which == "man":
            bad = check_tarball(p, want_man, epoch, version=layout.version)
        elif which in ARCHES:
            bad = check_tarball(p, want_arch, epoch, arch=which)
        else:
            fail(p, ": unknown architecture", which)
        with open(p, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        try:
            with open(p + ".sha256") as f:
                if f.read() != digest + "  " + base + "\n":
                    bad.append(base + ".sha256: does not match")
        except OSError as e:
            bad.append(base + ".sha256: " + e.strerror)
        for b in bad:
            print("  %s: %s" % (base, b))
        print("%s: %s (%d bytes)" % ("ok" if not bad else "FAILED", base, os.path.getsize(p)))
        problems += len(bad)
    return problems


# --- subcommands ----------------------------------------------------------------------------

def cmd_build(a, layout, epoch):
    out = os.path.join(a.build, "dist")
    arches = [x for x in a.arches.split(",") if x]
    for x in arches:
        if x not in ARCHES:
            fail("unknown architecture", x, "(known: %s)" % ", ".join(ARCHES))
    jobs = os.environ.get("RELEASE_JOBS", "2")
    for x in arches:
        if x == a.arch:
            build = a.build
        else:
            build = os.path.join(a.build, "cross-" + x)
            cross = os.path.join(a.source, "release", "cross", x + ".txt")
            if not os.path.exists(os.path.join(build, "build.ninja")):
                r = subprocess.run(["meson", "setup", build, a.source, "--cross-file", cross,
                                    "-Dtests=false"] + a.setup_args.split(), capture_output=True,
                                   text=True)
                if r.returncode != 0:
                    fail("meson setup for", x, "failed (is its cross compiler installed? "
                         ".ci/install-deps installs them):\n" + r.stdout[-2000:] + r.stderr)
            print("tarballs: building", x, "in", build, flush=True)
            r = subprocess.run(["ninja", "-C", build, "-j", jobs], capture_output=True,
                               text=True)
            if r.returncode != 0:
                fail("build for", x, "failed:\n" + r.stdout[-4000:] + r.stderr)
        written = pack(build, layout, x, epoch, out, with_man=(x == a.arch))
        if check_all(a, layout, epoch, written):
            fail("the manifest of", x, "is wrong (above)")
    if a.arch not in arches:
        # The man pages come from this build whatever the arches.
        for p in pack(a.build, layout, a.arch, epoch, out, with_man=True):
            if p.endswith("-man.tar.xz"):
                if check_all(a, layout, epoch, [p]):
                    fail("the man pages' manifest is wrong (above)")
            else:
                os.unlink(p)
                os.unlink(p + ".sha256")


def cmd_selftest(a, layout, epoch):
    if not a.man:
        print("SKIP: no man pages (scdoc not found)")
        return 77
    problems = 0
    # Two stagings (two directories, so the file system's order differs) pack to the same tar
    # bytes; xz over the same bytes with fixed settings is liblzma's business.
    one, two = archives(a.build, layout), archives(a.build, layout)
    for which in (0, 1):
        mode = (0o755, 0o644)[which]
        if tar_bytes(one[which], epoch, mode) != tar_bytes(two[which], epoch, mode):
            print("FAILED: two packs of the same build differ (%s)" % ("arch", "man")[which])
            problems += 1
    with tempfile.TemporaryDirectory(prefix="s6pp-selftest-") as tmp:
        written = pack(a.build, layout, a.arch, epoch, tmp, with_man=True, tars=one)
        problems += check_all(a, layout, epoch, written)
    return 1 if problems else 0


def cmd_containers(a, layout, epoch):
    import containers
    with tempfile.TemporaryDirectory(prefix="s6pp-containers-") as tmp:
        written = pack(a.build, layout, a.arch, epoch, tmp, with_man=False)
        return containers.run_all(written[0], layout.version)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("command", choices=["build", "selftest", "check", "containers"])
    ap.add_argument("--source", required=True)
    ap.add_argument("--build", required=True)
    ap.add_argument("--version", required=True)
    ap.add_argument("--arch", required=True, help="this build's architecture")
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--bindir", required=True)
    ap.add_argument("--libexecdir", required=True)
    ap.add_argument("--mandir", required=True)
    ap.add_argument("--programs", required=True, help="tool_names, comma-separated")
    ap.add_argument("--members", default="", help="multicall_members")
    ap.add_argument("--multicall", default="", help="multicall_links")
    ap.add_argument("--libexec", default="", help="libexec_tools")
    ap.add_argument("--man", default="", help="the man pages' names")
    ap.add_argument("--arches", default="")
    ap.add_argument("--setup-args", default="", help="meson setup options for the cross builds")
    ap.add_argument("tarballs", nargs="*", help="for check")
    a = ap.parse_args()
    layout = Layout(a)
    epoch = source_epoch(a.source)
    if a.command == "build":
        cmd_build(a, layout, epoch)
        return 0
    if a.command == "selftest":
        return cmd_selftest(a, layout, epoch)
    if a.command == "containers":
        return cmd_containers(a, layout, epoch)
    return 1 if check_all(a, layout, epoch, a.tarballs) else 0


if __name__ == "__main__":
    sys.exit(main())
