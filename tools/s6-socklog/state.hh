// s6-socklog's state and its decisions: one receive buffer and one output buffer, both
// reserved at start-up from -l, and plain functions that say when to read the socket, when
// to write stdout, when to stop, and that turn a datagram into a line in the output buffer.
// The system calls are in main.cc; the unit tests drive these functions directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace socklog {

// -l is clamped to this range, as in stock.
inline constexpr unsigned linelen_min = 76;
inline constexpr unsigned linelen_max = 1048576;
// The longest "ADDR_PORT: " put before a UDP sender's line.
inline constexpr std::size_t from_max = 64;
// How many datagrams already queued are still read after SIGTERM (see on_term).
inline constexpr unsigned drain_max = 1024;

struct state
{
    std::size_t linelen = 1024;    // -l: a datagram longer than this is cut
    bool raw = false;              // -r: no "<PRI>" translation
    std::int64_t lameduck_ms = -1; // -t: how long to flush after SIGTERM (-1 = no limit)
    std::span<char> line;          // batch slots of linelen + 1 bytes, one datagram each
    unsigned batch = 1;            // how many datagrams one read may take (batch_size)
    std::span<char> out;           // the output buffer
    std::size_t len = 0;           // bytes waiting in out
    bool cont = true;              // false after SIGTERM
    unsigned drain = 0;            // datagrams still to read after SIGTERM
    std::int64_t deadline = -1;    // the lame-duck deadline (monotonic ms), -1 = none
};

// The most datagrams one read takes: up to 32, in at most 256 KiB of slots (at least one).
unsigned batch_size(std::size_t linelen) noexcept;

// How many datagrams to read now: as many as the batch and the output buffer's room for
// whole lines allow (and, after SIGTERM, the datagrams left to drain); 0 = do not read.
unsigned read_count(state const &s) noexcept;

// The output buffer size for a linelen: four lines' worth as in stock, and at least 64 KiB so
// that many small messages go out in one write.
std::size_t out_size(std::size_t linelen) noexcept;

// The room a line of the longest datagram needs in the output buffer.
inline std::size_t line_room(state const &s) noexcept
{
    return s.linelen + 1 + from_max + 32 + 4;
}

// Whether stdout has something to be written.
inline bool want_write(state const &s) noexcept
{
    return s.len != 0;
}

// Whether to write stdout before the next read: the output buffer has lines and no longer
// has room for a whole batch.  Reading on would take the queue a few datagrams at a time
// (the room is counted for the longest line, a logger line is a tenth of that), one system
// call each; a write first lets the next read take a whole batch.
inline bool flush_first(state const &s) noexcept
{
    return s.len != 0 && (s.out.size() - s.len) / line_room(s) < s.batch;
}

// Whether s6-socklog is done: SIGTERM came, the queue is drained and everything written.
bool finished(state const &s) noexcept;

// SIGTERM at monotonic time now: stop taking new messages, read what is already queued (at
// most drain_max datagrams, until the socket is empty), then flush and exit, within -t.
// A second SIGTERM changes nothing.
void on_term(state &s, std::int64_t now) noexcept;

// The socket had nothing more to read.  After SIGTERM that ends the draining.
void on_empty(state &s) noexcept;

// A datagram of n bytes (n >= 1) is at msg, a slot of s.line (n == linelen + 1: it was
// cut), from the peer named by from ("" for the Unix socket).  Appends its line to the output
// buffer, which must have room (read_count counted it).
void on_datagram(state &s, char *msg, std::size_t n, std::string_view from) noexcept;

// n bytes at the front of the output buffer were written.
void on_written(state &s, std::size_t n) noexcept;

// The poll timeout in ms at monotonic time now: -1 without a deadline, else what is left of
// it (0 when it has passed: exit 99).
int poll_timeout(state const &s, std::int64_t now) noexcept;

} // namespace socklog
