// Stage 1's file-system work (see context.hh): the run-time directory, the environment dump,
// s6-overlay's v2 and v3 paths as links to ours, and the catch-all logger.
#include "context.hh"
#include "sys.hh"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <supervise/fd.hh>
#include <supervise/opts.hh>
#include <supervise/uidgid.hh>

extern char **environ;

namespace init {

// /var/run -> /run, as s6-overlay makes it; only root may, and only for the real /run.
void make_var_run() noexcept
{
    if (run_dir != "/run" || geteuid() != 0) return;
    struct stat st;
    if (lstat("/var/run", &st) == 0) {
        if (S_ISLNK(st.st_mode)) {
            char buf[PATH_MAX];
            ssize_t n = readlink("/var/run", buf, sizeof buf - 1);
            std::string_view t(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
            if (t != "/run" && t != "../run" && t != "/run/")
                warning("/var/run is a link to ", t, ", not to /run");
            return;
        }
        // An empty directory is replaced; one with content is left alone (with a warning)
        // rather than wiped as s6-overlay v3's preinit does.
        if (!S_ISDIR(st.st_mode) || rmdir("/var/run") < 0) {
            warning("/var/run exists and is not a link to /run; leaving it alone");
            return;
        }
    } else {
        mkdir("/var", 0755);
    }
    if (symlink("/run", "/var/run") < 0) warning_sys("unable to link /var/run to /run");
}

// Chooses and prepares the run-time directory.  /run if we may write it; S6_RUNTIME_DIR if
// set (made if missing, 0700); with S6_READ_ONLY_ROOT and a /run we may not write, a tmpfs
// mounted on it, as s6-overlay v3's preinit does.  Anything else is fatal (100), with the fix.
void setup_run_dir() noexcept
{
    char const *cfg = getenv("S6_RUNTIME_DIR");
    if (cfg && *cfg) {
        if (cfg[0] != '/') sv::die(sv::exitcode::usage, "S6_RUNTIME_DIR must be an absolute path: ", cfg);
        run_dir = cfg;
        while (run_dir.size() > 1 && run_dir.back() == '/') run_dir.pop_back();
        if (mkdir(run_dir.c_str(), 0700) < 0 && errno != EEXIST)
            sv::die_sys(sv::exitcode::usage, "unable to mkdir S6_RUNTIME_DIR ", run_dir);
        if (access(run_dir.c_str(), W_OK | X_OK) < 0)
            sv::die_sys(sv::exitcode::usage, "S6_RUNTIME_DIR ", run_dir, " is not writable");
        return;
    }
    if (mkdir("/run", 0755) < 0 && errno != EEXIST && errno != EROFS && errno != EACCES)
        sv::die_sys(sv::exitcode::system, "unable to mkdir /run");
    if (access("/run", W_OK | X_OK) == 0) return;
    int const e = errno;
    if (live_setting("S6_READ_ONLY_ROOT", 0) &&
        mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") == 0) {
        say("[s6-init] mounted a tmpfs on /run");
        return;
    }
    errno = e;
    sv::die_sys(sv::exitcode::usage, "/run is not writable by uid ", sv::dec(geteuid()),
                ": give the container a tmpfs on /run (docker run --tmpfs /run) or set "
                "S6_RUNTIME_DIR to a directory it may write");
}

// One file per variable: the value plus a newline, as s6-linux-init -s writes it (read back
// by with-contenv with s6-envdir -Lf semantics, which removes that newline).
void dump_env() noexcept
{
    std::string const dir = env_dir();
    if (mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST) {
        warning_sys("unable to mkdir ", dir);
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
        if (!write_file(path.c_str(), val)) warning_sys("unable to write ", path);
    }
}

// s6-overlay v2's paths (/var/run/s6/... with /var/run -> /run), for the scripts of v2
// images: the scan dir /var/run/s6/services, and the exit-code file
// /var/run/s6/env-stage3/S6_STAGE2_EXITED, as links to ours.  v2's way of stopping a
// container with a code of one's choice then works as it did:
//     echo 3 > /var/run/s6/env-stage3/S6_STAGE2_EXITED; s6-svscanctl -t /var/run/s6/services
void v2_links() noexcept
{
    symlink("../service", under_run("/s6/services").c_str());
    mkdir(under_run("/s6/env-stage3").c_str(), 0755);
    symlink("../../s6-linux-init-container-results/exitcode",
            under_run("/s6/env-stage3/S6_STAGE2_EXITED").c_str());
}

// v2's /var/run/s6/etc: links to the four .d directories (once S6_RUNTIME_PROFILE is known).
void v2_etc_links() noexcept
{
    std::string const dir = under_run("/s6/etc");
    mkdir(dir.c_str(), 0755);
    for (char const *d : {"fix-attrs.d", "cont-init.d", "cont-finish.d", "services.d"})
        symlink((etc_dir + "/" + d).c_str(), (dir + "/" + d).c_str());
}

// RUN/s6/basedir/bin/{halt,poweroff,reboot,shutdown}, s6-overlay v3's paths, as links to us.
void link_hpr() noexcept
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return;
    self[n] = 0;
    std::string const bin = under_run("/s6/basedir/bin");
    mkdir(under_run("/s6/basedir").c_str(), 0755);
    mkdir(bin.c_str(), 0755);
    for (char const *name : {"halt", "poweroff", "reboot", "shutdown"})
        symlink(self, (bin + "/" + name).c_str());
}

// S6_LOGGING 1 or 2: s6-overlay v2's catch-all logger.  Our stdout and stderr, and so those
// of s6-svscan and of every service without a logger of its own, go into the FIFO
// RUN/s6/uncaught-logs-fifo, which logutil-service (s6-log as nobody, S6_LOGGING_SCRIPT's
// directives) empties into /var/log/s6-uncaught-logs.  /init itself restarts the logger if
// it dies, and holds the FIFO open for reading meanwhile, so that nothing written is lost;
// stage 3 lets it drain last.
std::string logger_argv_store[4];
char const *logger_argv[5];
int logger_fifo = -1;  // read and write: the writers' end, which also keeps the FIFO's buffer
int logger_drain = -1; // read-only, non-blocking: where we read while the logger is down

void start_logger() noexcept
{
    std::string const fifo = under_run("/s6/uncaught-logs-fifo");
    unlink(fifo.c_str());
    if (mkfifo(fifo.c_str(), 0600) < 0) {
        warning_sys("unable to mkfifo ", fifo, "; no catch-all logger");
        return;
    }
    // v2's place for the logs, or v3's under the run-time dir when that one cannot be made
    // (a read-only root, a non-root USER).
    std::string logdir = "/var/log/s6-uncaught-logs";
    mkdir("/var", 0755);
    mkdir("/var/log", 0755);
    if (mkdir(logdir.c_str(), 02700) < 0 && errno != EEXIST) {
        std::string const alt = under_run("/uncaught-logs");
        warning_sys("unable to mkdir ", logdir, "; logging to ", alt, " instead");
        logdir = alt;
        if (mkdir(logdir.c_str(), 02700) < 0 && errno != EEXIST) {
            warning_sys("unable to mkdir ", logdir, "; no catch-all logger");
            return;
        }
    }
    if (geteuid() == 0) {
        // The logger runs as nobody (32768:32768 if there is no such user), as in v2.
        sv::uidgid_spec spec;
        spec.insist = false;
        spec.uid = spec.gid = 32768;
        std::string bad;
        sv::resolve_uidgid("nobody", spec, bad);
        if (chown(logdir.c_str(), spec.uid, spec.gid) < 0 || chmod(logdir.c_str(), 02700) < 0)
            warning_sys("unable to give ", logdir, " to uid ", sv::dec(spec.uid));
    }
    logger_fifo = open(fifo.c_str(), O_RDWR | O_CLOEXEC);
    logger_drain = open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (logger_fifo < 0 || logger_drain < 0) {
        warning_sys("unable to open ", fifo, "; no catch-all logger");
        release_logger();
        return;
    }
    bool search;
    logger_argv_store[0] = our_program("logutil-service", search);
    logger_argv_store[1] = "-f";
    logger_argv_store[2] = fifo;
    logger_argv_store[3] = logdir;
    for (int i = 0; i < 4; i++) logger_argv[i] = logger_argv_store[i].c_str();
    logger_argv[4] = nullptr;
    console_out = fcntl(1, F_DUPFD_CLOEXEC, 3);
    console_err = fcntl(2, F_DUPFD_CLOEXEC, 3);
    if (console_out < 0 || console_err < 0) {
        warning_sys("unable to duplicate stdout and stderr; no catch-all logger");
        return;
    }
    // The logger's own complaints go to the container's output, not into its own input.
    keep_running(logger_argv, {.search_path = search, .out = console_out, .err = console_err},
                 logger_drain, console_err);
    if (dup2(logger_fifo, 1) < 0 || dup2(logger_fifo, 2) < 0)
        warning_sys("unable to redirect to the catch-all logger");
}

// Stage 3's end: we write to the console again and let go of the FIFO, so that the logger
// reads EOF, and exits, once the last other writer is gone.
void release_logger() noexcept
{
    stop_keeping();
    if (console_out >= 0) dup2(console_out, 1);
    if (console_err >= 0) dup2(console_err, 2);
    if (logger_fifo >= 0) close(logger_fifo);
    if (logger_drain >= 0) close(logger_drain);
    logger_fifo = logger_drain = -1;
}

} // namespace init
