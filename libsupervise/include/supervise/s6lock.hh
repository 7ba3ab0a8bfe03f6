// The s6lock protocol: what stock libs6's s6lock_* client and s6lockd say to each other over
// the textclient channel (supervise/textclient.hh), as s6 2.11.3.2's libs6 sends it.
//
// Handshake banners: the client sends "s6lock v1.0 (b)\n", the daemon answers
// "s6lock v1.0 (a)\n".  Then every request is one framed message on fd 0; all integers are
// big-endian:
//
//   acquire   offset  size
//             0       2      id, chosen by the client (libs6 uses its lowest free index)
//             2       1      '<'
//             3       4      options: bit 0 set = exclusive lock, clear = shared
//             7       12     limit: an absolute TAI64N stamp (supervise/tai64n.hh) by which
//                            the lock must have come; seconds 0 = no limit
//             19      4      pathlen: the length of path
//             23      n+1    path (n = pathlen bytes), then one NUL
//   release   0       2      id
//             2       1      '>'
//
// The daemon answers each request on fd 1 with one byte, an errno value: 0 when an acquire
// was registered (the lock itself comes later) or a release done, ENOENT for a release of an
// unknown id, EPROTO for a malformed acquire.  Then, on the asynchronous channel, it reports
// what becomes of each acquire with a 3-byte message:
//
//   event     0       2      id
//             2       1      0 = the lock is now held; else an errno value: ETIMEDOUT (the
//                            limit passed), or why the lock was lost or never came (EPIPE:
//                            its helper exited, EPROTO: the helper misbehaved)
//
// libs6 treats a non-zero event for a held lock as its loss.  The path is relative to the
// daemon's lock directory, a leading '/' included (the daemon prefixes "./").
//
// Stock s6lockd 2.11.3.2 checks the acquire's length against 23 + pathlen, one byte short of
// what libs6 sends, so it answers EPROTO to every libs6 acquire; we accept libs6's format.
#pragma once

#include <cstdint>
#include <string_view>

#include <supervise/tai64n.hh>

namespace sv {

inline constexpr std::string_view s6lock_banner1 = "s6lock v1.0 (b)\n";
inline constexpr std::string_view s6lock_banner2 = "s6lock v1.0 (a)\n";

inline constexpr std::uint32_t s6lock_option_exclusive = 0x0001;
inline constexpr char s6lock_op_acquire = '<';
inline constexpr char s6lock_op_release = '>';
inline constexpr std::size_t s6lock_acquire_head = 23; // bytes before the path
inline constexpr std::size_t s6lock_release_size = 3;
inline constexpr std::size_t s6lock_event_size = 3;

struct s6lock_request {
    enum class kind { acquire, release } op;
    std::uint16_t id = 0;
    bool exclusive = false;
    tain limit{};          // seconds 0: no limit
    std::string_view path; // acquire only: pathlen bytes, inside the message
};

enum class s6lock_parse {
    ok,
    malformed, // an acquire whose lengths do not add up (or with a NUL inside the path): EPROTO
    invalid,   // shorter than 3 bytes or an unknown operation: the client is broken
};

// Reads one request message.  For ok, req.path views into msg.
s6lock_parse s6lock_parse_request(std::string_view msg, s6lock_request &req) noexcept;

// Packs the 23-byte head of an acquire; the message is the head, then path, then one NUL.
void s6lock_pack_acquire(char out[s6lock_acquire_head], std::uint16_t id, bool exclusive,
                         tain limit, std::uint32_t pathlen) noexcept;
void s6lock_pack_release(char out[s6lock_release_size], std::uint16_t id) noexcept;

void s6lock_pack_event(char out[s6lock_event_size], std::uint16_t id, unsigned char code) noexcept;
// False unless msg is exactly 3 bytes.
bool s6lock_parse_event(std::string_view msg, std::uint16_t &id, unsigned char &code) noexcept;

// The monotonic deadline (ms) for a limit, given the wall clock and the monotonic clock now:
// -1 for no limit (seconds 0) or one too far ahead to matter, at most now_mono for a limit
// already past.
std::int64_t s6lock_limit_deadline(tain limit, tain now_wall, std::int64_t now_mono) noexcept;

} // namespace sv
