// s6-ftrigrd's state: the table of subscriptions and the decisions taken on a client request
// or on a FIFO that became readable.  Pure logic over the state struct: answers and events
// are only queued here (main.cc writes them out), and the FIFOs are sv::ftrig_sub's, so the
// unit tests drive these functions on temporary fifodirs without any process.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <supervise/ftrigr.hh>
#include <supervise/ftrigsub.hh>
#include <supervise/textclient.hh>

namespace ftd {

// Room an event costs in the asynchronous queue (header + 4 bytes).
inline constexpr std::size_t event_cost = sv::text_header_size + sv::ftrigr_event_size;
// Room one FIFO read may need: at most one event per byte read, plus a 'd'.
inline constexpr std::size_t read_cost = (sv::ftrig_chunk + 1) * event_cost;
// Room an answer costs in the synchronous queue.
inline constexpr std::size_t answer_cost = sv::text_header_size + 1;

struct slot {
    std::uint16_t id = 0; // the client's handle
    std::size_t pollidx = 0; // its entry in main.cc's poll array
    sv::ftrig_sub sub;
};

// Everything the helper knows.  One static instance lives in main.cc.  subs[0..n) are the
// live subscriptions, in the order stock s6-ftrigrd keeps its array (a removal moves the last
// one into the hole), which decides which one 'U' finds first for a duplicated ID.  A slot is
// allocated when a subscription is made (as its regex is) and freed when it ends: an idle
// helper touches no more memory than it serves.
struct helper {
    std::array<slot *, sv::ftrigr_max> subs{};
    std::size_t n = 0;
    sv::text_sender *answers = nullptr; // synchronous channel
    sv::text_sender *events = nullptr;  // asynchronous channel
};

// Prepares an empty table that queues on the two senders.
void init(helper &h, sv::text_sender &answers, sv::text_sender &events) noexcept;

enum class outcome {
    ok,      // request handled, its answer queued
    invalid, // the request is not ftrigr at all: the helper must die (exit 100)
    no_room, // the answer could not be queued (should not happen: see can_take_request)
};

// Handles one request message: subscribes or unsubscribes and queues the answer.
outcome handle_request(helper &h, std::string_view msg) noexcept;

// True when the answer queue has room for one more answer (otherwise stop reading requests).
bool can_take_request(helper const &h) noexcept;

// True when the event queue has room for one more FIFO read (otherwise leave the FIFOs
// alone until the client has read its events: bounded memory, the kernel keeps the bytes).
bool can_read_fifo(helper const &h) noexcept;

// Reads the FIFO of the live subscription h.subs[i] (as long as the event
// queue has room, up to 32 reads), queues its events, and removes it if it has ended.
// Returns true if the subscription was removed (the caller must not advance i then).
bool handle_fifo(helper &h, std::size_t i) noexcept;

// Removes every subscription (unlinking the FIFOs), as the helper does before it exits.
void clear(helper &h) noexcept;

} // namespace ftd
