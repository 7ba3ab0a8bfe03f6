// S6_LOGGING 1 or 2: the catch-all logger.  Our stdout and stderr, and so those of
// s6-svscan and of every service without a logger of its own, go into the FIFO
// RUN/s6/uncaught-logs-fifo.  Which logger empties it depends on the image:
//   v2 (no s6-rc source)  logutil-service (s6-log as nobody, S6_LOGGING_SCRIPT's directives)
//                         into /var/log/s6-uncaught-logs, as v2's stage 1 ran it
//   v3                    what s6-linux-init-maker makes for v3's stage0: s6-log -bp --
//                         [1] [t] [T] RUN/uncaught-logs (02750, the logger's), as
//                         S6_CATCHALL_USER if set and the container runs as root; its
//                         stdout is the container's stderr, where "1" (S6_LOGGING 1) echoes
//                         every line
// /init itself restarts the logger if it dies, and holds the FIFO open for reading
// meanwhile, so that nothing written is lost; stage 3 lets it drain last.  Its fds and argv
// are c.log (context.hh).
#include "runtime.hh"
#include "sys.hh"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/uidgid.hh>

namespace init {
namespace {

// v2's place for the logs, or v3's under the run-time dir when that one cannot be made (a
// read-only root, a non-root USER); "" if neither can.
std::string make_log_dir(context const &c) noexcept
{
    std::string logdir = "/var/log/s6-uncaught-logs";
    mkdir("/var", 0755);
    mkdir("/var/log", 0755);
    if (mkdir(logdir.c_str(), 02700) < 0 && errno != EEXIST) {
        std::string const alt = c.cfg.under_run("/uncaught-logs");
        warning_sys(c, "unable to mkdir ", logdir, "; logging to ", alt, " instead");
        logdir = alt;
        if (mkdir(logdir.c_str(), 02700) < 0 && errno != EEXIST) {
            warning_sys(c, "unable to mkdir ", logdir, "; no catch-all logger");
            return {};
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
            warning_sys(c, "unable to give ", logdir, " to uid ", sv::dec(spec.uid));
    }
    return logdir;
}

// v3's catch-all logger, as s6-linux-init-maker writes its run script for v3's stage0.
// Dies (100) if S6_CATCHALL_USER is not in /etc/passwd, as s6-linux-init-maker makes v3's
// boot fail.
void v3_logger_argv(context &c) noexcept
{
    logger &l = c.log;
    std::string const logdir = c.cfg.under_run("/uncaught-logs");
    sv::uidgid_spec spec;
    spec.uid = geteuid();
    spec.gid = getegid();
    std::string const &user = c.cfg.catchall_user;
    std::string bad;
    if (!user.empty() && sv::resolve_uidgid(user, spec, bad) != sv::uidgid_status::ok)
        sv::die(sv::exitcode::usage, "unable to find user ", user,
                " in passwd database (S6_CATCHALL_USER)");
    if (mkdir(logdir.c_str(), 02750) < 0 && errno != EEXIST)
        warning_sys(c, "unable to mkdir ", logdir);
    else if ((geteuid() == 0 && chown(logdir.c_str(), spec.uid, spec.gid) < 0) ||
             chmod(logdir.c_str(), 02750) < 0)
        warning_sys(c, "unable to give ", logdir, " to uid ", sv::dec(spec.uid));
    bool search;
    std::size_t n = 0;
    if (!user.empty()) {
        l.argv_store[n++] = sys::our_program("s6-setuidgid", l.search);
        l.argv_store[n++] = user;
    }
    l.argv_store[n++] = sys::our_program("s6-log", user.empty() ? l.search : search);
    l.argv_store[n++] = "-bp";
    l.argv_store[n++] = "--";
    if (c.cfg.logging == 1) l.argv_store[n++] = "1";
    if (c.cfg.log_stamps & 1) l.argv_store[n++] = "t";
    if (c.cfg.log_stamps & 2) l.argv_store[n++] = "T";
    l.argv_store[n++] = logdir;
    l.argc = n;
}

// v2's: logutil-service -f FIFO LOGDIR; false if there is no place for the logs.
bool v2_logger_argv(context &c, std::string const &fifo) noexcept
{
    logger &l = c.log;
    std::string const logdir = make_log_dir(c);
    if (logdir.empty()) return false;
    l.argv_store[0] = sys::our_program("logutil-service", l.search);
    l.argv_store[1] = "-f";
    l.argv_store[2] = fifo;
    l.argv_store[3] = logdir;
    l.argc = 4;
    return true;
}

} // namespace

void start_logger(context &c) noexcept
{
    logger &l = c.log;
    std::string const fifo = c.cfg.under_run("/s6/uncaught-logs-fifo");
    unlink(fifo.c_str());
    if (mkfifo(fifo.c_str(), 0600) < 0) {
        warning_sys(c, "unable to mkfifo ", fifo, "; no catch-all logger");
        return;
    }
    if (c.cfg.v3_logger)
        v3_logger_argv(c);
    else if (!v2_logger_argv(c, fifo))
        return;
    l.fifo.reset(open(fifo.c_str(), O_RDWR | O_CLOEXEC));
    l.drain.reset(open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (c.cfg.v3_logger) {
        // s6-log reads its stdin: a description of its own, blocking (the FIFO has a writer,
        // ours, so the open itself does not wait).
        l.input.reset(open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
        if (l.input) fcntl(l.input.get(), F_SETFL, 0);
    }
    if (!l.fifo || !l.drain || (c.cfg.v3_logger && !l.input)) {
        warning_sys(c, "unable to open ", fifo, "; no catch-all logger");
        sys::release_logger(c);
        return;
    }
    for (std::size_t i = 0; i < l.argc; i++) l.argv[i] = l.argv_store[i].c_str();
    l.argv[l.argc] = nullptr;
    l.console_out.reset(fcntl(1, F_DUPFD_CLOEXEC, 3));
    l.console_err.reset(fcntl(2, F_DUPFD_CLOEXEC, 3));
    if (!l.console_out || !l.console_err) {
        warning_sys(c, "unable to duplicate stdout and stderr; no catch-all logger");
        return;
    }
    // The logger's own complaints go to the container's output, not into its own input;
    // v3's writes its echo to the container's stderr (fdmove -c 1 2 in its run script).
    int const out = c.cfg.v3_logger ? l.console_err.get() : l.console_out.get();
    keep_running(c, l.argv,
                 {.search_path = l.search,
                  .in = l.input ? l.input.get() : -1,
                  .out = out,
                  .err = l.console_err.get()},
                 l.drain.get(), l.console_err.get());
    if (dup2(l.fifo.get(), 1) < 0 || dup2(l.fifo.get(), 2) < 0)
        warning_sys(c, "unable to redirect to the catch-all logger");
}

// Stage 3's end: we write to the console again and let go of the FIFO, so that the logger
// reads EOF, and exits, once the last other writer is gone.
void sys::release_logger(context &c) noexcept
{
    stop_keeping(c);
    if (c.log.console_out) dup2(c.log.console_out.get(), 1);
    if (c.log.console_err) dup2(c.log.console_err.get(), 2);
    c.log.fifo.reset();
    c.log.drain.reset();
    c.log.input.reset();
}

} // namespace init
