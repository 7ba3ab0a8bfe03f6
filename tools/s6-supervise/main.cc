// s6-supervise DIR: supervises one service, as s6 2.11.3.2 does.
//
// It chdirs into DIR, creates event/ (fifodir, 03730) and supervise/ (0700) with the lock, the
// control FIFO and a truncated death_tally, then runs ./run (as a session leader, with only
// fds 0-2 and the notification fd), runs ./finish after each death, restarts with the 1-second
// throttle, and obeys the control letters and SIGTERM/SIGHUP/SIGQUIT/SIGINT.  The state machine
// is in state.cc, the service directory's files and locks in setup.cc; this file is start-up,
// the system seam and the event loop: signalfd + poll with absolute monotonic deadlines, and no
// heap allocation.
//
// Unlike 2.11.3.2, fds inherited from whatever started us are not passed on to the service.
// Where 2.11.3.2 is broken we do what it meant to do: lock-fd creates supervise/service-lock and
// the service holds a lock on fd N (an open-file-description lock, inherited across exec).
#include "state.hh"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <supervise/control.hh>
#include <supervise/death_tally.hh>
#include <supervise/diag.hh>
#include <supervise/fd.hh>
#include <supervise/fifodir.hh>
#include <supervise/fork_self.hh>
#include <supervise/lock.hh>
#include <supervise/sigtrap.hh>
#include <supervise/spawn.hh>
#include <supervise/svdir.hh>

#include "entries.hh"
#include "setup.hh"


namespace {

constexpr std::int64_t retry_exec_ms = 10000; // exec of ./run failed
constexpr std::int64_t retry_fork_ms = 60000; // fork, pipe or lock failure

// The daemon's whole state lives here, statically: nothing is allocated after start-up.  What
// it writes as it runs is kept to a page: sup starts non-zero, so it lies in .data, and
// service_dir is given a non-null start to lie beside it, not in .bss.  A supervisor forked by
// s6-svscan makes its own copy of each page it writes; the rest it shares.
svd::supervisor sup;
char const *service_dir = "."; // DIR as given, passed to ./run and ./finish
int notify_rd = -1;            // read end of the readiness pipe while run is up
char dtally_scratch[(sv::death_tally_max + 1) * sv::death_record_size];

} // namespace

