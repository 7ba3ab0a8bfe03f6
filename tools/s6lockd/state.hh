// s6lockd's state: the table of lock requests and the decisions taken on a client request, on
// a helper's answer and on a passed limit.  Pure logic over the state struct: answers and
// events are only queued here (main.cc writes them out), and the two system actions, starting
// and stopping a helper, go through the seam below, so the unit tests drive every decision
// with pipes standing in for helpers.
//
// One slot per acquire, from the request until its release: a helper (supervise/lockhelper.hh)
// waits for the lock in the daemon's directory, and holds it once it has it.  The table is
// reserved once, uninitialised, for lkd::max_locks slots (the number of 16-bit ids a client
// can have): a slot is constructed in it when a request comes and destroyed when it goes, so
// nothing is allocated while running and only the pages of slots in use are ever touched.  A
// removal moves the last slot into the hole, as stock s6lockd keeps its array.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <sys/types.h>

#include <supervise/fd.hh>
#include <supervise/lockhelper.hh>
#include <supervise/s6lock.hh>
#include <supervise/textclient.hh>

namespace lkd {

inline constexpr std::size_t max_locks = 65536;
// Room an answer and an event cost in their queues.
inline constexpr std::size_t answer_cost = sv::text_header_size + 1;
inline constexpr std::size_t event_cost = sv::text_header_size + sv::s6lock_event_size;

struct slot {
    std::uint16_t id = 0;       // the client's handle
    bool held = false;          // the helper has said '!'
    pid_t pid = 0;              // the helper
    sv::unique_fd ack;          // helper -> us: '!' or EOF
    sv::unique_fd hold;         // us -> helper's stdin: closing it releases the lock
    std::int64_t deadline = -1; // monotonic ms by which the lock must come; -1 none or held
};

struct table {
    slot *tab = nullptr; // room for max_locks slots; tab[0..n) are live (constructed)
    std::size_t n = 0;
    sv::text_sender *answers = nullptr; // synchronous channel (fd 1)
    sv::text_sender *events = nullptr;  // asynchronous channel
};

// The system seam.  main.cc implements it with real system calls; unit tests replace it.
namespace sys {
std::int64_t now_ms() noexcept;
sv::tain now_tain() noexcept;
// Starts a helper for path (relative to the lock directory); false with errno set.
bool start_helper(char const *path, bool exclusive, sv::lockhelper_child &out) noexcept;
// Tells a helper to go (SIGTERM); it is reaped on SIGCHLD.
void stop_helper(pid_t pid) noexcept;
} // namespace sys

// Prepares an empty table over tab (uninitialised room for max_locks slots) that queues on the
// two senders.
void init(table &d, slot *tab, sv::text_sender &answers, sv::text_sender &events) noexcept;

enum class outcome {
    ok,      // handled, its answer queued
    invalid, // not an s6lock request at all (shorter than 3 bytes, unknown operation): the
             // daemon must die with "invalid client request" (exit 100), as stock does
};

// Handles one request: acquire (answer 0 once the helper runs; EPROTO for a malformed one;
// EEXIST for an id already in use; the errno of a failed start) or release (answer 0, or
// ENOENT for an unknown id).
outcome handle_request(table &d, std::string_view msg) noexcept;

// True when the answer queue has room for one more answer (else stop reading requests).
bool can_take_request(table const &d) noexcept;
// True when the event queue has room for one more event (else leave the helpers' pipes and
// the limits alone until the client reads its events: the kernel keeps the bytes).
bool can_send_event(table const &d) noexcept;

// Reads what helper d.tab[i] said and acts: '!' for a pending lock sends the event "held"
// (0); EOF, a read error or any other byte sends that error (EPIPE, errno, EPROTO) and
// removes the slot, held or not.  True if the slot was removed (look at index i again).
bool handle_helper(table &d, std::size_t i) noexcept;

// The earliest deadline of a pending lock, or -1.
std::int64_t next_deadline(table const &d) noexcept;
// Stops the helpers of pending locks whose deadline is now or past, with the event
// ETIMEDOUT, as long as events fit.
void expire(table &d, std::int64_t now) noexcept;

// Stops every helper and empties the table, as the daemon does before it exits.
void clear(table &d) noexcept;

} // namespace lkd
