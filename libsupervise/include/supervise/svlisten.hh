// Waiting for services to reach a state by listening to their event/ fifodirs: the engine
// behind s6-svwait, s6-svlisten1 and s6-svc -w.  Unlike stock s6, which delegates the FIFOs to
// a forked s6-ftrigrd, the listening happens in-process, with the same on-disk contract.
//
// For each service the order is: subscribe to DIR/event, *then* read DIR/supervise/status,
// so no transition can slip between the two.  Event bytes then update (up, ready):
//   u -> (1,0)   U -> (1,1)   d -> (0,0)   D -> (0,1)
//   O -> when waiting for up: one failure, and the service counts as in the wanted state
//   x -> if (up, ready) differs from the wanted pair: one failure; either way it counts as in the
//        wanted state.  Like s6 2.11 the comparison is exact, so a down-and-ready service counts
//        a failure on x even while -d (which ignores readiness) is being waited for.
// Bytes read after the target was reached are kept for the next wait(), so a two-phase wait
// (-r: down, then up) does not lose a "Du" that arrived in one read.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include <supervise/fifodir.hh>

namespace sv {

struct wait_target {
    bool up;    // wanted: up (true) or down (false)
    bool ready; // also wanted: ready (U) or down-and-ready (D)
    bool any;   // one service in the state is enough (-o), instead of all (-a)
};

class svlisten {
public:
    // Subscribes to every DIR/event and reads each DIR/supervise/status.  On failure returns
    // false with errno set; failed_index() names the service and failed_subscribe() tells
    // which step failed.
    bool init(std::span<char const *const> dirs) noexcept;
    std::size_t failed_index() const noexcept { return failed_; }
    bool failed_subscribe() const noexcept { return failed_sub_; }

    // Waits until target holds, or the absolute monotonic deadline (ms, -1 = none) passes.
    // Returns the number of failures seen (0 = clean success), -1 on timeout, -2 on a system
    // error (errno set).
    int wait(wait_target target, std::int64_t deadline_ms) noexcept;

    // Unsubscribes from everything now (the destructor does it too, but a tool that leaves
    // through _exit must call this first, or its FIFOs stay behind in event/).
    void clear() noexcept
    {
        svc_.reset();
        n_ = 0;
    }

private:
    struct service {
        listener l;
        bool up = false;
        bool ready = false;
        char pending[256]; // bytes read but not yet applied (pending[pos..len))
        std::size_t pending_pos = 0, pending_len = 0;
    };
    bool holds(wait_target t) const noexcept;
    // Applies the pending bytes of s one by one until target holds; true if it does.
    bool apply_pending(service &s, wait_target t, int &failures) noexcept;

    std::unique_ptr<service[]> svc_;
    std::size_t n_ = 0;
    std::size_t failed_ = 0;
    bool failed_sub_ = false;
};

} // namespace sv
