// The state of /init, in one object: init_main makes it and passes it to every stage.  It
// holds the settings stage 1 fixes, the CMD and the supervision tree, what signals and the
// deaths of children have told us (events.cc), the wait loop's fds (loop.cc) and the
// catch-all logger's (runtime.cc).  Nothing of /init's lives outside it: no global, no
// file-scope static.  Signals need none either, since no handler runs: they stay blocked and
// are read from a signalfd by the wait loop, which hands each one to on_signal().
//
// Also here: the progress and error lines, and the S6_* settings (settings.cc).
#pragma once

#include <csignal>
#include <cstdint>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include <supervise/diag.hh>
#include <supervise/fd.hh>
#include <supervise/fork_self.hh>

#include "rcgraph.hh"

namespace init {

// How a child is started (sys::spawn).
struct spawn_how {
    bool devnull_stdin = false; // stdin = /dev/null
    bool new_pgrp = false;      // its own process group (the CMD)
    bool new_session = false;   // its own session (s6-svscan)
    bool search_path = false;   // look argv[0] up in $PATH
    int in = -1;                // an fd to become its stdin (-1: ours, or /dev/null)
    int out = -1;               // an fd to become its stdout (-1: ours)
    int err = -1;               // an fd to become its stderr (-1: ours)
    int keep = -1;              // an fd it inherits at its own number (s6-svscan's -d fd)
    // The program's entry in our own executable: when argv[0] is the very file /init runs
    // from, the child calls it after a fork instead of exec'ing (as s6-svscan starts its
    // supervisors: sv::self_image), which spares a whole exec and libc start-up.
    int (*entry)(int, char **) = nullptr;
};

// halt, poweroff and reboot ask us to stop with a signal of their own, which is never
// forwarded to the CMD: SIGRTMIN+3, +4 and +5 (systemd's numbers for the three).  The CMD, if
// one runs, gets SIGTERM, and the container's exit code is the exit-code file's.
inline int halt_signal(int which) noexcept { return SIGRTMIN + 3 + which; } // 0 h, 1 p, 2 r

// The settings, fixed by stage 1 (etc_dir by stage 2, from S6_RUNTIME_PROFILE) and only read
// afterwards.
struct config {
    // The run-time directory: /run, or S6_RUNTIME_DIR (for a non-root USER that may not write
    // /run).  Everything /init creates lives under it, with s6-overlay's names.
    std::string run_dir = "/run";
    // Where the four .d directories are: /etc, or /etc/cont-profile.d/$S6_RUNTIME_PROFILE.
    std::string etc_dir = "/etc";
    bool keep_env = false;  // S6_KEEP_ENV
    unsigned verbosity = 2; // S6_VERBOSITY: 0 errors, 1 and warnings, 2 and progress lines
    bool link_exec = false; // the run-time dir is noexec: link services' programs, don't copy
    unsigned logging = 0;   // S6_LOGGING
    // The catch-all logger as s6-overlay v3 runs it (a v3 image, stage 1 decides): s6-log into
    // RUN/uncaught-logs, as catchall_user (S6_CATCHALL_USER, root containers only; "" for
    // root), timestamps log_stamps (1 t, 2 T, 3 both: from the words of S6_LOGGING_SCRIPT, as
    // v3's stage0 reads them).  False: v2's logutil-service into /var/log/s6-uncaught-logs.
    bool v3_logger = false;
    std::string catchall_user;
    unsigned log_stamps = 0;

