// Syslog lines as s6-socklog and ucspilogd (s6 2.11.3.2) print them.
//
// A client's message may start with an RFC 3164 priority, "<PRI>": decimal digits whose value
// fits in 32 bits (leading zeros allowed, no sign, no space).  Both programs replace it with
// "facility.priority: ", the names being glibc's <syslog.h> tables as the stock binaries use
// them: the facility is bits 3..9 of PRI (0..127), the priority its low 3 bits.  Where glibc
// has two names for one value the first in its alphabetical table wins, so 4 is "auth" (not
// "security"), priority 0 "emerg" (not "panic"), 3 "err" and 4 "warn" (not "warning").
// Facilities 12..15 and 25..127 have no name and print as "unknown".  Anything else (no
// '<', no digits, a value over 32 bits, no '>') is not a priority and is left as it is.
//
// s6-socklog also turns one datagram into one line (syslog_clean) and marks a datagram that
// did not fit (syslog_truncated_mark); ucspilogd keeps a leading TAI64N label in front of
// its own prefixes (syslog_stamp_len).  Nothing here allocates.
#pragma once

#include <cstddef>
#include <string_view>

namespace sv {

// The longest "facility.priority: " prefix, with room to spare ("authpriv.notice: " is 17).
inline constexpr std::size_t syslog_prefix_max = 32;

// The name of PRI's facility and of its priority.
std::string_view syslog_facility_name(unsigned pri) noexcept;
std::string_view syslog_priority_name(unsigned pri) noexcept;

// If line starts with "<PRI>", the number of characters it takes (3 or more), with its value
// in pri; 0 otherwise (pri untouched).
std::size_t syslog_scan_pri(std::string_view line, unsigned &pri) noexcept;

// The prefix that replaces line's "<PRI>": writes "facility.priority: " into out (room for
// syslog_prefix_max bytes) and returns its length, with *consumed = the length of "<PRI>".
// 0 (and *consumed = 0) when line has no priority.
std::size_t syslog_prefix(std::string_view line, char *out, std::size_t *consumed) noexcept;

// Makes the first len bytes of msg one line, as s6-socklog does with a datagram: every
// trailing NUL and newline is dropped, and each NUL or newline left inside becomes '~'.
// Returns the new length.
std::size_t syslog_clean(char *msg, std::size_t len) noexcept;

// What s6-socklog appends to a message that filled its whole receive buffer (linelen + 1
// bytes), i.e. that may have been cut.
inline constexpr std::string_view syslog_truncated_mark = "...";

// 26 if record starts with a TAI64N label and its space ("@", then 25 characters of which
// only the last is a space), as ucspilogd recognises a label put in front by a logger; 0
// otherwise.  record excludes its terminator.
std::size_t syslog_stamp_len(std::string_view record) noexcept;

// Formats one s6-socklog output line into out: from (the peer's "ADDR_PORT: " for UDP, or
// empty), then unless raw the priority prefix, then msg (already cleaned, its "<PRI>"
// replaced), the truncation mark if cut, and '\n'.  out needs room for
// from.size() + syslog_prefix_max + msg.size() + 4 bytes.  Returns the length written.
std::size_t syslog_format_line(std::string_view from, std::string_view msg, bool raw, bool cut,
                               char *out) noexcept;

} // namespace sv
