// Trapping signals: the one primitive our daemons use to receive signals, as skalibs'
// selfpipe is for s6.
//
// A trapped signal is blocked, so it is never delivered asynchronously; it waits in the
// pending set until the daemon reads it from a signalfd, whose readiness poll() reports like
// any other fd.  Blocked signals survive fork and exec, so a child must get the mask back
// before it runs anything: signal_child_mask is the mask the process had before its first
// trap, minus every trapped signal (what skalibs' selfpipe_finish leaves a child with), and
// signal_restore puts it back in place, in a forked child or before an exec.
//
// Only the first signal_trap of a process records the mask it started with; later traps add
// to the trapped set.  Nothing here allocates.
#pragma once

#include <csignal>
#include <initializer_list>

namespace sv {

// Blocks the given signals and returns a non-blocking, close-on-exec signalfd that reads
// them; -1 with errno set (the mask is then unchanged).
int signal_trap(std::initializer_list<int> sigs) noexcept;
int signal_trap(sigset_t const &sigs) noexcept;

// The same, dying with "PROG: fatal: unable to trap signals: ERR" (exit 111) on failure: the
// one wording every daemon of ours prints for it.
int signal_trap_or_die(std::initializer_list<int> sigs) noexcept;
int signal_trap_or_die(sigset_t const &sigs) noexcept;

// The next pending signal on a trap fd: its number, 0 when none is pending, -1 with errno set
// on error (EINTR is retried).  Call it until it returns 0 to drain the trap.
int signal_next(int fd) noexcept;

// The mask a child of ours should start with: the one this process had before its first
// signal_trap, minus the trapped signals.  The current mask if nothing was trapped yet.
sigset_t const &signal_child_mask() noexcept;

// Sets this process's mask to signal_child_mask(): in a forked child, or before exec'ing a
// program in place of ourselves.  The trap fd stays open (close-on-exec) but reads nothing
// more.  False with errno set.
bool signal_restore() noexcept;

// Catches sig with a handler that does nothing, as skalibs' sig_altignore does: the signal
// never takes its default action on us (SIGPIPE no longer kills; a write gets EPIPE instead),
// yet exec resets a caught signal to its default, so children are not left ignoring it as
// SIG_IGN would leave them.  False with errno set.
bool signal_absorb(int sig) noexcept;

} // namespace sv