namespace svd::sys {

std::int64_t now_ms() noexcept { return sv::mono_ms(); }
sv::tain now_tain() noexcept { return sv::tain_now(); }

void write_status(sv::status const &s) noexcept
{
    if (!sv::status_write(".", s)) sv::warn_sys("unable to write status file");
}

void notify(std::string_view events) noexcept { sv::fifodir_notify("event", events); }

void send_signal(pid_t pid, int sig) noexcept
{
    if (pid > 0 && sig > 0) ::kill(pid, sig);
}

void send_signal_group(pid_t pid, int sig) noexcept
{
    if (pid <= 0) return;
    pid_t g = getpgid(pid);
    if (g > 0) ::killpg(g, sig);
}

// Moves fd out of the way of target, so that the dup2s in the child cannot overwrite a source
// before it is used.
int away_from(int fd, int target) noexcept
{
    if (fd != target) return fd;
    int n = fcntl(fd, F_DUPFD_CLOEXEC, target + 1);
    ::close(fd);
    return n;
}

pid_t spawn_run(std::int64_t *retry_ms) noexcept
{
    std::uint32_t nfd = 0, lfd = 0;
    bool const want_notify = read_number("notification-fd", nfd) && nfd <= INT32_MAX;
    bool const want_lock = read_number("lock-fd", lfd) && lfd <= INT32_MAX;
    if (want_notify && want_lock && nfd == lfd) {
        sv::warn("unable to start service: notification-fd and lock-fd are the same");
        *retry_ms = retry_fork_ms;
        return 0;
    }
    sv::unique_fd lock;
    if (want_lock) {
        bool busy = false;
        lock.reset(take_service_lock(busy));
        if (!lock) {
            *retry_ms = busy ? 1000 : retry_fork_ms;
            return 0;
        }
        lock.reset(away_from(lock.release(), static_cast<int>(nfd)));
    }
    int p[2] = {-1, -1};
    if (want_notify) {
        if (pipe2(p, O_CLOEXEC) < 0) {
            sv::warn_sys("unable to create notification pipe (waiting 60 seconds)");
            *retry_ms = retry_fork_ms;
            return 0;
        }
        p[1] = away_from(p[1], static_cast<int>(nfd));
        if (lock) p[1] = away_from(p[1], static_cast<int>(lfd));
    }
    char arg0[] = "run";
    char *argv[] = {arg0, const_cast<char *>(service_dir), nullptr};
    // A session leader with an empty mask, the notification pipe and the lock moved into place.
    sv::spawn_opts const how{.new_session = true,
                             .from = {p[1], lock.get(), -1},
                             .to = {static_cast<int>(nfd), static_cast<int>(lfd), -1}};
    pid_t pid = sv::spawn("./run", argv, how);
    int const e = errno;
    if (p[1] >= 0) ::close(p[1]);
    if (!pid) {
        if (p[0] >= 0) ::close(p[0]);
        errno = e;
        if (e == EAGAIN || e == ENOMEM) {
            sv::warn_sys("unable to fork (waiting 60 seconds)");
            *retry_ms = retry_fork_ms;
        } else {
            // spawn() reports the exec failure to us; say it as s6's child would, dying.
            sv::child_fatal_line_sys("unable to exec run");
            sv::warn("unable to spawn ./run - waiting 10 seconds");
            *retry_ms = retry_exec_ms;
        }
        return 0;
    }
    if (p[0] >= 0) {
        sv::set_nonblock(p[0], true);
        notify_rd = p[0];
    }
    return pid;
}

pid_t spawn_finish(int wstat) noexcept
{
    if (access("finish", F_OK) < 0) return 0;
    sv::dec a1(WIFSIGNALED(wstat) ? 256 : WEXITSTATUS(wstat));
    sv::dec a2(WIFSIGNALED(wstat) ? WTERMSIG(wstat) : 0);
    char s1[24], s2[24];
    std::memcpy(s1, static_cast<std::string_view>(a1).data(), a1.len);
    s1[a1.len] = 0;
    std::memcpy(s2, static_cast<std::string_view>(a2).data(), a2.len);
    s2[a2.len] = 0;
    char arg0[] = "finish";
    char *argv[] = {arg0, s1, s2, const_cast<char *>(service_dir), nullptr};
    pid_t pid = sv::spawn("./finish", argv, {.new_session = true});
    if (!pid && (errno == EAGAIN || errno == ENOMEM)) sv::warn_sys("unable to fork finish");
    return pid;
}

void close_notification() noexcept
{
    if (notify_rd >= 0) ::close(notify_rd);
    notify_rd = -1;
}

void record_death(sv::tain when, int wstat) noexcept
{
    std::uint32_t max = sv::svdefault::max_death_tally;
    read_number("max-death-tally", max);
    if (max > sv::svdefault::max_death_tally_cap) max = sv::svdefault::max_death_tally_cap;
    if (!max) return;
    if (!sv::death_tally_append(".", sv::death_record_from_wstat(when, wstat), max,
                                dtally_scratch))
        sv::warn_sys("unable to write supervise/death_tally"); // stock's words
}

int down_signal() noexcept
{
    int sig = SIGTERM;
    switch (sv::read_signal_file("down-signal", sig)) {
    case sv::file_read::invalid: sv::warn("invalid down-signal"); return SIGTERM;
    case sv::file_read::error: sv::warn_sys("unable to open down-signal"); return SIGTERM;
    default: return sig;
    }
}

std::uint32_t timeout_kill_ms() noexcept
{
    std::uint32_t v = sv::svdefault::timeout_kill_ms;
    read_number("timeout-kill", v);
    return v;
}

std::uint32_t timeout_finish_ms() noexcept
{
    std::uint32_t v = sv::svdefault::timeout_finish_ms;
    read_number("timeout-finish", v);
    return v;
}

void create_down_file() noexcept
{
    int fd = ::open("down", O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0)
        sv::warn_sys("unable to create ./down file");
    else
        ::close(fd);
}

void remove_down_file() noexcept
{
    if (::unlink("down") < 0 && errno != ENOENT) sv::warn_sys("unable to unlink ./down file");
}

void reopen_stdio_devnull() noexcept
{
    // s6's warnings, the second only if the first open worked, as stock says them.
    if (!sv::reopen_devnull(0)) {
        sv::warn_sys("unable to open /dev/null for ", "reading");
        sv::reopen_devnull(1);
    } else if (!sv::reopen_devnull(1)) {
        sv::warn_sys("unable to open /dev/null for ", "writing");
    }
}

void quit() noexcept
{
    notify("x");
    _exit(0);
}

} // namespace svd::sys

namespace {

// The service's readiness pipe is readable: a newline means ready; EOF or an error closes it.
void read_notification() noexcept
{
    char buf[512];
    ssize_t got = ::read(notify_rd, buf, sizeof buf);
    if (got > 0 && std::memchr(buf, '\n', static_cast<std::size_t>(got))) {
        svd::sys::close_notification();
        svd::on_ready(sup);
    } else if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
        svd::sys::close_notification();
    }
}

// Every pending signal, as events: deaths of run or finish (every child reaped), and the
// four signals s6-supervise acts on.
void read_signals(int sfd) noexcept
{
    int sig;
    while ((sig = sv::signal_next(sfd)) > 0) {
        switch (sig) {
        case SIGCHLD:
            for (;;) {
                int wstat;
                pid_t pid = waitpid(-1, &wstat, WNOHANG);
                if (pid <= 0) break;
                if (static_cast<std::uint64_t>(pid) == sup.status.pid &&
                    sup.st != svd::state::down) {
                    sup.wstat = wstat;
                    svd::dispatch(sup, svd::ev_died);
                }
            }
            break;
        case SIGTERM: svd::dispatch(sup, svd::ev_term); break;
        case SIGHUP: svd::dispatch(sup, svd::ev_hup); break;
        case SIGQUIT: svd::dispatch(sup, svd::ev_quit); break;
        case SIGINT: svd::dispatch(sup, svd::ev_int); break;
        default: break;
        }
    }
}

