// Stage 3 of /init (see main.cc for the overview), in this order:
//   1. an s6-svscan that exited during stage 2 is said (and, if it died, code 111 recorded)
//   2. cont-finish.d, each script killed after S6_KILL_FINISH_MAXTIME (for a v3 image: the
//      service graph down in reverse dependency order, cont-finish.d as part of it, within
//      S6_KILL_GRACETIME)
//   3. the services down: s6-svscan told to exit (SIGTERM if it does not listen), waited for
//      at most S6_SERVICES_GRACETIME
//   4. sync (S6_SYNC_DISKS)
//   5. back to the console; the catch-all logger left to drain
//   6. TERM and CONT to everything; KILL to what is left after S6_KILL_GRACETIME
//   7. sync (S6_SYNC_DISKS), and the exit code from the exit-code file
// Decisions only: the system is behind the seam (sys.hh).
#include "stages.hh"
#include "sys.hh"

#include <algorithm>
#include <csignal>
#include <sys/wait.h>

#include <supervise/diag.hh>
#include <supervise/status.hh>

namespace init {
namespace {

// Step 1: s6-svscan's exit in stage 2, which was a stop request.
void svscan_lost(context &c) noexcept
{
    int const ws = c.ev.svscan_lost;
    // Already reaped: forget it, lest its pid, reused by now, get our signals.
    c.svscan = 0;
    bool const killed = WIFSIGNALED(ws);
    int const n = killed ? WTERMSIG(ws) : WEXITSTATUS(ws);
    if (!killed && n == 0) {
        say(c, "[s6-init] s6-svscan exited: stopping");
    } else {
        complain("[s6-init] s6-svscan died (", killed ? "signal " : "exit code ", sv::dec(n),
                 "): stopping, exit code 111");
        write_exitcode(c, sv::exitcode::system);
    }
}

// Step 3: the supervision tree down.
void services_down(context &c, unsigned grace) noexcept
{
    say(c, "[s6-finish] waiting for services.");
    if (!sys::svscanctl(c, 't')) sys::signal(c.svscan, SIGTERM);
    int ws;
    if (sys::wait_for(c, c.svscan, ws, sys::now_ms() + grace, false) == wake::timeout)
        say(c, "[s6-finish] services still running after ", sv::dec(grace), " ms");
}

// Step 6: everything else.
void kill_all(context &c, unsigned grace) noexcept
{
    say(c, "[s6-finish] sending all processes the TERM signal.");
    sys::broadcast(SIGTERM);
    sys::broadcast(SIGCONT);
    if (sys::reap_until_empty(c, sys::now_ms() + grace)) return;
    say(c, "[s6-finish] sending all processes the KILL signal.");
    sys::broadcast(SIGKILL);
    if (!sys::reap_until_empty(c, sys::now_ms() + 5000))
        warning(c, "some processes could not be reaped");
}

} // namespace

void run_finish_scripts(context &c) noexcept
{
    unsigned const finish_max = num_setting(c, "S6_KILL_FINISH_MAXTIME", 5000);
    std::string const finish_dir = c.cfg.etc("cont-finish.d");
    for (auto const &n : sys::sorted_entries(finish_dir))
        run_script(c, "cont-finish.d", finish_dir, n, finish_max, false);
}

void legacy_services_down(context &c) noexcept
{
    // v3's services-down: each copied services.d service told to go down, and waited for
    // (finish scripts included) at most S6_SERVICES_GRACETIME.
    unsigned const grace = num_setting(c, "S6_SERVICES_GRACETIME", 3000);
    for (auto const &n : c.services) sys::service_control(c.cfg.scan_dir() + "/" + n, "d");
    std::int64_t const deadline = sys::now_ms() + grace;
    for (;;) {
        bool all_down = true;
        for (auto const &n : c.services) {
            sv::status st;
            if (sys::service_status(c.cfg.scan_dir() + "/" + n, st) && st.pid) all_down = false;
        }
        std::int64_t const now = sys::now_ms();
        if (all_down || now >= deadline) return;
        sys::wait_children(c, {}, std::min(deadline, now + 10), false);
    }
}

int stage3(context &c) noexcept
{
    unsigned const services_grace = num_setting(c, "S6_SERVICES_GRACETIME", 3000);
    unsigned const kill_grace = num_setting(c, "S6_KILL_GRACETIME", 3000);
    bool const sync_disks = num_setting(c, "S6_SYNC_DISKS", 0) != 0;

    c.ev.svscan_watch = 0; // its exit is expected from now on
    c.ev.wake_fd = -1;     // no more s6-rc requests: they would wait for the stop
    if (c.ev.svscan_lost >= 0) svscan_lost(c);

    // v3: cont-finish.d runs as legacy-cont-init goes down, in the graph's reverse order.
    if (c.rc.active) rc_stop(c, kill_grace);
    else run_finish_scripts(c);

    if (c.svscan > 0) services_down(c, services_grace);
    if (sync_disks) sys::sync_disks();

    // The catch-all logger ignores TERM and reads until every writer is gone, so it drains
    // whatever the processes below still write before they die.
    sys::release_logger(c);
    kill_all(c, kill_grace);
    if (sync_disks) sys::sync_disks();
    return read_exitcode(c);
}

} // namespace init
