// Stage 1 of /init (see main.cc for the overview) and its file-system work: the run-time
// directory, the environment dump, s6-overlay's v2 and v3 paths as links to ours, and the
// start of s6-svscan.  Stage 1 sets the system up, as a daemon's main() does, and calls it
// directly; its result is the context the other stages decide over.
#include "runtime.hh"
#include "stages.hh"
#include "sys.hh"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/stat.h>
#include <unistd.h>

#include <supervise/control.hh>
#include <supervise/diag.hh>
#include <supervise/envdir.hh>
#include <supervise/fd.hh>
#include <supervise/tai64n.hh>
#include <supervise/tree.hh>

#include "entries.hh"

extern char **environ;

namespace init {

// /var/run -> /run, as s6-overlay makes it; only root may, and only for the real /run.
void make_var_run(context const &c) noexcept
{
    if (c.cfg.run_dir != "/run" || geteuid() != 0) return;
    struct stat st;
    if (lstat("/var/run", &st) == 0) {
        if (S_ISLNK(st.st_mode)) {
            char buf[PATH_MAX];
            ssize_t n = readlink("/var/run", buf, sizeof buf - 1);
            std::string_view t(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
            if (t != "/run" && t != "../run" && t != "/run/")
                warning(c, "/var/run is a link to ", t, ", not to /run");
            return;
        }
        // An empty directory is replaced; one with content is left alone (with a warning)
        // rather than wiped as s6-overlay v3's preinit does.
        if (!S_ISDIR(st.st_mode) || rmdir("/var/run") < 0) {
            warning(c, "/var/run exists and is not a link to /run; leaving it alone");
            return;
        }
    } else {
        mkdir("/var", 0755);
    }
    if (symlink("/run", "/var/run") < 0) warning_sys(c, "unable to link /var/run to /run");
}

// Chooses and prepares the run-time directory.  /run if we may write it; S6_RUNTIME_DIR if
// set (made if missing, 0700); with S6_READ_ONLY_ROOT and a /run we may not write, a tmpfs
// mounted on it, as s6-overlay v3's preinit does.  Anything else is fatal (100), with the fix.
void setup_run_dir(context &c) noexcept
{
    char const *cfg = getenv("S6_RUNTIME_DIR");
    if (cfg && *cfg) {
        if (cfg[0] != '/')
            sv::die(sv::exitcode::usage, "S6_RUNTIME_DIR must be an absolute path: ", cfg);
        std::string &rd = c.cfg.run_dir;
        rd = cfg;
        while (rd.size() > 1 && rd.back() == '/') rd.pop_back();
        if (mkdir(rd.c_str(), 0700) < 0 && errno != EEXIST)
            sv::die_sys(sv::exitcode::usage, "unable to mkdir S6_RUNTIME_DIR ", rd);
        if (access(rd.c_str(), W_OK | X_OK) < 0)
            sv::die_sys(sv::exitcode::usage, "S6_RUNTIME_DIR ", rd, " is not writable");
        return;
    }
    if (mkdir("/run", 0755) < 0 && errno != EEXIST && errno != EROFS && errno != EACCES)
        sv::die_sys(sv::exitcode::system, "unable to mkdir /run");
    if (access("/run", W_OK | X_OK) == 0) return;
    int const e = errno;
    if (live_setting(c, "S6_READ_ONLY_ROOT", 0) &&
        mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") == 0) {
        say(c, "[s6-init] mounted a tmpfs on /run");
        return;
    }
    errno = e;
    sv::die_sys(sv::exitcode::usage, "/run is not writable by uid ", sv::dec(geteuid()),
                ": give the container a tmpfs on /run (docker run --tmpfs /run) or set "
                "S6_RUNTIME_DIR to a directory it may write");
}

// One file per variable: the value plus a newline, as s6-linux-init -s writes it (read back
// by with-contenv with s6-envdir -Lf semantics, which removes that newline).
void dump_env(context const &c) noexcept
{
    std::string const dir = c.cfg.env_dir();
    if (mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST) {
        warning_sys(c, "unable to mkdir ", dir);
        return;
    }
    for (char **e = environ; *e; e++) {
        std::string_view kv = *e;
        auto eq = kv.find('=');
        if (eq == 0 || eq == kv.npos) continue;
        std::string_view n = kv.substr(0, eq);
        if (n[0] == '.' || n.find('/') != n.npos) continue; // not representable as a file
        std::string path = dir + "/" + std::string(n);
        std::string val = std::string(kv.substr(eq + 1)) + "\n";
        if (!sys::write_file(path, val)) warning_sys(c, "unable to write ", path);
    }
}

// s6-overlay v2's paths (/var/run/s6/... with /var/run -> /run), for the scripts of v2
// images: the scan dir /var/run/s6/services, and the exit-code file
// /var/run/s6/env-stage3/S6_STAGE2_EXITED, as links to ours.  v2's way of stopping a
// container with a code of one's choice then works as it did:
//     echo 3 > /var/run/s6/env-stage3/S6_STAGE2_EXITED; s6-svscanctl -t /var/run/s6/services
void v2_links(context const &c) noexcept
{
    symlink("../service", c.cfg.under_run("/s6/services").c_str());
    mkdir(c.cfg.under_run("/s6/env-stage3").c_str(), 0755);
    symlink("../../s6-linux-init-container-results/exitcode",
            c.cfg.under_run("/s6/env-stage3/S6_STAGE2_EXITED").c_str());
}

// v2's /var/run/s6/etc: links to the four .d directories (once S6_RUNTIME_PROFILE is known).
void sys::v2_etc_links(context const &c) noexcept
{
    std::string const dir = c.cfg.under_run("/s6/etc");
    mkdir(dir.c_str(), 0755);
    for (char const *d : {"fix-attrs.d", "cont-init.d", "cont-finish.d", "services.d"})
        symlink(c.cfg.etc(d).c_str(), (dir + "/" + d).c_str());
}

// RUN/s6/basedir/bin/{halt,poweroff,reboot,shutdown}, s6-overlay v3's paths, as links to us.
void link_hpr(context const &c) noexcept
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return;
    self[n] = 0;
    std::string const bin = c.cfg.under_run("/s6/basedir/bin");
    mkdir(c.cfg.under_run("/s6/basedir").c_str(), 0755);
    mkdir(bin.c_str(), 0755);
    for (char const *name : {"halt", "poweroff", "reboot", "shutdown"})
        symlink(self, (bin + "/" + name).c_str());
}

namespace {

constexpr char const *docker_path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// The environment of the stages and the supervision tree once stage 1 is done, unless
// S6_KEEP_ENV: PATH only, as in s6-overlay, and S6_RUNTIME_DIR, without which our tools would
// not find the run-time dir.  "NAME=value" each.
std::vector<std::string> tree_env() noexcept
{
    std::vector<std::string> env{std::string("PATH=") + getenv("PATH")};
    if (char const *rd = getenv("S6_RUNTIME_DIR"); rd && *rd)
        env.push_back(std::string("S6_RUNTIME_DIR=") + rd);
    return env;
}

// Unless S6_KEEP_ENV: the environment dumped, and from here on, stages and the supervision
// tree see tree_env() only.
void dump_and_clear_env(context const &c) noexcept
{
    dump_env(c);
    auto const env = tree_env();
    clearenv();
    for (auto const &e : env) {
        auto const eq = e.find('=');
        setenv(e.substr(0, eq).c_str(), e.c_str() + eq + 1, 1);
    }
}

// s6-svscan on the scan dir, in its own session, with our environment (stage 1 has made it
// the tree's).  Unless stage 1 holds the control FIFO already (listen_for_tree), it says
// when it listens with -d N (which every s6-svscan 2.11 takes): a newline on the pipe kept
// in c.svscan_ready, which await_svscan waits for.
void spawn_svscan(context &c) noexcept
{
    bool search;
    std::string const exe = sys::our_program("s6-svscan", search);
    std::string const scan = c.cfg.scan_dir();
    bool const tell = !c.scan_control_w;
    int p[2] = {-1, -1};
    if (tell && pipe2(p, O_CLOEXEC) < 0) {
        warning_sys(c, "unable to create a pipe for s6-svscan's readiness; no supervision tree");
        return;
    }
    sv::unique_fd ready(p[0]), writer(p[1]);
    std::string const fd = std::to_string(p[1]);
    char const *told[] = {exe.c_str(), "-d", fd.c_str(), scan.c_str(), nullptr};
    char const *plain[] = {exe.c_str(), scan.c_str(), nullptr};
    pid_t const pid =
        sys::spawn(c, tell ? told : plain, nullptr,
                   {.devnull_stdin = true, .new_session = true, .search_path = search,
                    .keep = p[1], .entry = svscan_main});
    if (pid < 0) {
        warning_sys(c, "unable to spawn ", exe, "; no supervision tree");
        return;
    }
    c.svscan = pid;
    c.svscan_ready = std::move(ready);
}

// Returns once the s6-svscan that spawn_svscan started with -d listens (5 s at most).
void await_svscan(context &c) noexcept
{
    if (!c.svscan || !c.svscan_ready) return;
    int const fd = c.svscan_ready.get();
    c.ev.wake_fd = fd;
    std::int64_t const give_up = sv::mono_ms() + 5000;
    int ws;
    wake w;
    char nl = 0;
    // Until the newline, or the pipe's end without one (s6-svscan gone: its exit is seen
    // from now on, as any other).
    while ((w = sys::wait_for(c, c.svscan, ws, give_up, false)) == wake::fd &&
           read(fd, &nl, 1) == 1 && nl != '\n') {
    }
    c.ev.wake_fd = -1;
    c.svscan_ready.reset();
    if (w == wake::child) {
        warning(c, "s6-svscan exited with code ", sv::dec(status_code(ws)));
        c.svscan = 0; // no tree from the start: go on without one
        return;
    }
    if (w == wake::timeout)
        warning(c, "s6-svscan does not listen on ", c.cfg.scan_dir(),
                "/.s6-svscan/control after 5 s");
}

// The scan dir's .s6-svscan/ and control FIFO, made as s6-svscan makes them and held open
// from now on (c.scan_control_r and _w): s6-svscanctl's commands land there, and wait in
// the FIFO until s6-svscan reads them, however long it takes to start.  s6-svscan opens the
// same FIFO.  If this fails, s6-svscan makes it, and sys::start_tree waits until it listens.
void listen_for_tree(context &c) noexcept
{
    std::string const dir = c.cfg.scan_dir() + "/.s6-svscan";
    sv::unique_fd rd, wr;
    if ((mkdir(dir.c_str(), 0700) < 0 && errno != EEXIST) ||
        !sv::control_listen((dir + "/control").c_str(), rd, wr, nullptr))
        return warning_sys(c, "unable to make ", dir, "/control");
    c.scan_control_r = std::move(rd);
    c.scan_control_w = std::move(wr);
}

// PATH as s6-overlay v3's /init makes it, for /init and the whole tree: /bin and /usr/bin
// added if missing, then /command in front, where v3 keeps its programs.  An image without
// /command gets the directory of our own programs in front instead, so that a script's
// `s6-svc` is ours and not a stock s6 that the image also carries.
void v3_path() noexcept
{
    if (!getenv("PATH")) setenv("PATH", docker_path, 1);
    std::string path = getenv("PATH");
    if (path.empty()) path = "/bin";
    auto add = [&path](std::string_view dir) {
        std::string_view rest = path;
        for (;;) {
            auto const colon = rest.find(':');
            if (rest.substr(0, colon) == dir) return;
            if (colon == rest.npos) break;
            rest.remove_prefix(colon + 1);
        }
        path = std::string(dir) + ":" + path;
    };
    add("/bin");
    add("/usr/bin");
    if (sys::is_dir("/command")) {
        add("/command");
    } else {
        bool search;
        std::string const self = sys::our_program("s6-svscan", search);
        if (!search) add(std::string_view(self).substr(0, self.rfind('/')));
    }
    setenv("PATH", path.c_str(), 1);
}

// What v3's stage0 decides about the catch-all logger from our own environment, before it
// is cleared: a v3 image (an s6-rc source for the profile) gets v3's logger; its user is
// S6_CATCHALL_USER when the container runs as root (v3 ignores it under a USER: the logger
// then runs as that user); its timestamps come from the words t and T of S6_LOGGING_SCRIPT.
void v3_logger_settings(context &c) noexcept
{
    char const *profile = getenv("S6_RUNTIME_PROFILE");
    std::string const etc =
        profile && *profile ? std::string("/etc/cont-profile.d/") + profile : "/etc";
    c.cfg.v3_logger = sys::is_dir(etc + "/s6-overlay/s6-rc.d");
    char const *user = getenv("S6_CATCHALL_USER");
    if (user && *user && geteuid() == 0 && std::string_view(user) != "root")
        c.cfg.catchall_user = user;
    char const *script = getenv("S6_LOGGING_SCRIPT");
    for (auto const &w : sh_fields(script ? script : ""))
        c.cfg.log_stamps |= w == "t" ? 1 : w == "T" ? 2 : 0;
}

// RUN/s6/workdir: the directory /init started in, which v3's rc.init goes back to for the
// CMD (images read it too).
void write_workdir(context const &c) noexcept
{
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof cwd))
        sys::write_file(c.cfg.under_run("/s6/workdir"), std::string(cwd) + "\n");
}

} // namespace

