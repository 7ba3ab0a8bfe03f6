#include <supervise/svwait.hh>

#include <cerrno>

#include <supervise/diag.hh>
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

void wait_goal_run(svlisten &l, std::span<char const *const> dirs, wait_goal g, bool any,
                   wait_style style, std::int64_t deadline_ms) noexcept
{
    if (g.restart) {
        // One deadline covers both phases.  s6-svwait waits for every service to be down
        // (ignoring -o and readiness); s6-svlisten1 for its service to be down and ready.
        wait_target first = style == wait_style::svwait ? wait_target{false, false, false}
                                                        : wait_target{false, true, true};
        if (int e = phase(l, first, deadline_ms)) report(l, dirs, e, style);
    }
    if (style == wait_style::svlisten1) any = true;
    if (int e = phase(l, {g.up, g.ready, any}, deadline_ms)) report(l, dirs, e, style);
}

} // namespace sv
