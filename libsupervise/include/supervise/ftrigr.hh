// The ftrigr protocol: what stock libs6's ftrigr_* functions and the s6-ftrigrd helper they
// spawn say to each other, over the text-client channel of supervise/textclient.hh.  Stock
// s6-svwait, s6-svlisten1, s6-svlisten, s6-ftrig-wait, s6-ftrig-listen(1), s6-notifyoncheck,
// s6-rc and s6-linux-init all spawn /usr/bin/s6-ftrigrd this way (ftrigr_startf); ours must
// answer them exactly.
//
// Handshake banners: client "ftrigr v1.0 (b)\n", helper "ftrigr v1.0 (a)\n".
//
// Requests (client -> helper, one per message; ID is the client's 16-bit handle, big-endian):
//     ID(2) 'L' OPTIONS(4) PATHLEN(4) RELEN(4) PATH NUL RE NUL     subscribe
//         17 + PATHLEN + RELEN bytes in all; byte 15 + PATHLEN and the last byte must be NUL.
//         OPTIONS bit 0 (ftrigr_repeat): report every match, not just the first.
//     ID(2) 'U' [anything]                                        unsubscribe
// Answers (helper -> client, synchronous): one byte, an errno value, 0 = done.
//     'L': EPROTO (malformed), ENFILE (ftrigr_max subscriptions already), EINVAL (bad regex),
//          ENOMEM, or the errno of creating the FIFO (ENOENT: no such fifodir, ...).
//     'U': EINVAL if no subscription has that ID.
// A message shorter than 3 bytes or with another command letter is fatal for the helper
// ("invalid client request", exit 100).  IDs are not checked for uniqueness: 'U' removes the
// first subscription found with the ID.
//
// Events (helper -> client, asynchronous, 4 bytes each):
//     ID(2) '!' C        a match; C is the last byte of the matched text
//     ID(2) 'd' ERRNO    reading the FIFO failed; the subscription is gone
// Without ftrigr_repeat a subscription ends (its FIFO is removed) after its first '!'.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sv {

inline constexpr std::string_view ftrigr_banner1 = "ftrigr v1.0 (b)\n";
inline constexpr std::string_view ftrigr_banner2 = "ftrigr v1.0 (a)\n";
// Where stock libs6 (Debian's, S6_EXTBINPREFIX /usr/bin/) finds the helper.
inline constexpr char const *ftrigrd_path = "/usr/bin/s6-ftrigrd";
// Subscriptions one helper serves at most (s6's FTRIGR_MAX).
inline constexpr std::size_t ftrigr_max = 1000;
inline constexpr std::uint32_t ftrigr_repeat = 0x0001;

inline constexpr std::size_t ftrigr_subscribe_header = 15; // ID, 'L', three 32-bit fields
inline constexpr std::size_t ftrigr_unsubscribe_size = 3;
inline constexpr std::size_t ftrigr_event_size = 4;

// A request as the helper reads it.
struct ftrigr_request {
    enum class kind {
        subscribe,   // 'L', well formed: path and regex point into the message (NUL-ended)
        unsubscribe, // 'U'
        malformed,   // an 'L' that does not add up: answer EPROTO
        invalid,     // too short or an unknown letter: the helper dies (exit 100)
    };
    kind what = kind::invalid;
    std::uint16_t id = 0;
    std::uint32_t options = 0;
    char const *path = nullptr;
    char const *regex = nullptr;
};

// Decodes one request message (the payload of one textclient message).
ftrigr_request ftrigr_parse(std::string_view msg) noexcept;

// The fixed part of a subscribe request; PATH, NUL, RE, NUL follow it in the same message.
void ftrigr_pack_subscribe(char out[ftrigr_subscribe_header], std::uint16_t id,
                           std::uint32_t options, std::uint32_t pathlen,
                           std::uint32_t relen) noexcept;
void ftrigr_pack_unsubscribe(char out[ftrigr_unsubscribe_size], std::uint16_t id) noexcept;

// An asynchronous event.
struct ftrigr_event {
    std::uint16_t id = 0;
    char what = 0;          // '!' (a match) or 'd' (an error)
    unsigned char info = 0; // the last byte of the match, or the errno
};
void ftrigr_pack_event(char out[ftrigr_event_size], ftrigr_event const &e) noexcept;
// False if msg is not a 4-byte '!' or 'd' event.
bool ftrigr_unpack_event(std::string_view msg, ftrigr_event &e) noexcept;

} // namespace sv
