// s6-log's main loop: stdin, the output queues, the logdirs' deadlines and the signals,
// watched with poll; then the finalization of every logdir.
#pragma once

#include <cstddef>
#include <span>

#include <supervise/logscript.hh>

#include "actions.hh"
#include "input.hh"
#include "logdir.hh"

namespace s6log {

struct settings
{
    std::size_t linelimit = sv::logscript::default_linelimit; // 0: none
    bool block = false;   // -b
    bool protect = false; // -p: ignore SIGTERM
};

class logger
{
public:
    // Everything the loop needs, reserved now: the stdin buffer and every output queue
    // (sized from the script and the line limit), the signal trap.  Dies (exit 111) if that
    // fails.  sc and lds must outlive the logger.
    void setup(settings const &set, sv::logscript::script const &sc,
               std::span<logdir> lds) noexcept;

    // Reads stdin until it ends (or SIGTERM/SIGHUP has let the line in progress finish), runs
    // every line through the script, and returns once everything is written, every rotation
    // finished and every logdir finalized.  Allocates nothing (but see queue.hh for -l 0).
    void run() noexcept;

private:
    bool process() noexcept;
    bool want_stdin(bool busy) const noexcept;
    void read_stdin() noexcept;
    void close_stdin() noexcept;
    void handle_signals() noexcept;
    bool flush_outputs(std::int64_t now, std::int64_t &wake) noexcept;
    void loop() noexcept;
    void finalize_all() noexcept;

    settings set_;
    std::span<logdir> lds_;
    input in_;
    actions acts_;
    int sigfd_ = -1;
    bool draining_ = false; // TERM/HUP seen: finishing the line in progress
    bool stalled_ = false;  // a line waits for room in an output queue
};

} // namespace s6log
