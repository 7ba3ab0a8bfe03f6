// S6_LOGGING 1 or 2: s6-overlay v2's catch-all logger.  Our stdout and stderr, and so those
// of s6-svscan and of every service without a logger of its own, go into the FIFO
// RUN/s6/uncaught-logs-fifo, which logutil-service (s6-log as nobody, S6_LOGGING_SCRIPT's
// directives) empties into /var/log/s6-uncaught-logs.  /init itself restarts the logger if
// it dies, and holds the FIFO open for reading meanwhile, so that nothing written is lost;
// stage 3 lets it drain last.  Its fds and argv are c.log (context.hh).
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
    std::string const logdir = make_log_dir(c);
    if (logdir.empty()) return;
    l.fifo.reset(open(fifo.c_str(), O_RDWR | O_CLOEXEC));
    l.drain.reset(open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (!l.fifo || !l.drain) {
        warning_sys(c, "unable to open ", fifo, "; no catch-all logger");
        sys::release_logger(c);
        return;
    }
    bool search;
    l.argv_store[0] = sys::our_program("logutil-service", search);
    l.argv_store[1] = "-f";
    l.argv_store[2] = fifo;
    l.argv_store[3] = logdir;
    for (int i = 0; i < 4; i++) l.argv[i] = l.argv_store[i].c_str();
    l.argv[4] = nullptr;
    l.console_out.reset(fcntl(1, F_DUPFD_CLOEXEC, 3));
    l.console_err.reset(fcntl(2, F_DUPFD_CLOEXEC, 3));
    if (!l.console_out || !l.console_err) {
        warning_sys(c, "unable to duplicate stdout and stderr; no catch-all logger");
        return;
    }
    // The logger's own complaints go to the container's output, not into its own input.
    keep_running(c, l.argv,
                 {.search_path = search, .out = l.console_out.get(), .err = l.console_err.get()},
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
}

} // namespace init
