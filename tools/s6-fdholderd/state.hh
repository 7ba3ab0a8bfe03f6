// s6-fdholderd's state and decisions: the held fds, the clients, and what each request does
// to them.  The system calls the decisions make (send an answer, close an fd, read the
// clock) go through the seam below, so the unit tests drive every request without a socket.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include <regex.h>

#include <supervise/fdholder.hh>
#include <supervise/tai64n.hh>
#include <supervise/unixmessage.hh>

namespace fdhd {

// One held fd.  fd < 0: a free slot.  The daemon reserves its maxfds slots without
// constructing them (a slot is first written when taken, see state::top), so that an idle
// daemon's memory is not charged for 1000 empty ids.
struct held {
    int fd = -1;
    sv::tain limit;
    std::uint8_t idlen = 0;
    char id[sv::fdh::id_max + 1];
    std::string_view name() const noexcept { return {id, idlen}; }
};

// What a client may do, from the S6_FDHOLDER_* variables of its access rule.
enum : unsigned { may_getdump = 1, may_setdump = 2, may_list = 4 };

// One connected client.  fd < 0: a free slot.
struct client {
    int fd = -1;
    unsigned flags = 0;
    std::uint32_t dumping = 0; // setdump fds still expected
    std::int64_t deadline_ms = -1;
    regex_t rre, wre;          // retrieve and store/delete regexes
    sv::umsg_receiver rx;
};

// The system calls the decisions make.
struct sys {
    // Sends one message (parts concatenated) with fds to a client; false to drop it.
    bool (*send)(int sock, std::span<std::string_view const> parts, std::span<int const> fds);
    void (*close)(int fd);
};

struct state {
    std::span<held> fds;      // maxfds slots, reserved at start-up
    // The free slots, a stack: the slot freed last is taken first, and a fresh state hands out
    // slot 0, 1, 2... in turn.  Stock keeps its fds the same way, and list and getdump walk
    // the slots in order, so the order of their answers is stock's after any deletions too.
    std::span<std::uint32_t> free; // maxfds entries
    std::uint32_t nfree = 0;
    std::uint32_t top = 0; // slots [0, top) have been used; the rest were never written
    std::span<client> clients; // maxconn slots
    std::uint32_t nfds = 0;
    std::uint32_t nclients = 0;
    sys const *io = nullptr;
    // Scratch for list and getdump answers, reserved at start-up: room for every held fd.
    std::span<int> fdlist;   // fds_per_trip entries
    std::span<char> scratch; // scratch_size(maxfds) bytes
};

// The scratch a list or getdump answer needs with maxfds slots.
constexpr std::size_t scratch_size(std::size_t maxfds) noexcept
{
    return 5 + maxfds * sv::fdh::entry_max;
}

// Makes every slot of s.fds free (s.free must have as many entries).
void init_slots(state &s) noexcept;

// The held fd with this id, or nullptr.
held *find(state &s, std::string_view id) noexcept;

// Handles one message from client c: false when the client must be dropped (a protocol
// error, errno EPROTO, or an answer that could not be sent).  The message's fds become the
// state's or are closed.  now is the wall clock, for nothing but setdump's default.
bool handle(state &s, client &c, sv::umsg const &m) noexcept;

// Closes and forgets every held fd whose limit is not after now, earliest limit first (the
// order stock frees their slots in); the earliest limit left (tain{} when nothing is held).
sv::tain expire(state &s, sv::tain now) noexcept;

// Drops client c: closes its socket and the fds it still had in flight, frees its regexes.
void drop(state &s, client &c) noexcept;

// The exit code after SIGTERM: 1 if fds are still held, 2 if clients remain, or'ed.
int exit_code(state const &s) noexcept;

} // namespace fdhd
