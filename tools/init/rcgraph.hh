// /init's service graph (s6-overlay v3's /etc/s6-overlay/s6-rc.d): the run-time state of
// each atomic service and the decisions over it, as plain functions that unit tests drive
// (tests/unit/init_rcgraph_test.cc).  rcrun.cc carries them out through the seam.
//
// A start brings the wanted atoms up: every atom that is down, wanted, and whose
// dependencies are all up starts at once; it is done when every wanted atom is up, and
// blocked when nothing is starting and nothing more can start (an atom failed, or depends on
// one that did).  A stop is the mirror image over the reverse dependencies: an atom that is
// up stops once every atom that depends on it is down.
#pragma once

#include <cstdint>
#include <sys/types.h>
#include <vector>

#include <supervise/fd.hh>
#include <supervise/rcsource.hh>

namespace init {

enum class svstate : unsigned char {
    down,     // not started (or stopped)
    starting, // up running (oneshot), or waiting to be up or ready (longrun)
    up,
    failed,   // its up failed or timed out: it counts as down, and blocks its dependents
    stopping  // down running (oneshot), or waiting for the supervisor to say down
};

enum class progress { working, done, blocked };

// The graph and where each atom stands (indices are sv::rc::graph atoms).
struct rc_run {
    bool active = false; // the image has an s6-rc.d: the graph replaces the v2 sequence
    sv::rc::graph g;
    std::vector<svstate> state;
    std::vector<pid_t> pid;                // a running oneshot script, or 0
    std::vector<std::int64_t> deadline;    // its transition's deadline (monotonic ms), or -1
    std::vector<sv::unique_fd> fifos;      // the pipelines' FIFOs, held open for good
    sv::unique_fd listener;                // RUN/s6/rc.sock, for the s6-rc command
};

// Sizes the per-atom vectors for a resolved graph, every atom down.
void rc_reset(rc_run &r) noexcept;
// The atoms of wanted (a per-atom mask) that may start now.
std::vector<unsigned> rc_startable(rc_run const &r, std::vector<bool> const &wanted) noexcept;
// The atoms of wanted that may stop now.
std::vector<unsigned> rc_stoppable(rc_run const &r, std::vector<bool> const &wanted) noexcept;
// Where a start of wanted stands.
progress rc_start_progress(rc_run const &r, std::vector<bool> const &wanted) noexcept;
// Where a stop of wanted stands (blocked never happens: a failed stop counts as down).
progress rc_stop_progress(rc_run const &r, std::vector<bool> const &wanted) noexcept;
// The per-atom mask for a name (an atom or a bundle); false if it is unknown.
bool rc_select(rc_run const &r, char const *name, std::vector<bool> &wanted) noexcept;
// The per-atom mask of atoms and, with up, all they depend on (a start's selection), or,
// without, all that depends on them (a stop's).
std::vector<bool> rc_closure(rc_run const &r, std::vector<unsigned> atoms, bool up) noexcept;
// Takes out of a stop's wanted mask the essential atoms and all they depend on (s6-rc -d
// leaves services with flag-essential up; -D stops them too).
void rc_spare_essentials(rc_run const &r, std::vector<bool> &wanted) noexcept;
// The earliest transition deadline of atoms in flight, or -1.
std::int64_t rc_next_deadline(rc_run const &r) noexcept;

} // namespace init