// Every byte waiting on supervise/control, one command letter each; others are ignored.
void read_control(int ctl) noexcept
{
    char buf[64];
    ssize_t got;
    while ((got = ::read(ctl, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < got; i++) {
            int ev = svd::event_of_letter(static_cast<unsigned char>(buf[i]));
            if (ev >= 0) svd::dispatch(sup, ev);
        }
    }
    if (got < 0 && errno != EAGAIN && errno != EINTR)
        sv::die_sys(sv::exitcode::system, "unable to read supervise/control");
}

} // namespace

// s6-svscan also calls this, in a forked child, instead of exec'ing this executable: the
// process then has s6-svscan's memory, but nothing here relies on a fresh one.
int supervise_main(int argc, char **argv)
{
    sv::prog = "s6-supervise";
    if (argc < 2) sv::die_usage("s6-supervise dir");
    service_dir = argv[1];
    sv::ensure_std_fds();
    // The service gets fds 0-2 and its notification fd, nothing else: fds we inherited stay
    // open for us but are not passed on.  (Stock 2.11 passes them on.)
    sv::cloexec_from(3);
    if (chdir(service_dir) < 0)
        sv::die_sys(sv::exitcode::system, "unable to chdir to ", service_dir);
    // In this never-returning frame, not in .bss: only the bytes written cost a page.
    char prog_buf[PATH_MAX + 32];
    {
        std::size_t len = std::strlen(service_dir);
        if (len > PATH_MAX) len = PATH_MAX;
        std::memcpy(prog_buf, "s6-supervise ", 13);
        std::memcpy(prog_buf + 13, service_dir, len);
        sv::prog = {prog_buf, 13 + len};
    }

    // The control files are created with umask 0, so their modes are exactly s6's.
    mode_t const old_umask = umask(0);
    if (!svd::make_ctl_dir("event", true))
        sv::die(sv::exitcode::usage, "event exists and is not a directory");
    if (!svd::make_ctl_dir("supervise", false))
        sv::die(sv::exitcode::usage, "supervise exists and is not a directory");
    // The lock fd and both ends of the control FIFO live as long as the process: they are
    // released on purpose and never closed.
    int const lck = sv::lock_open("supervise/lock");
    if (lck < 0) sv::die_sys(sv::exitcode::system, "unable to open supervise/lock");
    if (sv::lock_fd(lck, true, false) < 0) {
        if (errno == EWOULDBLOCK)
            sv::die(sv::exitcode::usage, "another instance of s6-supervise is already running");
        sv::die_sys(sv::exitcode::system, "unable to lock supervise/lock");
    }
    sv::unique_fd ctl_rd, ctl_wr;
    sv::control_listen_or_die("supervise/control", ctl_rd, ctl_wr);
    umask(old_umask);
    int const ctl = ctl_rd.release();
    ctl_wr.release();

    // Signals: the ones we act on are read through a signalfd; SIGPIPE is absorbed (not
    // ignored, so children still start with the default disposition).
    int const sfd = sv::signal_trap_or_die({SIGCHLD, SIGTERM, SIGHUP, SIGQUIT, SIGINT});
    if (!sv::signal_absorb(SIGPIPE)) sv::die_sys(sv::exitcode::system, "unable to ignore SIGPIPE");

    {
        // As stock, a supervisor that cannot even make its death tally (a full disk) gives up
        // before starting anything; s6-svscan tries again a second later.
        int fd = ::open("supervise/death_tally", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (fd < 0) sv::die_sys(sv::exitcode::system, "unable to truncate supervise/death_tally");
        ::close(fd);
    }

    svd::start(sup, access("down", F_OK) < 0);
    // Its set-up's code and constants leave its page tables: an idle supervisor keeps
    // mapped only what its loop has run since.
    sv::drop_startup_code();

    for (;;) {
        pollfd p[3] = {{sfd, POLLIN, 0}, {ctl, POLLIN, 0}, {notify_rd, POLLIN, 0}};
        int const n = notify_rd >= 0 ? 3 : 2;
        int r = poll(p, static_cast<nfds_t>(n), sv::poll_timeout(sup.timer, sv::mono_ms()));
        if (r < 0 && errno != EINTR) sv::die_sys(sv::exitcode::system, "unable to poll");

        // Readiness before deaths, so a run that prints its newline and exits is seen ready.
        if (n == 3 && (p[2].revents & (POLLIN | POLLHUP | POLLERR))) read_notification();
        if (p[0].revents & POLLIN) read_signals(sfd);
        if (p[1].revents & POLLIN) read_control(ctl);
        if (sup.timer >= 0 && sv::mono_ms() >= sup.timer) svd::dispatch(sup, svd::ev_timeout);
    }
}
