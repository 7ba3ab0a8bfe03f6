// The programs that share one executable, and the table that routes a name to its program.
//
// s6-supervise, s6-svscan, /init (with halt, poweroff, reboot and shutdown), s6-ftrigrd and
// s6-fdholderd are one executable installed under several names.  A container's whole supervision tree,
// PID 1 included, then runs one file whose pages all its processes share (s6-ftrigrd, spawned
// by stock libs6 clients, and s6-fdholderd, supervised like any service, share them too), and s6-svscan can start a supervisor by forking
// and calling supervise_main() instead of exec'ing (fork_self.hh).
// Every other program is an executable of its own with a plain main().
#pragma once

#include <span>
#include <string_view>

// Each program's entry point, defined in its own folder of tools/.
int supervise_main(int argc, char **argv); // tools/s6-supervise/main.cc
int svscan_main(int argc, char **argv);    // tools/s6-svscan/main.cc
int init_main(int argc, char **argv);      // tools/init/main.cc
int hpr_main(int argc, char **argv);       // tools/init/hpr.cc: halt poweroff reboot shutdown
int ftrigrd_main(int argc, char **argv);   // tools/s6-ftrigrd/main.cc
int fdholderd_main(int argc, char **argv); // tools/s6-fdholderd/main.cc

namespace multicall {

struct entry {
    std::string_view name; // the installed name
    int (*main)(int, char **);
};

// Every installed name of the shared executable, s6-supervise first.
std::span<entry const> entries() noexcept;

// The name a program was started under: the last path component of argv0.
std::string_view invoked_name(char const *argv0) noexcept;

// The entry for the name argv0 was started under; s6-supervise's for a name not in the
// table (a copy under another name still supervises, as s6-supervise always did).
entry const &lookup(char const *argv0) noexcept;

} // namespace multicall
