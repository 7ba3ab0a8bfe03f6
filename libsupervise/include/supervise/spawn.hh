// Starting child processes: the one primitive every program of ours uses to run another.
//
// Why not posix_spawn: glibc's posix_spawn leaves the child with its two internal signals
// (32 and 33, SIGCANCEL and SIGSETXID) set to SIG_IGN, and an ignored disposition survives
// exec, so every service would start with those signals ignored where s6 (fork + exec) leaves
// them at their default.  spawn() uses vfork and resets them with the raw system call, which
// glibc's sigaction() refuses to do.
#pragma once

#include <csignal>
#include <sys/types.h>

namespace sv {

struct spawn_opts {
    char const *const *envp = nullptr; // the environment; nullptr = our own
    bool new_session = false;          // setsid(): session and process-group leader
    bool new_pgroup = false;           // setpgid(0, 0): own process group
    bool search_path = false;          // look argv[0]'s name up in PATH (execvp rules)
    sigset_t const *mask = nullptr;    // the child's signal mask; nullptr = empty
    // Up to three fds to move into place in the child: from[i] -> to[i] (from[i] < 0: none).
    // A target equal to its source just loses FD_CLOEXEC.
    int from[3] = {-1, -1, -1};
    int to[3] = {-1, -1, -1};
};

// Starts path (or, with search_path, the program named path) with argv and the signal mask
// of o.mask (empty by default), every signal our process catches at its default, signals 32 and 33 at their default,
// and any other ignored signal still ignored (as fork + exec would leave it).
// Returns the child's pid, or 0 with errno set if it could not be forked or its exec failed
// (the failed child is reaped before returning).
pid_t spawn(char const *path, char const *const *argv, spawn_opts const &o = {}) noexcept;

} // namespace sv
