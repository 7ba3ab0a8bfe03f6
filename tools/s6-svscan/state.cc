// s6-svscan's reaper, scanner and kill pass, what the control letters and signals ask of
// them, and the finish phase, as in s6 2.11.3.2's s6-svscan.c.
#include "state.hh"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/dirent.hh>
#include <supervise/fd.hh>

namespace svs {

namespace {

constexpr std::int64_t restart_delay_ms = 1000; // a dead supervisor of an active entry
constexpr std::int64_t dir_retry_ms = 3000;     // stat, readdir or pipe error
constexpr std::int64_t fork_retry_ms = 4000;    // no process could be created

constexpr std::string_view special_name = "s6-svscan-log";

// getdents64 into a static buffer: opendir would malloc, and the daemon allocates nothing
// after start-up.  Whole pages, so a forked supervisor can let all of it go (scan_buffer).
alignas(4096) char dents[16384];

void retry_dir_later(scanner &s) noexcept
{
    lower_deadline(s, sys::now_ms() + dir_retry_ms);
}

void close_pipe(service &e) noexcept
{
    ::close(e.p[1]);
    ::close(e.p[0]);
    e.p[0] = e.p[1] = pipe_closed;
}

void drop(scanner &s, unsigned i) noexcept
{
    s.tab[i] = s.tab[--s.n];
}

// Bookkeeping for one dead child; children that are not our supervisors (orphans, signal
// scripts) need nothing more than the wait.
void on_death(scanner &s, pid_t pid, std::int64_t restart_at) noexcept
{
    unsigned i = 0;
    for (; i < s.n; i++) {
        service &e = s.tab[i];
        int side = e.pid[0] == pid ? 0 : e.pid[1] == pid ? 1 : -1;
        if (side < 0) continue;
        e.pid[side] = 0;
        e.restart_after[side] = restart_at;
        break;
    }
    if (i == s.n) return;
    service &e = s.tab[i];
    if (e.active) {
        lower_deadline(s, restart_at);
        return;
    }
    // An inactive logged entry loses its pipe as soon as either side dies: the logger then
    // reads EOF once the last writer is gone, or the writer gets EPIPE.  The entry can never
    // be reused after that (see pipe_closed_refound).
    if (e.logged) {
        if (e.p[0] >= 0)
            close_pipe(e);
        else if (e.p[0] == pipe_closed_refound)
            s.want_scan = true;
    }
    if (!e.pid[0] && (!e.logged || !e.pid[1])) drop(s, i);
}

void try_start(scanner &s, service &e, char const *name, int side) noexcept
{
    int fd = -1, target = -1;
    if (e.logged) {
        // The service writes into the pipe, the logger reads from it.  Nothing else is
        // redirected: the service's stderr stays ours.
        fd = side ? e.p[0] : e.p[1];
        target = side ? 0 : 1;
    }
    pid_t pid = sys::spawn_supervise(name, fd, target, e.special);
    if (pid > 0) {
        e.pid[side] = pid;
        return;
    }
    // s6 2.11 only records the retry time after a failed fork, so without -t the retry waits
    // for some other scan; we also move the deadline, so it happens on time.
    std::int64_t now = sys::now_ms();
    if (pid == 0) {
        sv::warn_sys("unable to fork for ", name);
        e.restart_after[side] = now + fork_retry_ms;
    } else {
        // s6's forked child would have died at once and been restarted a second later.
        e.restart_after[side] = now + restart_delay_ms;
    }
    lower_deadline(s, e.restart_after[side]);
}

// Starts one side if it is not running and its restart time has come.
void maybe_start(scanner &s, service &e, char const *name, int side) noexcept
{
    if (e.pid[side]) return;
    if (e.restart_after[side] <= sys::now_ms())
        try_start(s, e, name, side);
    else
        lower_deadline(s, e.restart_after[side]);
}

// One directory entry of the scan directory.
void check(scanner &s, char const *name) noexcept
{
    if (name[0] == '.') return;
    struct stat st;
    if (::stat(name, &st) < 0) {
        sv::warn_sys("unable to stat ", name);
        retry_dir_later(s);
        return;
    }
    if (!S_ISDIR(st.st_mode)) return;
    sv::path_buf logname(name, "/log");
    if (!logname.ok()) {
        errno = ENAMETOOLONG;
        sv::warn_sys("unable to stat ", name, "/log");
        return;
    }

    unsigned i = 0;
    while (i < s.n && !(s.tab[i].ino == st.st_ino && s.tab[i].dev == st.st_dev))
        i++;
    if (i < s.n) {
        service &e = s.tab[i];
        if (e.logged && e.p[0] < 0) {
            // Still being dismantled: leave it alone, the reaper will ask for a new scan.
            e.p[0] = pipe_closed_refound;
            return;
        }
    } else {
        if (s.n >= s.max) {
            sv::warn("unable to start supervisor for ", name, ": too many services");
            return;
        }
        service &e = s.tab[i];
        e.special = std::string_view(name) == special_name;
        e.logged = false;
        if (!e.special) {
            // Whether a service is logged is decided here, once, for the entry's lifetime.
            struct stat lst;
            if (::stat(logname.c_str(), &lst) < 0) {
                if (errno != ENOENT) {
                    sv::warn_sys("unable to stat ", logname.view());
                    retry_dir_later(s);
                    return;
                }
            } else if (S_ISDIR(lst.st_mode)) {
                if (::pipe2(e.p, O_CLOEXEC) < 0) {
                    sv::warn_sys("unable to pipecoe");
                    retry_dir_later(s);
                    return;
                }
                e.logged = true;
            }
        }
        if (!e.logged) e.p[0] = e.p[1] = pipe_closed;
        e.dev = st.st_dev;
        e.ino = st.st_ino;
        e.restart_after[0] = e.restart_after[1] = sys::now_ms();
        e.pid[0] = e.pid[1] = 0;
        s.n++;
    }

    service &e = s.tab[i];
    e.active = true;
    // The logger first, so it is there to read when the service starts writing.
    if (e.logged) maybe_start(s, e, logname.c_str(), 1);
    maybe_start(s, e, name, 0);
}

} // namespace

void lower_deadline(scanner &s, std::int64_t t) noexcept
{
    if (s.deadline < 0 || t < s.deadline) s.deadline = t;
}

void on_abort(scanner &s) noexcept
{
    s.cont = false;
    s.wait_all = false;
}

void on_hup(scanner &s) noexcept
{
    s.want_kill = kill_term;
    s.want_scan = true;
}

void on_term(scanner &s) noexcept
{
    s.cont = false;
    s.wait_all = true;
    s.want_kill = kill_active | kill_term;
}

void on_quit(scanner &s) noexcept
{
    s.cont = false;
    s.wait_all = true;
    s.want_kill = kill_active | kill_term | kill_logterm;
}

bool on_control(scanner &s, char c) noexcept
{
    // 2.11 cut the command set down to these letters; a later n/N/h/t/q replaces the kill
    // request of an earlier one instead of adding to it.
    switch (c) {
    case 'z':
        s.want_reap = true;
        return true;
    case 'a':
        s.want_scan = true;
        return true;
    case 'b':
        on_abort(s);
        return true;
    case 'h':
        on_hup(s);
        return true;
    case 'i':
    case 't':
        on_term(s);
        return true;
    case 'q':
        on_quit(s);
        return true;
    case 'n':
        s.want_kill = kill_term;
        return true;
    case 'N':
        s.want_kill = kill_term | kill_logterm;
        return true;
    default:
        return false;
    }
}

void on_signal(scanner &s, int sig) noexcept
{
    switch (sig) {
    case SIGCHLD:
        s.want_reap = true;
        return;
    case SIGALRM:
        s.want_scan = true;
        return;
    case SIGABRT:
        on_abort(s);
        return;
    default:
        break;
    }
    // 2.11 always diverts the other trapped signals: a script that could be spawned replaces
    // the default action entirely, and is not waited for.
    if (sys::spawn_signal_script(sig)) return;
    switch (sig) {
    case SIGHUP:
        on_hup(s);
        break;
    case SIGINT:
    case SIGTERM:
        on_term(s);
        break;
    case SIGQUIT:
        on_quit(s);
        break;
    default:
        break; // USR1, USR2, PWR, WINCH: nothing
    }
}

void reap(scanner &s) noexcept
{
    if (!s.want_reap) return;
    s.want_reap = false;
    std::int64_t const restart_at = sys::now_ms() + restart_delay_ms;
    for (;;) {
        int wstat;
        pid_t pid = sys::wait_child(&wstat, false);
        if (pid < 0) {
            if (errno == EINTR) continue;
            if (errno != ECHILD) sys::panic("wait_nohang");
            break;
        }
        if (!pid) break;
        on_death(s, pid, restart_at);
    }
}

std::span<char const> scan_buffer() noexcept
{
    return dents;
}

void scan(scanner &s) noexcept
{
    if (!s.want_scan) return;
    s.want_scan = false;
    s.deadline = s.rescan_ms ? sys::now_ms() + s.rescan_ms : -1;
    sv::unique_fd dir(::open(".", O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_CLOEXEC));
    if (!dir) {
        sv::warn_sys("unable to opendir .");
        retry_dir_later(s);
        return;
    }
    for (unsigned i = 0; i < s.n; i++)
        s.tab[i].active = false;
    auto const each = [&](char const *name) { return check(s, name), true; };
    if (sv::each_dirent(dir.get(), dents, each) < 0) {
        sv::warn_sys("unable to readdir .");
        retry_dir_later(s);
    }
    dir.reset();
    // Entries that disappeared are dropped once nothing of theirs runs any more.  A scan
    // never signals anything: pruning running supervisors takes n, N, h or SIGHUP.
    for (unsigned i = 0; i < s.n;) {
        service &e = s.tab[i];
        if (e.active || e.pid[0] || (e.logged && e.pid[1])) {
            i++;
            continue;
        }
        if (e.logged && e.p[0] >= 0) close_pipe(e);
        drop(s, i);
    }
}

void kill_pass(scanner &s) noexcept
{
    unsigned const k = s.want_kill;
    if (!k) return;
    s.want_kill = 0;
    int const svc_sig = k & kill_term ? SIGTERM : SIGHUP;
    int const log_sig = k & kill_logterm ? SIGTERM : SIGHUP;
    for (unsigned i = 0; i < s.n; i++) {
        service const &e = s.tab[i];
        if (!(k & kill_active) && e.active) continue;
        // The catch-all logger is treated as a logger: on t it is told to exit once its
        // service dies by itself, which happens when every writer of its FIFO is gone.
        if (e.pid[0]) sys::send_signal(e.pid[0], e.special ? log_sig : svc_sig);
        if (e.logged && e.pid[1]) sys::send_signal(e.pid[1], log_sig);
    }
}

void run_pending(scanner &s) noexcept
{
    reap(s);
    scan(s);
    kill_pass(s);
}

void close_pipes(scanner &s) noexcept
{
    bool special = false;
    for (unsigned i = 0; i < s.n; i++) {
        service &e = s.tab[i];
        if (e.logged && e.p[0] >= 0) close_pipe(e);
        special |= e.special;
    }
    // Our stdout normally feeds the catch-all logger's FIFO: let go of it so that the
    // logger can see EOF.
    if (special) sys::release_stdout();
}

void wait_all(scanner &s) noexcept
{
    auto left = [&s] {
        for (unsigned i = 0; i < s.n; i++)
            if (s.tab[i].pid[0] || (s.tab[i].logged && s.tab[i].pid[1])) return true;
        return false;
    };
    while (left()) {
        int wstat;
        pid_t pid = sys::wait_child(&wstat, true);
        if (pid < 0) {
            if (errno == EINTR) continue;
            sv::warn_sys("unable to wait for all s6-supervise processes");
            return;
        }
        for (unsigned i = 0; i < s.n; i++)
            for (pid_t &p : s.tab[i].pid)
                if (p == pid) p = 0;
    }
}

void finish(scanner &s) noexcept
{
    kill_pass(s);
    close_pipes(s);
    sys::restore_console();
    if (s.wait_all) {
        wait_all(s);
    } else {
        s.want_reap = true;
        reap(s);
    }
}

} // namespace svs
