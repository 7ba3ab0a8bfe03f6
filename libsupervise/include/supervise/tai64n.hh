// TAI64N stamps and monotonic deadlines.
//
// Byte layout of a packed TAI64N stamp (12 bytes, as in s6's status file and death tally):
//   bytes 0..7   TAI64 seconds, big-endian: 2^62 + unix seconds + 10 + leap seconds so far
//   bytes 8..11  nanoseconds 0..999999999, big-endian
// Like Debian's skalibs (no --enable-tai-clock), the system clock is taken as UTC and the
// 27-entry leap second table is applied, so today's offset is 2^62 + 37.
// Text form: '@' followed by the 12 bytes as 24 lowercase hex digits (25 characters).
#pragma once

#include <compare>
#include <cstdint>
#include <string_view>

namespace sv {

struct tain {
    std::uint64_t sec = 0;  // TAI64 label (2^62 + ...)
    std::uint32_t nano = 0; // 0..999999999
    auto operator<=>(tain const &) const = default;
};

inline constexpr std::uint64_t tai64_base = std::uint64_t{1} << 62;
inline constexpr std::size_t tain_pack_size = 12;
inline constexpr std::size_t tain_label_size = 25;

// Number of leap seconds (TAI - UTC - 10) in force at the given unix time, per skalibs' table.
unsigned leap_seconds_at(std::int64_t unix_seconds) noexcept;

// The wall clock as a TAI64N stamp.
tain tain_now() noexcept;

// Conversions between unix time (UTC) and TAI64N.
tain tain_from_unix(std::int64_t unix_seconds, std::uint32_t nano) noexcept;
std::int64_t unix_from_tain(tain t) noexcept;

void tain_pack(char *out, tain t) noexcept;
tain tain_unpack(char const *in) noexcept;

// Writes the 25-character label ('@' + 24 hex) into out (no NUL).
void tain_fmt(char *out, tain t) noexcept;
// Parses a label at the start of s ('@' + 24 hex digits, either case).  False if malformed.
bool tain_scan(std::string_view s, tain &t) noexcept;

// Whole seconds from a to b (b - a), floored; negative if b < a.
std::int64_t tain_seconds_between(tain a, tain b) noexcept;

// Adds a number of milliseconds.
tain tain_add_ms(tain t, std::int64_t ms) noexcept;

// Monotonic clock in milliseconds, for deadlines (never the wall clock).
std::int64_t mono_ms() noexcept;

// poll() timeout for an absolute monotonic deadline: -1 for none (deadline < 0), else the
// milliseconds left, at least 0.
int poll_timeout(std::int64_t deadline_ms, std::int64_t now_ms) noexcept;

} // namespace sv
