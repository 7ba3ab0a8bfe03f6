// Running our own executable under another name without exec'ing it.
//
// s6-svscan is s6-supervise's executable under another name (tools/meson.build), so when
// s6-svscan starts an s6-supervise it can fork and call s6-supervise's main() in the child
// instead of exec'ing the file it is already running.  What that saves is glibc's start-up,
// static and dynamic alike: it sizes the CPU caches with about a hundred CPUID instructions,
// and on a virtual machine each one traps to the hypervisor.  On our 2-CPU test VM that is
// 0.5 ms of the 0.7 ms an s6-supervise spends before it runs ./run, for every supervisor.
//
// Whoever looks at the child must not see the difference.  Its command line
// (/proc/PID/cmdline, what ps and pgrep -f see) becomes the new argv through PR_SET_MM_MAP,
// which needs no privilege but a kernel built with CONFIG_CHECKPOINT_RESTORE (every major
// distribution's); its name (comm) becomes the program's; the fds exec would close are
// closed, and those it would keep are kept.  The rest of what exec does is moot for a parent
// that catches no signal but SIGPIPE (the caller resets that one), maps no shared memory and
// runs no threads: environment, mask, cwd, limits and credentials are inherited either way,
// and pending signals and timers are not inherited by either.  What differs shows only in
// /proc/PID/maps and auxv: the child keeps the parent's memory (copy-on-write, so mostly
// shared).  And like the children of any fork server, it shares the parent's address-space
// layout and stack canary.  Where any of this is unavailable (no /proc, an old kernel, a seccomp filter),
// self_image_init fails and the caller simply execs, as before.
#pragma once

#include <cstddef>
#include <span>
#include <sys/types.h>

namespace sv {

// What the child of a fork needs to pass for an exec'd copy of the running executable,
// captured once by self_image_init.
struct self_image
{
    dev_t dev = 0; // the running executable's file
    ino_t ino = 0;
    // Our memory layout, from /proc/self/stat: PR_SET_MM_MAP sets all of it at once, so the
    // child passes it back unchanged but for the command line.
    unsigned long start_code = 0, end_code = 0, start_data = 0, end_data = 0, start_brk = 0;
    unsigned long start_stack = 0, arg_start = 0, arg_end = 0, env_start = 0, env_end = 0;
    int kept[16] = {}; // fds from 3 up without FD_CLOEXEC, ascending: exec keeps them
    unsigned n_kept = 0;
    bool ok = false; // everything above was found, and the kernel plays along
};

// Fills img: identifies the running executable, reads our memory layout from /proc/self/stat,
// lists the fds from 3 up that are open without FD_CLOEXEC, and checks that the kernel lets
// us rewrite our own command line and close fd ranges.  Call it once, after the process has
// set up its own fds (they must all be close-on-exec by then, or they count as inherited).
// False (img.ok false, errno set) if anything is missing, or if more fds were inherited than
// kept[] holds: then self_image_is is always false, and the caller execs.
bool self_image_init(self_image &img) noexcept;

// True if path is the very file the running executable was loaded from (the same inode, not
// merely the same name): exec'ing it would run our own code.  An executable replaced on disk
// (an upgrade) is a new inode, so the new one gets exec'd.
bool self_image_is(self_image const &img, char const *path) noexcept;

// For a daemon about to idle in its loop (s6-svscan, s6-supervise, s6-log, the servers, /init):
// the pages of our executable's read-only segments (code and constants) that its start-up
// mapped leave its page tables, and the few the loop uses come back on their first use, from
// the page cache.  Writable segments (data, and relro, which start-up relocated) are never
// touched.  The stack's pages under the caller's frame go too: start-up (option parsing, a
// regex compiled, a directory read) went deeper than a loop does, and those pages are dead.
// Nothing happens to the code where the program headers do not say where we are loaded.
void drop_startup_code() noexcept;

// Memory a forked child will never read: its parent's own, left in the child's copy.
struct region
{
    void const *p = nullptr;
    std::size_t n = 0;
};

// In a child just forked by the process that filled img, after it has moved its own fds into
// place: makes the child look as if it had exec'd path with argv (the command line, the name,
// and the fds from 3 up that exec would close, closed), then runs main(argc, argv) on a stack
// of its own, and _exits with what main returns.  Why a stack of its own: after a fork, every
// page of the parent's stack that the parent writes again (its loop does, all the time)
// becomes the child's own copy, though the child never returns to those frames.  So the
// child's command line and argv go to the top of a fresh mapping (the size of RLIMIT_STACK,
// untouched pages cost nothing), main runs below them, and the old stack's pages under the
// one that holds the environment and the auxiliary vector are let go.  The pages wholly
// inside each region of forget are let go too, once argv has been copied (its strings may
// lie there).  Returns only if nothing could be done (errno set, nothing changed: an argv
// too big for the fresh stack is E2BIG; exec path then); past that point a failure is
// _exit 111.
bool self_image_run(self_image const &img, char const *path, std::span<char *const> argv,
                    int (*main)(int, char **), std::span<region const> forget = {}) noexcept;

} // namespace sv
