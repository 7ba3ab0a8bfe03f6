// The fd-holder protocol: what s6-fdholderd and its clients (s6-fdholder-store, -retrieve,
// -delete, -list, -getdump, -setdump, and libs6's s6_fdholder_* calls) say to each other.
//
// Every message is one unixmessage (unixmessage.hh: 4-byte length, 2-byte fd count, data,
// fds).  An id is 1 to 255 bytes, carried as a length byte, the bytes and a NUL.  A limit is
// a packed TAI64N stamp (12 bytes, tai64n.hh): the wall-clock time at which the daemon closes
// the fd; "no limit" is sent as now + 2^61 seconds, and readers take anything past now + 2^60
// seconds as no limit.
//
// Requests (the first byte names the operation):
//   'S' limit(12) idlen(1) id NUL           store, with 1 fd
//   'D' idlen(1) id NUL                     delete
//   'R' del(1) idlen(1) id NUL              retrieve (del 1: and delete)
//   'L'                                     list
//   '?'                                     getdump
//   '!' n(4)                                setdump: n fds will follow
//   '.' entry...                            setdump data, with one fd per entry (at most 255)
// where an entry is limit(12) idlen(1) id NUL, and every number is big-endian.
//
// Answers: a single byte, 0 for success or an errno value (EPERM denied by the rules, ENOENT
// no such id, EBUSY id taken, ENFILE store full, EAGAIN more setdump data expected); except
//   retrieve ok      0, with the fd
//   list ok          0 n(4) id NUL ... (n ids)
//   getdump ok       0 trips(4) n(4), then trips messages of entries, each with its fds
//   setdump ok       0 trips(4): how many '.' messages the daemon expects
// where trips is 1 + (n - 1) / 255 for n > 0, and 0 for none.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <supervise/tai64n.hh>

