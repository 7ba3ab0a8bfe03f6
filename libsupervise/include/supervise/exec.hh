// Replacing the process image, as skalibs' xexec / xpathexec do for s6's chain-loaders.
#pragma once

namespace sv {

// Executes argv[0] with argv and the current environment.  A name without '/' is searched in
// $PATH (execvp-style; "/usr/bin:/bin" when PATH is unset, like skalibs).  On failure prints
// "PROG: fatal: unable to exec NAME: ERR" and exits 127 if the error was ENOENT, else 126.
[[noreturn]] void exec_or_die(char const *const *argv) noexcept;

// The same search without exiting: returns only on failure, with errno set (ENOENT if the
// name was found nowhere, else the most telling error, as skalibs reports it).
void exec_path(char const *const *argv) noexcept;

// The same two, but the program gets envp as its environment instead of ours.  The PATH
// search still uses this process's own $PATH, as skalibs' xmexec does: a chain-loader that
// changes PATH for its child (s6-envdir with a PATH file) does not change where the child is
// looked for.
[[noreturn]] void exec_or_die(char const *const *argv, char const *const *envp) noexcept;
void exec_path(char const *const *argv, char const *const *envp) noexcept;

} // namespace sv
