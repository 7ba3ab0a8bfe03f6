// The user-facing side of waiting for services, shared by s6-svwait, s6-svlisten,
// s6-svlisten1 and the in-process -w mode of s6-svc: the goal letters, the two-phase -r/-R
// wait, starting the program the s6-svlisten pair runs, and s6 2.11's messages and exit codes.
// The event plumbing itself is sv::svlisten.
//
// Messages and exit codes (s6 2.11.3.2, checked against the stock binaries):
//   subscribing fails        "unable to subscribe to events for DIR: ERR"          111
//   reading the status fails "unable to s6_svstatus_read: ERR"                      111
//   deadline passes          "timed out"                                           99
//   s6-svwait, s6-svlisten   "some services reported permanent failure or their
//   failures                  supervisor died"                             exit = failure count
//   s6-svlisten1 failure     "DIR failed permanently or its supervisor died"        1
#pragma once

#include <cstdint>
#include <span>

#include <supervise/svlisten.hh>

namespace sv {

// What -u -U -d -D -r -R ask for.
struct wait_goal
{
    bool up = true;       // -u -U -r -R
    bool ready = false;   // -U -D -R
    bool restart = false; // -r -R: first wait for the service to go down
};

// Sets g from one of the letters u U d D r R; false for any other character.
bool wait_goal_scan(char c, wait_goal &g) noexcept;

// Which tool's semantics and wording to follow.
enum class wait_style {
    svwait,    // -r first waits for every service to be down (readiness ignored)
    svlisten1, // -r first waits for the service to be down and ready (finish over)
    svlisten,  // -r first waits for every service to be down and ready; failures as svwait
};

// An absolute monotonic deadline for a timeout in ms (0 = none, giving -1).
std::int64_t wait_deadline(unsigned timeout_ms) noexcept;

// Subscribes to every DIR/event, then reads every status (svlisten::init); on failure prints
// s6's message and exits 111.
void wait_init_or_die(svlisten &l, std::span<char const *const> dirs) noexcept;

// Starts argv (NULL-terminated: PATH search, our environment, an empty signal mask) as a
// child nobody waits for: from now on SIGCHLD reaps every child as it dies, and the wait
// simply goes on when the signal interrupts it.  On failure unsubscribes l and exits 111
// ("unable to spawn NAME: ERR"), as s6-svlisten and s6-svlisten1 do.
void wait_spawn_or_die(svlisten &l, char const *const *argv) noexcept;

// Waits for the goal (any: one service is enough, -o) and returns once it is reached cleanly.
// Otherwise exits as the tool named by style would: with the failure count (svwait,
// svlisten) or 1 (svlisten1) after the failure message, 99 on timeout, 111 on a system error.
void wait_goal_run(svlisten &l, std::span<char const *const> dirs, wait_goal g, bool any,
                   wait_style style, std::int64_t deadline_ms) noexcept;

} // namespace sv
