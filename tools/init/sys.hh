// The system seam of /init: every call the stages' decisions (stage2.cc, stage3.cc,
// settings.cc, events.cc) make to the system goes through init::sys, as s6-supervise's go
// through svd::sys and s6-svscan's through svs::sys.  The real implementations are in sys.cc
// (files), loop.cc (processes and the wait loop) and runtime.cc (the logger, v2's links);
// tests/unit/init_stage_test.cc links the decisions against a fake one instead.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "context.hh"

namespace sv {
struct status;
}
namespace sv::rc {
struct definition;
}

namespace init {

// Why sys::wait_for returned.
enum class wake { child, stop, timeout, fd };

// What waiting for one service gave (sys::wait_service).
enum class service_wait { up, stop, timeout };

namespace sys {

// The monotonic clock, in milliseconds.
std::int64_t now_ms() noexcept;

// --- files ---

// The names in dir not starting with '.', byte-sorted (empty if dir cannot be read).
std::vector<std::string> sorted_entries(std::string const &dir) noexcept;
// Reads a whole small file into out (replacing it); false with errno set on failure.
bool read_file(std::string const &path, std::string &out) noexcept;
// Writes content to path (created 0644, truncated).  False with errno set on failure.
bool write_file(std::string const &path, std::string_view content) noexcept;
// stat() succeeds (false with errno set), and finds a directory.
bool exists(std::string const &path) noexcept;
bool is_dir(std::string const &path) noexcept;
// What keeps path from being executed, found without running it: "is not executable (it
// needs chmod +x)", "has a CRLF line ending in its #! line (...)", "names an interpreter
// that does not exist: /bin/bash", ...; "" if nothing does.
std::string exec_problem(std::string const &path) noexcept;
// s6-overlay v3's scripts name their interpreter /command/NAME (or
// /package/admin/PKG/command/NAME): `#!/command/with-contenv sh`, `#!/command/execlineb -P`.
// An image without that path still runs them, with NAME taken from our own directory if we
// have it, else from PATH (leaving s6-overlay's directories out).
// overlay_interpreter: the replacement for interp, or "" if interp is no such path, exists,
// or has no replacement.  overlay_argv: the argv that runs argv (its argv[0] looked up in
// PATH with search) through the replacement of its script's interpreter; false if there is
// none.  fix_overlay_shebang: rewrites the #! line of the regular file path (a copied run or
// finish file) to the replacement, if there is one; false with errno set if it could not.
std::string overlay_interpreter(std::string const &interp) noexcept;
bool overlay_argv(char const *const *argv, bool search, std::vector<std::string> &out) noexcept;
bool fix_overlay_shebang(std::string const &path) noexcept;
// mkdir path 0755 and rmdir path, errors ignored (the staging dir of services.d).
void make_dir(std::string const &path) noexcept;
void remove_dir(std::string const &path) noexcept;
// Copies the service directory from to tmp (removed first), then renames tmp to to, so that
// s6-svscan never sees half a copy.  With cfg.link_exec, executables are linked, not copied.
// False with errno set on failure.
bool install_service(context const &c, std::string const &from, std::string const &tmp,
                     std::string const &to) noexcept;
// The path of our program name (next to us, else in the compile-time bindir), or just the
// name, to be looked up in $PATH (search set), if neither has it (a copied /init).
std::string our_program(char const *name, bool &search) noexcept;
// The CMD's environment: ours, with the container environment dump applied as with-contenv
// applies it (so that what cont-init scripts wrote there reaches the CMD).  False with errno
// set if the dump could not be read; env then holds ours alone.
bool container_env(context const &c, std::vector<std::string> &env) noexcept;
// v2's RUN/s6/etc/*.d links to the four directories (once cfg.etc_dir is known).
void v2_etc_links(context const &c) noexcept;
// The service directory s6-rc-compile would make of the longrun d, written to tmp (removed
// first) and renamed to to: run, finish, notification-fd, lock-fd, timeout-kill,
// timeout-finish, max-death-tally, down-signal, data/, env/, instance/, instances/.  With a
// FIFO to read (in) or write (out), the run file is kept as run.user and run becomes a
// /bin/sh wrapper that opens it on stdin or stdout.  False with errno set on failure.
bool install_longrun(context const &c, sv::rc::definition const &d, std::string const &tmp,
                     std::string const &to, std::string const &in,
                     std::string const &out) noexcept;
// Makes the FIFO path (if need be) and opens it read-write; the fd, or -1 with errno set.
int open_fifo(std::string const &path) noexcept;
// The supervise/status of the service in dir; false if it cannot be read (no supervisor yet).
bool service_status(std::string const &dir, sv::status &st) noexcept;
// Writes the control letters to the service in dir; false with errno set if nobody listens.
bool service_control(std::string const &dir, std::string_view letters) noexcept;
// The s6-rc command's socket (rcctl.hh): listening at path (made anew), the fd or -1 with
// errno set; one connection taken, its whole request read into bytes (within a second), the
// connection's fd or -1; a reply written to it (the caller closes it).
int rc_listen(std::string const &path) noexcept;
int rc_accept(int listener, std::string &bytes) noexcept;
void rc_reply(int conn, std::string_view bytes) noexcept;
// Removes the file path (errors ignored).
void remove_file(std::string const &path) noexcept;

// --- processes ---

// Starts argv with envp (nullptr: ours).  Returns the pid, or -1 with errno set (errors of
// the exec itself are reported here too).  The child gets an empty signal mask and default
// handlers.
pid_t spawn(context &c, char const *const *argv, char const *const *envp,
            spawn_how how) noexcept;
// Reaps children and handles signals until pid has been reaped (its wait status in
// wstatus), deadline_ms (absolute, monotonic; -1 for none) has passed, or, if stoppable, a
// stop signal has arrived.  pid 0 waits for no child in particular.  With c.ev.wake_fd set,
// it also returns when that fd is readable.
wake wait_for(context &c, pid_t pid, int &wstatus, std::int64_t deadline_ms,
              bool stoppable) noexcept;
// Reaps children and handles signals until one of pids has been reaped (its status is left
// for take_reaped), deadline_ms passes (-1: none) or, if stoppable, a stop signal arrives.
wake wait_children(context &c, std::vector<pid_t> const &pids, std::int64_t deadline_ms,
                   bool stoppable) noexcept;
// Waits until the service in dir is up (and ready, with need_ready), deadline_ms passes
// (-1: none), or a stop signal arrives.
service_wait wait_service(context &c, std::string const &dir, bool need_ready,
                          std::int64_t deadline_ms) noexcept;
// Reaps whatever is left until no child remains or deadline_ms passes; true if none remains.
bool reap_until_empty(context &c, std::int64_t deadline_ms) noexcept;
// kill(pid, sig).
void signal(pid_t pid, int sig) noexcept;
// sig to the process group pgrp, or to the process pgrp if that fails.
void signal_group(pid_t pgrp, int sig) noexcept;
// Sends sig to every process we may kill: kill(-1) as PID 1, else each of our descendants.
void broadcast(int sig) noexcept;
// Starts our s6-svscan on the scan dir, once: stage 1 has made the dir listen, and the tree
// itself starts when stage 2 first needs it (services to start, the CMD, or an idle wait).
// From then on its exit is a stop request.
void start_tree(context &c) noexcept;
// Writes one control letter to our s6-svscan; false with errno set if nobody listens.
bool svscanctl(context const &c, char letter) noexcept;
// A terminal on stdin: gives pgrp the foreground.
void give_terminal(pid_t pgrp) noexcept;
// Once the boot is over (the CMD runs, or /init idles): the pages of our executable's code
// and constants that the boot mapped leave our page tables (sv::drop_startup_code).  /init
// stays for the container's whole life, and would otherwise keep every window of the file
// its stages touched, counted in its PSS alone; what it runs from then on comes back, from
// the page cache, when it runs.
void drop_boot_code() noexcept;
// sync().
void sync_disks() noexcept;
// Stage 3's end: back to the console, and the catch-all logger left to drain and exit.
void release_logger(context &c) noexcept;

} // namespace sys
} // namespace init
