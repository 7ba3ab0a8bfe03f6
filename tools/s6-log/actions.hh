// What s6-log does with one line: the selection, the stamps, and the four actions (1, 2,
// =FILE, logdir), with the sizes of every buffer worked out once from the script.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <sys/uio.h>
#include <vector>

#include <supervise/logscript.hh>
#include <supervise/tai64n.hh>
#include <supervise/timestamp.hh>

#include "logdir.hh"
#include "queue.hh"

namespace s6log {

class actions
{
public:
    // Binds the script and its logdirs (which must outlive this), reserves the queue of every
    // logdir and of stdout for the script's longest records, and reads the clocks once so
    // that their first use (the local time zone) is not in the loop.  False (errno ENOMEM)
    // if memory is short.
    bool init(sv::logscript::script const &sc, std::span<logdir> lds,
              std::size_t linelimit) noexcept;

    // Whether every output queue has room for what a line of len bytes can add to it.  An
    // empty queue always takes a line (it grows only with -l 0, for an unbounded line).
    bool fits(std::size_t len) const noexcept;
    // How many more lines, however long, every queue has room for now (0 with -l 0): lines
    // up to that many need no fits().
    std::size_t safe_lines() const noexcept;

    // Runs one line (without its terminator) through the script.  line[len] must be
    // writable: a NUL goes there while the regexes look at the line.
    void run_line(char *line, std::size_t len) noexcept;

    // Writes what it can of the stdout queue without blocking.  On an error other than
    // EAGAIN, stdout is closed and the 1 action does nothing more (as in s6).
    void flush_stdout() noexcept;
    bool stdout_pending() const noexcept { return out1_.size(); }

private:
    // What a line can add to one output (0: stdout, 1 + i: logdir i): count records of the
    // line's length, plus extra bytes of stamps, prefixes and newlines; most for the longest
    // line (0 with -l 0).
    struct demand
    {
        std::size_t count = 0, extra = 0, most = 0;
    };

    queue &target(std::size_t output) noexcept;
    std::size_t pieces(iovec *v, sv::logscript::action const &a, char const *line,
                       std::size_t len, char const *tail, std::size_t taillen) noexcept;
    void append(queue &q, sv::logscript::action const &a, char const *line,
                std::size_t len) noexcept;
    void alert(sv::logscript::action const &a, char const *line, std::size_t len) noexcept;
    void status(sv::logscript::action const &a, char const *line, std::size_t len) noexcept;
    void act(sv::logscript::action const &a, char const *line, std::size_t len) noexcept;
    [[gnu::always_inline]] inline void stamp() noexcept;

    sv::logscript::script const *sc_ = nullptr;
    std::span<logdir> lds_;
    std::vector<demand> demand_; // one per output, sized at init
    queue out1_;
    bool stdout_open_ = true;

    // Stamps of the line being processed.
    sv::tai_stamper tai_;
    sv::iso_stamper iso_;
    char tstamp_[sv::tain_label_size + 1];
    char hstamp_[sv::iso_stamp_max + 2];
    std::size_t hlen_ = 0;
};

} // namespace s6log
