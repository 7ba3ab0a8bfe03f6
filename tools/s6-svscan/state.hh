// s6-svscan's service table and the three actions of its main loop: reap, scan, kill.
//
// The table is reserved once at start-up from -c max and never grows.  An entry is one
// service directory, identified by the (st_dev, st_ino) of its target, never by its name, so
// a directory reached through two names is supervised once and a rename restarts nothing.
// Names are not stored: a supervisor is only ever (re)started by a scan, which has the name
// from readdir at hand.  This is s6 2.11's layout (struct svinfo_s in s6-svscan.c).
#pragma once

#include <cstdint>
#include <span>
#include <sys/types.h>

namespace svs {

// What the pipe fields hold besides an open fd (s6's "black magic"): an entry being
// dismantled has its pipe closed and must never be reused, because the pipe is gone; if a
// scan finds its directory again it is marked so that the reaper asks for a new scan once
// the last old supervisor has died, and the directory then gets a fresh entry.
inline constexpr int pipe_closed = -1;
inline constexpr int pipe_closed_refound = -2;

struct service
{
    dev_t dev;
    ino_t ino;
    std::int64_t restart_after[2]; // monotonic ms; [0] the service, [1] its logger
    pid_t pid[2];                  // s6-supervise pids, 0 = not running
    int p[2];                      // log pipe: [0] read end (logger's stdin), [1] write end
    bool active;                   // found by the last scan
    bool logged;                   // had a log/ directory when first seen
    bool special;                  // named s6-svscan-log: the catch-all logger (-X)
};

// wantkill bits (s6 2.11): which supervisors the kill pass signals, and with what.
inline constexpr unsigned kill_active = 1;  // active entries too, not only inactive ones
inline constexpr unsigned kill_term = 2;    // services get SIGTERM (else SIGHUP)
inline constexpr unsigned kill_logterm = 4; // loggers and s6-svscan-log get SIGTERM

struct scanner
{
    service *tab = nullptr;
    unsigned n = 0;
    unsigned max = 500;
    std::int64_t rescan_ms = 0; // -t; 0 = never scan on a timer
    std::int64_t deadline = 0;  // absolute monotonic ms of the next timed scan; -1 = none
    bool want_reap = true;      // the first iteration reaps and scans at once
    bool want_scan = true;
    unsigned want_kill = 0;
    bool cont = true;     // false once told to exit (b, t, i, q and their signals)
    bool wait_all = true; // finish phase: wait for every supervisor (false after b)
};

// Moves the deadline earlier if t is earlier.
void lower_deadline(scanner &s, std::int64_t t) noexcept;

// Control letters and signal defaults: they only set flags, which act on the next loop
// iteration in the fixed order reap -> scan -> kill.
void on_abort(scanner &s) noexcept; // b, SIGABRT
void on_hup(scanner &s) noexcept;   // h, SIGHUP: scan, then prune what disappeared
void on_term(scanner &s) noexcept;  // t, i, SIGTERM, SIGINT
void on_quit(scanner &s) noexcept;  // q, SIGQUIT
// Applies one control byte; false if it is not a 2.11 command.
bool on_control(scanner &s, char c) noexcept;
// A signal read from the signalfd.  SIGCHLD (reap), SIGALRM (scan) and SIGABRT (b) are fixed;
// any other runs .s6-svscan/SIG<NAME> if that can be spawned, and otherwise takes its default
// action: SIGHUP = h, SIGINT and SIGTERM = t, SIGQUIT = q, the rest (USR1, USR2, PWR, WINCH)
// nothing.
void on_signal(scanner &s, int sig) noexcept;

// Collects every dead child (waitpid(-1) until none is left) and updates the table.
void reap(scanner &s) noexcept;
// Reads the scan directory (the cwd) and starts the supervisors that should run.
void scan(scanner &s) noexcept;
// The buffer scan reads names into: a supervisor's name lies there while it is started.
std::span<char const> scan_buffer() noexcept;
// The pending kill pass.
void kill_pass(scanner &s) noexcept;
// What one turn of the main loop does before waiting: reap, scan and the kill pass, in that
// fixed order, each only if asked for.  So the letters of one control write (or the signals
// of one wake-up) act together whatever their order: "na" scans, then prunes.
void run_pending(scanner &s) noexcept;
// Finish phase: closes every log pipe (and fd 1 if there is an s6-svscan-log entry).
void close_pipes(scanner &s) noexcept;
// Finish phase: blocks until every known s6-supervise has exited, reaping all children.
void wait_all(scanner &s) noexcept;
// The finish phase up to the exec of .s6-svscan/finish: the pending kill pass, the pipes
// closed, the console restored, then every supervisor waited for (after t, i, q and their
// signals) or one non-blocking reap pass (after b, SIGABRT).
void finish(scanner &s) noexcept;

// The system seam: the calls the actions make, implemented in main.cc.
namespace sys {
std::int64_t now_ms() noexcept;
// Starts s6-supervise NAME with fd moved to target (skipped if fd < 0) and, for the
// catch-all logger, the console holder on fd 2.  Returns the pid; 0 with errno set if no
// process could be created (retried in 4 s), -1 if the exec failed (already reported; retried
// in 1 s, as s6 restarts a forked child that died at once).
pid_t spawn_supervise(char const *name, int fd, int target, bool console) noexcept;
// waitpid(-1, wstat, block ? 0 : WNOHANG).
pid_t wait_child(int *wstat, bool block) noexcept;
// kill(pid, sig).
void send_signal(pid_t pid, int sig) noexcept;
// Spawns .s6-svscan/SIG<NAME> for sig without waiting for it; false with errno set if it
// could not be spawned (already reported, unless the script does not exist).
bool spawn_signal_script(int sig) noexcept;
// Finish phase with an s6-svscan-log entry: fd 1 (the catch-all logger's FIFO) is let go of
// and reopened on /dev/null, so the logger can see EOF.
void release_stdout() noexcept;
// Finish phase, -X: fd 2 goes back to the console holder and fd 1 follows it.
void restore_console() noexcept;
// Execs .s6-svscan/crash after a fatal system error; never returns.
[[noreturn]] void panic(char const *what) noexcept;
} // namespace sys

} // namespace svs