void stage1(context &c) noexcept
{
    umask(022);
    v3_path();
    c.cfg.keep_env = sv::keep_env(getenv("S6_KEEP_ENV"));
    c.cfg.verbosity = live_setting(c, "S6_VERBOSITY", 2);
    // The release this /init comes from (the version in the tarball's name and the man pages).
    say(c, "[s6-init] s6pp ", S6PP_VERSION, " starting");
    setup_run_dir(c);
    // Whatever a previous run of this container left is stale (s6-overlay #379).
    for (char const *rel : {"/s6", "/service", "/s6-linux-init-container-results"}) {
        std::string const d = c.cfg.under_run(rel);
        if (!sv::rm_rf(d.c_str())) warning_sys(c, "unable to remove stale ", d);
        if (mkdir(d.c_str(), 0755) < 0 && errno != EEXIST)
            sv::die_sys(sv::exitcode::system, "unable to mkdir ", d);
    }
    // The supervision tree listens from now on; s6-svscan itself starts when stage 2 first
    // needs it, at the latest once the CMD is on its way (sys::start_tree).
    listen_for_tree(c);
    c.cfg.logging = live_setting(c, "S6_LOGGING", 0);
    struct statvfs vfs;
    c.cfg.link_exec = statvfs(c.cfg.run_dir.c_str(), &vfs) == 0 && (vfs.f_flag & ST_NOEXEC);
    if (c.cfg.link_exec)
        say(c, "[s6-init] ", c.cfg.run_dir,
            " is mounted noexec: services.d programs are linked, not copied");
    make_var_run(c);
    write_exitcode(c, 0);
    v2_links(c);
    sys::write_file(c.cfg.under_run("/s6/init.pid"), std::string(sv::dec(getpid())) + "\n");
    link_hpr(c);
    write_workdir(c);
    v3_logger_settings(c);
    if (!c.cfg.keep_env) dump_and_clear_env(c);
    if (c.cfg.logging) start_logger(c);
}

namespace sys {

void start_tree(context &c) noexcept
{
    if (c.tree_started) return;
    c.tree_started = true;
    spawn_svscan(c);
    await_svscan(c);
    c.ev.svscan_watch = c.svscan; // from now on, its exit stops the container
}

} // namespace sys

} // namespace init