    std::string under_run(std::string_view rel) const { return run_dir + std::string(rel); }
    std::string scan_dir() const { return under_run("/service"); }
    std::string exitcode_path() const
    {
        return under_run("/s6-linux-init-container-results/exitcode");
    }
    std::string env_dir() const { return under_run("/s6/container_environment"); }
    std::string etc(std::string_view d) const { return etc_dir + "/" + std::string(d); }
};

// A child we started ourselves (sys::spawn), until someone has taken its wait status; -1
// while it runs.  Orphans we reap are not recorded at all, so however many of them die at
// once, the status of the CMD cannot be lost.
struct started_rec {
    pid_t pid;
    int wstatus;
};

// What signals and the deaths of children have told us (events.cc), and the wait loop's fds.
struct events {
    // The signal that asked us to stop (TERM, INT, USR1, USR2, PWR), or 0.
    int stop_signal = 0;
    // halt and friends asked us to stop, or s6-svscan ended: a running CMD got SIGTERM, and
    // its status will not be the container's.
    bool halt_requested = false;
    // Our s6-svscan while its exit would be unexpected (stage 3 sets it back to 0 before it
    // asks it to exit).  Its exit is then a stop request, as a halt is: with s6-overlay,
    // s6-svscan is PID 1 and its exit ends the container (s6-svscanctl -t is v2's way of
    // stopping it), and a container that has lost its supervision tree should stop rather
    // than limp on.
    pid_t svscan_watch = 0;
    // svscan_watch's wait status once it has exited that way, or -1.
    int svscan_lost = -1;
    // The running CMD's pid (its process group), or 0; signals are forwarded to it.  Minus
    // its pid once it is reaped, so that nothing is forwarded to a reused pid.
    pid_t cmd_pid = 0;
    std::vector<started_rec> started;

    sv::unique_fd signals; // the signalfd every signal we handle is read from
    int wake_fd = -1;      // an fd the wait loop also watches (-1: none): sys::wait_for
    sv::unique_fd null_in; // /dev/null (or an empty pipe) for stdin, opened on first use
    // What a forked child needs to pass for an exec'd copy of us (spawn_how::entry), found
    // on first use; self_tried once that was done, whatever it found.
    sv::self_image self;
    bool self_tried = false;
};

// The one child /init keeps running on its own, the catch-all logger (events.cc,
// keep_running).
struct keeper {
    char const *const *argv = nullptr; // nullptr: nothing kept
    spawn_how how;
    pid_t pid = 0;          // 0 while it is not running
    std::int64_t next = 0;  // when it may be started again (monotonic ms)
    int drain_from = -1;    // its input, which we copy to drain_to while it is down
    int drain_to = -1;
};

// The catch-all logger (runtime.cc, S6_LOGGING).
struct logger {
    // Its argv: v2's logutil-service -f FIFO DIR, or v3's [s6-setuidgid USER] s6-log -bp --
    // [1] [t] [T] DIR (logger.cc); search: argv[0] is a name to look up in PATH.
    std::string argv_store[10];
    char const *argv[11] = {};
    std::size_t argc = 0;
    bool search = false;
    sv::unique_fd fifo;  // read and write: the writers' end, which also keeps the FIFO's buffer
    sv::unique_fd drain; // read-only, non-blocking: where we read while the logger is down
    sv::unique_fd input; // read-only, blocking: v3's s6-log's stdin (logutil-service opens it)
    // The container's own stdout and stderr, kept (dup'ed) while ours go to the logger: the
    // CMD's under S6_LOGGING 1, the logger's own, and ours again at the end of stage 3.
    sv::unique_fd console_out, console_err;
};

// Everything /init knows.  Neither copied nor moved: the logger's argv points into it.
struct context {
    config cfg;
    std::vector<std::string> cmd;      // the CMD: argv after /init
    pid_t svscan = 0;                  // our s6-svscan, 0 if not running
    bool tree_started = false;         // sys::start_tree has run (whatever came of it)
    sv::unique_fd svscan_ready;        // its -d pipe, until it has said it listens
    // The scan dir's control FIFO, both ends, held from stage 1 on so that commands sent
    // before s6-svscan starts wait for it (runtime.cc, listen_for_tree).
    sv::unique_fd scan_control_r, scan_control_w;
    std::vector<std::string> services; // names copied from services.d
    rc_run rc;                         // the v3 service graph (rcrun.cc)
    events ev;
    keeper kept;
    logger log;

