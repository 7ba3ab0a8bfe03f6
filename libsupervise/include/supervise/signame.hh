// Signal names as s6 prints and parses them (skalibs' table, Linux numbering).
#pragma once

#include <string_view>

namespace sv {

// The bare name without "SIG" ("TERM", "POLL" for 29, "STKFLT" for 16), or "???" for a number
// with no name, which is what s6-svstat prints after "SIG".
std::string_view sig_name(int sig) noexcept;

// Parses a signal: a name with or without the "SIG" prefix, any case ("term", "SIGHUP", also
// the aliases IOT, IO, CLD), or a decimal number, also after SIG ("SIG15", as skalibs'
// sig0_scan takes it).  Numbers must be 1..NSIG-1.  Returns 0 if s is none of these.
int sig_scan(std::string_view s) noexcept;

// The same syntax, but a number (bare or after SIG) is taken whatever its value, up to
// UINT_MAX, as sig0_scan itself does: its caller, not the scanner, decides which numbers are
// signals (s6-permafailon says "invalid signal" for SIG0 or SIG99 and "invalid status list
// specification" for what does not scan at all).  False if s is neither a name nor a number.
bool sig_scan_raw(std::string_view s, unsigned &out) noexcept;

} // namespace sv
