// s6-log's loop, as in s6 2.11.3.2: each time round, every logdir whose retry deadline has
// passed goes on with its rotation and writes its queue, stdout is written without blocking,
// then poll waits for a signal, for stdout to take more, for stdin (unless -b holds it back
// while anything is pending) or for the next deadline.  s6-log does not exit while anything
// is left to write: after the end of stdin it goes round until every queue is empty and
// every rotation done, then finalizes each logdir, retrying every r ms.
//
// Lines are run straight from the stdin buffer.  A line that does not fit in some output
// queue waits there (stalled_), and stdin is no longer read once the buffer is full of such
// lines: memory stays what setup() reserved.  (s6 grows its buffers instead.)
#include "loop.hh"

#include <cerrno>
#include <csignal>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/sigtrap.hh>
#include <supervise/tai64n.hh>

namespace s6log {

void logger::setup(settings const &set, sv::logscript::script const &sc,
                   std::span<logdir> lds) noexcept
{
    set_ = set;
    lds_ = lds;
    if (!in_.init(set.linelimit) || !acts_.init(sc, lds, set.linelimit))
        sv::die_sys(111, "unable to allocate memory");
    sigfd_ = sv::signal_trap_or_die({SIGTERM, SIGHUP, SIGALRM, SIGCHLD});
    // A closed stdout then gives EPIPE instead of killing us, and processors, exec'd, get
    // SIGPIPE's default back.
    if (!sv::signal_absorb(SIGPIPE)) sv::die_sys(111, "unable to sig_ignore(SIGPIPE)");
}

// Runs the buffered lines while the outputs have room.  True if any line ran.
bool logger::process() noexcept
{
    bool ran = false;
    char *line;
    std::size_t len, safe = 0;
    stalled_ = false;
    while (in_.next(line, len)) {
        // The exact test only when the queues are nearly full.
        if (!safe) {
            safe = acts_.safe_lines();
            if (!safe && !acts_.fits(len)) {
                stalled_ = true;
                break;
            }
        }
        if (safe) safe--;
        acts_.run_line(line, len);
        in_.pop();
        ran = true;
    }
    // After TERM/HUP, once the lines read before it are done: nothing was in progress, so
    // stop reading now.
    if (draining_ && !in_.pending() && !in_.ended()) close_stdin();
    return ran;
}

void logger::close_stdin() noexcept
{
    close(0);
    in_.end();
}

bool logger::want_stdin(bool busy) const noexcept
{
    if (in_.ended() || (set_.block && busy)) return false;
    // Draining: only the line in progress, once the complete ones before it have run.
    return draining_ ? !in_.lines_pending() : in_.can_fill();
}

void logger::read_stdin() noexcept
{
    auto r = draining_ ? in_.fill_last(0) : in_.fill(0);
    if (in_.ended()) close_stdin();
    if (r == input::got::data || in_.ended()) process();
}

void logger::handle_signals() noexcept
{
    while (int sig = sv::signal_next(sigfd_)) {
        if (sig < 0) sv::die_sys(111, "unable to selfpipe_read");
        switch (sig) {
        case SIGALRM:
            for (auto &ld : lds_)
                if (ld.state == rot::writable && ld.b) rotation_start(ld);
            break;
        case SIGTERM:
            if (set_.protect) break;
            [[fallthrough]];
        case SIGHUP:
            if (in_.ended()) break;
            draining_ = true;
            if (!in_.pending()) close_stdin();
            break;
        case SIGCHLD:
            for (;;) {
                int wstat;
                pid_t pid = waitpid(-1, &wstat, WNOHANG);
                if (pid <= 0) break;
                for (auto &ld : lds_)
                    if (ld.pid == pid) processor_died(ld, wstat);
            }
            break;
        }
    }
}

// Writes what can be written now; true if anything is still pending.  wake gets the earliest
// retry deadline.
bool logger::flush_outputs(std::int64_t now, std::int64_t &wake) noexcept
{
    bool busy = false;
    wake = never;
    for (auto &ld : lds_) {
        if (ld.busy() && ld.deadline <= now) rotate_or_flush(ld);
        if (!ld.busy()) continue;
        busy = true;
        if (ld.deadline < wake) wake = ld.deadline;
    }
    if (acts_.stdout_pending()) {
        acts_.flush_stdout();
        if (acts_.stdout_pending()) busy = true;
    }
    return busy;
}

void logger::loop() noexcept
{
    for (;;) {
        std::int64_t now = sv::mono_ms(), wake;
        bool busy = flush_outputs(now, wake);
        // Room may have come free for the lines waiting: run them, then write them.
        if (stalled_ && process()) continue;
        if (in_.ended() && !in_.pending() && !busy) return;
        pollfd x[3];
        nfds_t n = 0;
        x[n++] = {sigfd_, POLLIN, 0};
        int i1 = -1, i0 = -1;
        if (acts_.stdout_pending()) {
            i1 = static_cast<int>(n);
            x[n++] = {1, POLLOUT, 0};
        }
        if (want_stdin(busy)) {
            i0 = static_cast<int>(n);
            x[n++] = {0, POLLIN, 0};
        }
        int r = poll(x, n, wake == never ? -1 : sv::poll_timeout(wake, now));
        if (r < 0) {
            if (errno == EINTR) continue;
            sv::die_sys(111, "unable to iopause");
        }
        if (x[0].revents & POLLIN) handle_signals();
        if (i1 >= 0 && x[i1].revents) acts_.flush_stdout();
        if (i0 >= 0 && x[i0].revents && !in_.ended()) {
            if (x[i0].revents & (POLLIN | POLLHUP))
                read_stdin();
            else {
                close_stdin(); // POLLERR or POLLNVAL alone: the partial line is the last
                process();
            }
        }
    }
}

// Finalizes every logdir (fsync, u+x on current), retrying every r ms until all are done.
void logger::finalize_all() noexcept
{
    for (;;) {
        bool done = true;
        std::int64_t now = sv::mono_ms(), wake = now + 2000;
        for (auto &ld : lds_) {
            if (ld.state == rot::end) continue;
            if (ld.deadline <= now && finalize(ld)) continue;
            done = false;
            if (ld.deadline < wake) wake = ld.deadline;
        }
        if (done) return;
        poll(nullptr, 0, sv::poll_timeout(wake, now));
    }
}

void logger::run() noexcept
{
    loop();
    finalize_all();
}

} // namespace s6log