namespace sv::fdh {

inline constexpr std::size_t id_max = 255;     // the longest id
inline constexpr std::size_t conn_max = 256;   // s6-fdholderd's ceiling on -c
inline constexpr std::size_t fds_per_trip = 255; // fds in one getdump/setdump message
// fds in one setdump message of our clients: SCM_MAX_FD, the most one sendmsg() passes.  The
// daemons count a setdump's fds, not its messages, so more, smaller messages are taken.
inline constexpr std::size_t setdump_fds_per_message = 253;
inline constexpr std::size_t entry_max = tain_pack_size + 2 + id_max;
// The longest request: a store.
inline constexpr std::size_t request_max = 1 + entry_max;

enum class op : char {
    store = 'S',
    del = 'D',
    retrieve = 'R',
    list = 'L',
    getdump = '?',
    setdump = '!',
    setdump_data = '.',
};

// Limits: "no limit" as clients send it, and the point past which a limit means none.
tain limit_infinite(tain now) noexcept;
bool limit_is_infinite(tain limit, tain now) noexcept;

// True for an id the protocol carries: 1 to id_max bytes, no NUL.
bool id_valid(std::string_view id) noexcept;

// Number of data messages for n fds in a dump.
std::uint32_t trips(std::uint32_t n) noexcept;

// ---- Client side: requests.  Each writes into out (room for request_max bytes) and returns
// the length; the id is at most id_max bytes.
std::size_t pack_store(char *out, tain limit, std::string_view id) noexcept;
std::size_t pack_delete(char *out, std::string_view id) noexcept;
std::size_t pack_retrieve(char *out, std::string_view id, bool del) noexcept;
// The 5-byte setdump announcement.
std::size_t pack_setdump(char *out, std::uint32_t n) noexcept;
// One entry of a dump (getdump data and setdump data alike), without the leading '.'.
std::size_t pack_entry(char *out, tain limit, std::string_view id) noexcept;

// ---- Server side: requests.  body is the message less its first byte.  False for a
// malformed body (the daemon drops the client: EPROTO).
bool parse_store(std::string_view body, tain &limit, std::string_view &id) noexcept;
bool parse_delete(std::string_view body, std::string_view &id) noexcept;
bool parse_retrieve(std::string_view body, std::string_view &id, bool &del) noexcept;
bool parse_setdump(std::string_view body, std::uint32_t &n) noexcept;

// Takes one entry off the front of rest.  False if rest does not start with a whole, valid
// entry.
bool next_entry(std::string_view &rest, tain &limit, std::string_view &id) noexcept;

// ---- Answers.
// The 9-byte getdump head and the 5-byte setdump acceptance.
std::size_t pack_getdump_head(char *out, std::uint32_t n) noexcept;
std::size_t pack_setdump_ok(char *out, std::uint32_t n) noexcept;
// The 5-byte head of a list answer; the ids follow, each with its NUL.
std::size_t pack_list_head(char *out, std::uint32_t n) noexcept;

// Client side: reads an answer.  Each returns 0 (ok, outputs set), an errno value the daemon
// sent, or -1 for a malformed answer (EPROTO).
int parse_status(std::string_view data, std::size_t nfds) noexcept;
int parse_retrieve_answer(std::string_view data, std::size_t nfds) noexcept;
int parse_list_answer(std::string_view data, std::size_t nfds, std::uint32_t &n,
                      std::string_view &ids) noexcept;
int parse_getdump_head(std::string_view data, std::size_t nfds, std::uint32_t &trips,
                       std::uint32_t &n) noexcept;
int parse_setdump_answer(std::string_view data, std::size_t nfds, std::uint32_t &trips) noexcept;


// ---- The one-shot s6-fdholder-* tools' start.
// The operands of a tool whose only option is -t timeout (at least min of them), with the
// timeout in ms (0: none); dies with usage when they are wrong.
std::span<char const *const> timeout_and_operands(int argc, char **argv, std::size_t min,
                                                 std::string_view usage, unsigned &timeout_ms);
// The absolute monotonic deadline for a -t of ms milliseconds: -1 (none) for 0.
std::int64_t deadline_in(unsigned ms) noexcept;
// Connects to the daemon at path before deadline_ms, or dies (111) with stock's message,
// "unable to connect to WHAT at PATH" (what: "a fd-holder daemon", or s6-fdholder-
// transferdump's "a source fd-holder daemon" and "a destination fd-holder daemon").
int connect_or_die(char const *path, std::int64_t deadline_ms,
                   std::string_view what = "a fd-holder daemon") noexcept;

// ---- Client calls, for the one-shot s6-fdholder-* tools (they allocate).  sock is a
// connection to the daemon (ipc_connect_until); deadline_ms an absolute monotonic deadline
// (-1 = none).  Each returns false (or -1) with errno set: the errno value the daemon
// answered (EPERM, ENOENT, EBUSY, ENFILE...), ENAMETOOLONG for an id over id_max, EPROTO for
// a malformed answer, ETIMEDOUT, or what a send or receive said (EPIPE when the daemon hangs
// up, as it does on an empty id, which is sent as it is, as libs6 sends it).
bool store(int sock, int fd, std::string_view id, tain limit, std::int64_t deadline_ms);
bool remove(int sock, std::string_view id, std::int64_t deadline_ms);
// The fd retrieved (close-on-exec), or -1.
int retrieve(int sock, std::string_view id, bool del, std::int64_t deadline_ms);
// The held ids, in the daemon's order.
bool list(int sock, std::vector<std::string> &ids, std::int64_t deadline_ms);

// One fd of a dump.
struct dump_entry {
    int fd = -1;
    tain limit;
    std::string id;
};
// Every held fd with its id and limit; the fds are the caller's (close-on-exec).
bool getdump(int sock, std::vector<dump_entry> &out, std::int64_t deadline_ms);
// Gives the daemon these fds (ids must be id_valid; EINVAL otherwise).
bool setdump(int sock, std::span<dump_entry const> dump, std::int64_t deadline_ms);

} // namespace sv::fdh
