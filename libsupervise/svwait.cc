#include <supervise/svwait.hh>

#include <cerrno>
#include <csignal>
#include <sys/wait.h>

#include <supervise/diag.hh>
#include <supervise/spawn.hh>
#include <supervise/tai64n.hh>

namespace sv {

namespace {

// One phase of the wait; dies like s6_svlisten_loop on timeout or error.
int phase(svlisten &l, wait_target t, std::int64_t deadline_ms) noexcept
{
    int e = l.wait(t, deadline_ms);
    if (e >= 0) return e;
    int const saved = errno;
    l.clear();
    errno = saved;
    if (e == -1) die(exitcode::timeout, "timed out");
    die_sys(exitcode::system, "unable to iopause");
}

[[noreturn]] void report(svlisten &l, std::span<char const *const> dirs, int failures,
                         wait_style style) noexcept
{
    l.clear();
    if (style == wait_style::svlisten1) {
        die(1, dirs[0], " failed permanently or its supervisor died");
    }
    // s6-svwait exits with the number of failures (the kernel keeps the low 8 bits).
    die(failures, "some services reported permanent failure or their supervisor died");
}

// Reaps every dead child; their statuses do not matter.  The wait loop sees EINTR and goes
// on.
void reap(int) noexcept
{
    int const saved = errno;
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    errno = saved;
}

} // namespace

bool wait_goal_scan(char c, wait_goal &g) noexcept
{
    switch (c) {
    case 'u':
        g = {true, false, false};
        return true;
    case 'U':
        g = {true, true, false};
        return true;
    case 'd':
        g = {false, false, false};
        return true;
    case 'D':
        g = {false, true, false};
        return true;
    case 'r':
        g = {true, false, true};
        return true;
    case 'R':
        g = {true, true, true};
        return true;
    default:
        return false;
    }
}

std::int64_t wait_deadline(unsigned timeout_ms) noexcept
{
    return timeout_ms ? mono_ms() + timeout_ms : -1;
}

void wait_init_or_die(svlisten &l, std::span<char const *const> dirs) noexcept
{
    if (l.init(dirs)) return;
    int const saved = errno;
    l.clear();
    errno = saved;
    if (l.failed_subscribe())
        die_sys(exitcode::system, "unable to subscribe to events for ", dirs[l.failed_index()]);
    // s6 names the library call here, not the service.
    die_sys(exitcode::system, "unable to s6_svstatus_read");
}

void wait_spawn_or_die(svlisten &l, char const *const *argv) noexcept
{
    struct sigaction sa {};
    sa.sa_handler = reap;
    sa.sa_flags = SA_NOCLDSTOP;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGCHLD, &sa, nullptr) < 0) {
        int const saved = errno;
        l.clear();
        errno = saved;
        die_sys(exitcode::system, "unable to trap SIGCHLD");
    }
    spawn_opts o;
    o.search_path = true;
    if (!spawn(argv[0], argv, o)) {
        int const saved = errno;
        l.clear();
        errno = saved;
        die_sys(exitcode::system, "unable to spawn ", argv[0]);
    }
}

void wait_goal_run(svlisten &l, std::span<char const *const> dirs, wait_goal g, bool any,
                   wait_style style, std::int64_t deadline_ms) noexcept
{
    if (g.restart) {
        // One deadline covers both phases.  s6-svwait waits for every service to be down
        // (ignoring -o and readiness); s6-svlisten1 for its service to be down and ready;
        // s6-svlisten for every service to be down and ready (it refuses -o with -r).
        wait_target first = style == wait_style::svwait      ? wait_target{false, false, false}
                            : style == wait_style::svlisten1 ? wait_target{false, true, true}
                                                             : wait_target{false, true, false};
        if (int e = phase(l, first, deadline_ms)) report(l, dirs, e, style);
    }
    if (style == wait_style::svlisten1) any = true;
    if (int e = phase(l, {g.up, g.ready, any}, deadline_ms)) report(l, dirs, e, style);
}

} // namespace sv
