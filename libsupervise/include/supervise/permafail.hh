// s6-permafailon's decision: do the recent deaths of a service, as supervise/death_tally
// records them, add up to a permanent failure?
//
// A status list says which deaths count.  Its items are separated by any run of ',' ';'
// space, tab, CR or LF (after an item; the list may not start with one):
//   N       an exit code, 0..255 (a run killed by signal S is recorded with exit code 128+S,
//           so 129-192 also catch signal deaths)
//   N-M     every exit code from N to M, N <= M <= 255
//   NAME    a signal: TERM, SIGTERM, sigterm, the aliases IOT, IO, CLD, or SIG<number>
// Errors, with stock s6 2.11.3.2's messages (each one exit 100):
//   a code over 255                               "invalid exit code"
//   "N-" not followed by digits                    "invalid interval specification"
//   M < N                                          "invalid interval"
//   an item that is neither a number nor a signal  "invalid status list specification"
//   SIG<number> that sigaddset refuses (0, 32, 33, 65 and up)   "invalid signal"
#pragma once

#include <bitset>
#include <csignal>
#include <cstddef>
#include <span>
#include <string_view>

#include <supervise/death_tally.hh>

namespace sv {

struct status_list
{
    std::bitset<256> codes; // the exit codes that count
    sigset_t sigs;          // the signals that count
};

enum class status_list_error {
    none,
    bad_code,
    bad_interval_spec,
    bad_interval,
    bad_spec,
    bad_signal
};

// Parses s into out (replacing what it held).
status_list_error status_list_scan(std::string_view s, status_list &out) noexcept;

// The message stock prints for an error (empty for none).
std::string_view status_list_message(status_list_error e) noexcept;

// True if the death r is one the list counts: killed by one of its signals, or with one of
// its exit codes.
bool status_list_matches(status_list const &l, death_record const &r) noexcept;

// Goes through deaths (oldest first) counting those that happened at or after since and match
// l; returns the index of the death that brings the count to count, or -1 if the count is
// never reached.  That death is the one s6-permafailon names in its message.
std::ptrdiff_t permafail_find(std::span<death_record const> deaths, status_list const &l,
                              tain since, unsigned count) noexcept;

} // namespace sv
