// The process and file-system plumbing of /init: one signalfd-driven wait loop that reaps every
// child (we are PID 1 or a subreaper), spawning, the kill-everything broadcast, and the few
// tree operations stage 1 and stage 2 need (rm -rf, copy -R, env dump).
#pragma once

#include <csignal>
#include <cstdint>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace init {

// How a child is started.
struct spawn_how {
    bool devnull_stdin = false; // stdin = /dev/null
    bool new_pgrp = false;      // its own process group (the CMD)
    bool new_session = false;   // its own session (s6-svscan)
    bool search_path = false;   // look argv[0] up in $PATH
    int out = -1;               // an fd to become its stdout (-1: ours)
    int err = -1;               // an fd to become its stderr (-1: ours)
};

// Blocks the signals /init handles and opens the signalfd.  Dies (111) on failure.
void signals_init() noexcept;

// Starts argv with envp (nullptr: ours).  Returns the pid, or -1 with errno set (errors of the
// exec itself are reported here too).  The child gets an empty signal mask and default handlers.
pid_t spawn(char const *const *argv, char const *const *envp, spawn_how how) noexcept;

// The signal that asked us to stop (TERM, INT, USR1, USR2, PWR), or 0.
extern int stop_signal;
// halt, poweroff, reboot and shutdown ask us to stop with a signal of their own, which is
// never forwarded to the CMD: SIGRTMIN+3, +4 and +5 (systemd's numbers for the three).
// The CMD, if one runs, gets SIGTERM, and the container's exit code is the exit-code file's.
inline int halt_signal(int which) noexcept { return SIGRTMIN + 3 + which; } // 0 h, 1 p, 2 r
extern bool halt_requested;
// Our s6-svscan while its exit would be unexpected (stage 3 sets it back to 0 before it asks
// it to exit).  Its exit is then a stop request, as a halt is: with s6-overlay, s6-svscan is
// PID 1 and its exit ends the container (s6-svscanctl -t is v2's way of stopping it), and a
// container that has lost its supervision tree should stop rather than limp on.
extern pid_t svscan_pid;
// svscan_pid's wait status once it has exited that way, or -1.
extern int svscan_lost;
// The running CMD's pid (its process group), or 0; signals are forwarded to it.
extern pid_t cmd_pid;

enum class wake { child, stop, timeout, fd };

// An fd that wait_for also watches (-1: none): when it is readable, wait_for returns
// wake::fd, and the caller reads it.
extern int wake_fd;

// The one child /init keeps running on its own, the catch-all logger: started now with argv
// (which must stay valid) as how says, and started again, at most once a second, whenever it
// dies while wait_for or reap_until_empty runs, until stop_keeping().  While it is down, we
// copy what can be read from its input, drain_from, to drain_to ourselves, so that nothing
// waits for it: with a logger that cannot run at all, the lines end up there, not blocked.
// drain_from must be non-blocking, and a description of its own (the writers must not see
// its flags).
void keep_running(char const *const *argv, spawn_how how, int drain_from, int drain_to) noexcept;
void stop_keeping() noexcept;

// Reaps children and handles signals until pid has been reaped (its wait status in wstatus),
// deadline_ms (absolute, CLOCK_MONOTONIC; -1 for none) has passed, or, if stoppable, a stop
// signal has arrived.  pid 0 waits for no child in particular.
wake wait_for(pid_t pid, int &wstatus, std::int64_t deadline_ms, bool stoppable) noexcept;

// Reaps whatever is left until no child remains or deadline_ms passes; true if none remains.
bool reap_until_empty(std::int64_t deadline_ms) noexcept;

// Sends sig to every process we may kill: kill(-1) as PID 1, else each of our descendants.
void broadcast(int sig) noexcept;

// The decimal exit code a wait status stands for: its exit code, or 128 + signal.
int status_code(int wstatus) noexcept;

// rm -rf path (no error if absent).  False with errno set on failure.
bool rm_rf(char const *path) noexcept;
// Copies the tree src to dst (dirs, regular files with their modes, symlinks as symlinks).
// With link_executables, an executable file becomes a symlink to its original instead of a
// copy, so that it can run from a noexec dst.
bool copy_tree(std::string const &src, std::string const &dst, bool link_executables) noexcept;
// The names in dir not starting with '.', byte-sorted (empty if dir cannot be read).
std::vector<std::string> sorted_entries(char const *dir) noexcept;
// Writes content to path (created 0644, truncated).  False with errno set on failure.
bool write_file(char const *path, std::string_view content) noexcept;
// Reads a whole small file into out; false with errno set on failure.
bool read_file(char const *path, std::string &out) noexcept;

// What keeps path from being executed, as explain_exec_failure says it ("is not executable
// (it needs chmod +x)", ...), found without running it; "" if nothing does.
std::string exec_problem(char const *path) noexcept;

// Why an executable could not be run, in words: "is not executable (chmod +x it)", "has a
// CRLF line ending in its #! line", "names an interpreter that does not exist: /bin/bash",
// and so on; spawn_errno is what spawn() reported.
std::string explain_exec_failure(char const *path, int spawn_errno) noexcept;

} // namespace init
