// supervise/status: the 35-byte record s6-supervise rewrites at every change.
//
// Byte layout (s6 2.11, all integers big-endian):
//   offset  size  field
//        0    12  stamp       TAI64N of the last up/down transition
//       12    12  readystamp  TAI64N of the last time the service became ready (or down-and-ready)
//       24     8  pid         run's pid, or finish's pid while finishing; 0 = none
//       32     2  wstat       raw wait status of the last death of run (low 16 bits)
//       34     1  flags       0x01 paused, 0x02 finishing, 0x04 wantup, 0x08 ready
// "Up" means pid != 0 && !finishing.  Readers accept only a file of at least 35 bytes.
#pragma once

#include <cstdint>
#include <string_view>

#include <supervise/tai64n.hh>

namespace sv {

inline constexpr std::size_t status_size = 35;

struct status {
    tain stamp;
    tain readystamp;
    std::uint64_t pid = 0;
    std::uint16_t wstat = 0;
    bool paused = false;
    bool finishing = false;
    bool wantup = false;
    bool ready = false;

    bool is_up() const noexcept { return pid && !finishing; }
    bool operator==(status const &) const = default;
};

void status_pack(char *out, status const &s) noexcept;
status status_unpack(char const *in) noexcept;

// Reads DIR/supervise/status.  False with errno set on failure; a file shorter than 35 bytes
// gives EPIPE, as in s6.
bool status_read(std::string_view dir, status &s) noexcept;

// Writes DIR/supervise/status.new and renames it over DIR/supervise/status, so a reader always
// sees 35 consistent bytes.  False with errno set on failure.
bool status_write(std::string_view dir, status const &s) noexcept;

} // namespace sv
