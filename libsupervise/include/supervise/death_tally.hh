// supervise/death_tally: one 14-byte record per death of ./run, oldest first.
//
// Record layout (s6 2.11):
//   offset  size  field
//        0    12  TAI64N of the death (the same value status.stamp got)
//       12     1  exit code, or 128 + signal if run was killed
//       13     1  signal number, or 0 if run exited
// A reader that finds a size that is not a multiple of 14 truncates the file to 0.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <sys/types.h>

#include <supervise/tai64n.hh>

namespace sv {

inline constexpr std::size_t death_record_size = 14;
inline constexpr std::size_t death_tally_default = 100;
inline constexpr std::size_t death_tally_max = 4096;

struct death_record {
    tain stamp;
    std::uint8_t exitcode = 0;
    std::uint8_t sig = 0;
    bool operator==(death_record const &) const = default;
};

void death_record_pack(char *out, death_record const &r) noexcept;
death_record death_record_unpack(char const *in) noexcept;

// The record for a death with wait status wstat at time t.
death_record death_record_from_wstat(tain t, int wstat) noexcept;

// Reads the newest out.size() records of DIR/supervise/death_tally into out, oldest first,
// and returns how many were read, or -1 with errno set.  Like s6's reader it creates the file
// (empty) when it is missing, and empties a file whose size is not a multiple of 14.
ssize_t death_tally_read(std::string_view dir, std::span<death_record> out) noexcept;

// Appends r and keeps only the newest max records (max <= death_tally_max), rewriting the file
// atomically through death_tally.new.  scratch must hold (max + 1) * 14 bytes; the daemon
// passes a static buffer so no allocation happens.  False with errno set on failure.
bool death_tally_append(std::string_view dir, death_record const &r, std::size_t max,
                        std::span<char> scratch) noexcept;

// Replaces DIR/supervise/death_tally with an empty file (through death_tally.new).
bool death_tally_clear(std::string_view dir) noexcept;

} // namespace sv