    context() = default;
    context(context const &) = delete;
    context &operator=(context const &) = delete;
};

// An error line on stderr, in the form of s6-overlay's progress lines ("[cont-init.d] NAME:
// exited 0."), printed whatever the verbosity.
template <class... A>
void complain(A const &...a) noexcept
{
    std::string line;
    (line.append(std::string_view(a)), ...);
    line += '\n';
    sv::write_full(2, line);
}

// A progress line, printed at verbosity 2.
template <class... A>
void say(context const &c, A const &...a) noexcept
{
    if (c.cfg.verbosity >= 2) complain(a...);
}

template <class... A>
void warning(context const &c, A const &...a) noexcept
{
    if (c.cfg.verbosity >= 1) sv::warn(a...);
}

template <class... A>
void warning_sys(context const &c, A const &...a) noexcept
{
    if (c.cfg.verbosity >= 1) sv::warn_sys(a...);
}

// settings.cc: the S6_* settings and the exit-code file.

// An S6_* setting.  Read late, like v2's printcontenv: from the container environment dump
// (so a cont-init script can change it), or from our own environment under S6_KEEP_ENV.
bool setting(context const &c, char const *name, std::string &out) noexcept;
// A numeric setting: unset or empty gives def; anything but decimal digits gives def and a
// warning (s6-overlay silently falls back; we say so).
unsigned num_setting(context const &c, char const *name, unsigned def) noexcept;
// The same, for the settings stage 1 needs before the dump exists: they come from our own
// environment, as s6-overlay v3's preinit and stage0 read them.
unsigned live_setting(context const &c, char const *name, unsigned def) noexcept;
// The .d directories' parent for S6_RUNTIME_PROFILE (read as a setting): /etc, or
// /etc/cont-profile.d/PROFILE.
std::string profile_etc(context const &c) noexcept;
// Words split as sh splits an unquoted $VAR with the default IFS: on spaces, tabs and
// newlines, empty words dropped (no globbing).  S6_CMD_ARG0 and S6_STAGE2_HOOK, as v3's
// rc.init expands them.
std::vector<std::string> sh_fields(std::string_view text) noexcept;
// Writes code to the exit-code file (a warning if it cannot).
void write_exitcode(context const &c, int code) noexcept;
// The container's exit code, from the exit-code file: its first line (the CMD's status, or
// what a service or script wrote before halt), modulo 256; empty or absent means 0, anything
// but a number 100 (with a warning).
int read_exitcode(context const &c) noexcept;

// events.cc: what a signal or a child's death means (the wait loop calls these), and the
// kept child.

// A signal read from the signalfd (SIGCHLD excepted: the loop reaps).
void on_signal(context &c, int sig) noexcept;
// A child reaped with wstatus.
void on_reaped(context &c, pid_t pid, int wstatus) noexcept;
// A stop that does not come from the signals we forward: halt and friends, or the end of
// s6-svscan.  The CMD, if one runs, gets SIGTERM.
void request_stop(context &c) noexcept;
// If pid, a child of ours, has been reaped: its wait status in wstatus, forgotten, true.
bool take_reaped(context &c, pid_t pid, int &wstatus) noexcept;
// The decimal exit code a wait status stands for: its exit code, or 128 + signal.
int status_code(int wstatus) noexcept;

// The one child /init keeps running on its own, the catch-all logger: started now with argv
// (which must stay valid) as how says, and started again, at most once a second, whenever it
// dies while sys::wait_for or sys::reap_until_empty runs, until stop_keeping().  While it is
// down, the wait loop copies what can be read from its input, drain_from, to drain_to, so
// that nothing waits for it: with a logger that cannot run at all, the lines end up there,
// not blocked.  drain_from must be non-blocking, and a description of its own (the writers
// must not see its flags).
void keep_running(context &c, char const *const *argv, spawn_how how, int drain_from,
                  int drain_to) noexcept;
void stop_keeping(context &c) noexcept;
// The wait loop's turn at the kept child, at monotonic time now: restarts it if it has died
// and may be restarted; returns the ms until it may be (the wait loop's poll timeout), or -1
// if nothing is pending.
int tend_kept(context &c, std::int64_t now) noexcept;

} // namespace init
