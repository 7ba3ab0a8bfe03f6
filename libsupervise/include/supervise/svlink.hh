// Adding a service to a running scan directory and taking it away again, waiting for its
// supervisor: the work of s6 2.11.3.2's s6_supervise_link_names and s6_supervise_unlink_names,
// behind s6-svlink, s6-svunlink, s6-instance-create and s6-instance-delete.
//
// Linking DIR into SCANDIR as NAME:
//   1. Is DIR supervised (DIR/supervise/lock held)?  DIR/log, if present, must be a directory
//      (else ENOTDIR) that is supervised exactly when DIR is (else EINVAL).
//   2. If DIR is not supervised, for DIR and then DIR/log: create DIR/down if asked (-d, -D),
//      make DIR/event a fifodir (sv::fifodir_make: private or public, forced or not), and
//      subscribe to it, so that no event can slip by.
//   3. symlink SCANDIR/NAME -> DIR.  A relative DIR is made absolute (realpath) unless relative
//      links are allowed.  An existing NAME is an error unless DIR was already supervised.
//   4. Write "a" to SCANDIR/.s6-svscan/control: s6-svscan rescans (ENXIO if nobody listens).
//   5. Wait for an "s" event (a supervisor has started) on every subscription.  The deadline
//      passing is ETIMEDOUT.
//   6. With -d: remove SCANDIR/NAME/down, so the service is down now but normally up.
// A failure in step 3 removes nothing; a failure in 4 or 5 removes the link (and the down file
// with -d or -D) and, in step 5, tells any supervisor that did start to exit ("xd", and "xo" to
// the logger's), as stock does.
//
// Unlinking NAME from SCANDIR: if waiting, check SCANDIR/NAME as in step 1 and subscribe to
// the event/ of each supervised one (a failed subscription is skipped); remove the symlink;
// write "an" to the scan directory's control (s6-svscan rescans and stops the supervisors of
// what is gone; not listening is ignored); wait for an "x" event (supervisor exited) on each
// subscription, ignoring the deadline passing and errors: a destructor has nothing better to do.
#pragma once

#include <cstdint>

namespace sv {

struct link_options {
    bool force_event = false;  // -f: give an existing event/ the public or private mode asked
    bool public_event = false; // -P: event/ is public (01733) instead of our group's (03730)
    bool create_down = false;  // -d, -D: create DIR/down before the supervisor starts
    bool remove_down = false;  // -d: remove it again once the supervisor runs
    bool relative_ok = false;  // link to DIR as written even when relative (s6-instance-create)
};

// Links servicedir into scandir under name and waits, until deadline_ms (absolute monotonic,
// -1 = none), for its supervisors to start, as described above.  Returns how many supervisors
// it waited for (0 if servicedir was already supervised), or -1 with errno set.
int supervise_link(char const *scandir, char const *servicedir, char const *name,
                   link_options const &o, std::int64_t deadline_ms) noexcept;

// Unlinks name from scandir and, if wait is set, waits until deadline_ms for the supervisors
// of the service (and its logger) to exit.  Returns how many it waited on, or -1 with errno
// set if checking the service failed (only when waiting).
int supervise_unlink(char const *scandir, char const *name, bool wait,
                     std::int64_t deadline_ms) noexcept;

} // namespace sv
