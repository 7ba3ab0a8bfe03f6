// s6-supervise's state machine: the states, the events, and the seam through which the
// actions touch the system.  state.cc holds the state x event table and is pure logic; main.cc
// implements the seam (sys::) with real system calls, and unit tests can replace it.
#pragma once

#include <cstdint>
#include <string_view>
#include <sys/types.h>

#include <supervise/status.hh>

namespace svd {

// The five states of s6-supervise 2.11 (reference: supervise-protocol.md §8.1).
enum class state : std::uint8_t {
    down,       // no run, no finish
    up,         // run is alive
    finish,     // finish is alive
    lastup,     // up, and exit once the service has gone down and finish has ended
    lastfinish, // finish alive, exit when it ends
};
inline constexpr int n_states = 5;

// Events: the timer, the death of our child, the four signals s6-supervise acts on, then the 21
// control letters in the order of sv::supervise_letters ("abqhkti12pcyroduDUxOQ").
enum event : std::uint8_t {
    ev_timeout,
    ev_died,
    ev_term,
    ev_hup,
    ev_quit,
    ev_int,
    ev_letter0, // first control letter
};
inline constexpr int n_events = ev_letter0 + 21;

// The event for a control byte, or -1 for a byte that is not a command (ignored).
int event_of_letter(unsigned char c) noexcept;

// Everything the supervisor knows.  One static instance lives in main.cc: no heap.
struct supervisor {
    state st = state::down;
    sv::status status;
    std::int64_t timer = -1;    // absolute monotonic deadline of the state's timer, -1 = none
    std::int64_t ready_at = -1; // monotonic time the current/last run became ready, -1 = never
    int wstat = 0;              // wait status of the child that just died (for ev_died)
};

// What dispatch() needs from the system.  Real implementations are in main.cc.
namespace sys {
std::int64_t now_ms() noexcept;
sv::tain now_tain() noexcept;
void write_status(sv::status const &s) noexcept;
void notify(std::string_view events) noexcept;
void send_signal(pid_t pid, int sig) noexcept;
void send_signal_group(pid_t pid, int sig) noexcept; // to the process group of pid
// Starts ./run.  Returns its pid, or 0 if the start failed; then *retry_ms says when to try
// again (10 s after an exec failure, 60 s after a fork/pipe failure).
pid_t spawn_run(std::int64_t *retry_ms) noexcept;
// Starts ./finish with its arguments for the death wstat.  Returns its pid, or 0 if it could
// not be started (normal when there is no finish file).
pid_t spawn_finish(int wstat) noexcept;
void close_notification() noexcept;
void record_death(sv::tain when, int wstat) noexcept;
int down_signal() noexcept;              // re-read from ./down-signal, default SIGTERM
std::uint32_t timeout_kill_ms() noexcept;   // ./timeout-kill, 0 = none
std::uint32_t timeout_finish_ms() noexcept; // ./timeout-finish, default 5000, 0 = none
void create_down_file() noexcept;
void remove_down_file() noexcept;
void reopen_stdio_devnull() noexcept;
[[noreturn]] void quit() noexcept; // sends 'x' to listeners and exits 0
} // namespace sys

// Feeds one event to the state machine.
void dispatch(supervisor &s, int ev) noexcept;

// Called when the readiness pipe delivers a newline.
void on_ready(supervisor &s) noexcept;

// Called once at start-up after the supervise/ directory is ready.
void start(supervisor &s, bool want_up) noexcept;

} // namespace svd
