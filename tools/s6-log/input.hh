// s6-log's stdin: a buffer reserved at start-up, read in large chunks and split into lines in
// place (2.11's rules: a line ends at '\n' or NUL, and is cut at the line limit); after
// SIGTERM or SIGHUP, the line in progress is finished one byte at a time, so that nothing
// after it is taken from stdin.
#pragma once

#include <cstddef>

#include <supervise/logscript.hh>

namespace s6log {

// The stdin buffer's size: large reads for throughput, and room for two whole lines.
std::size_t input_capacity(std::size_t linelimit) noexcept;

class input
{
public:
    input() noexcept = default;
    input(input const &) = delete;
    input &operator=(input const &) = delete;
    ~input();

    // Reserves the buffer for linelimit (0: no limit; the buffer then grows with the longest
    // line).  False (errno ENOMEM) if memory is short.
    bool init(std::size_t linelimit) noexcept;

    enum class got { data, again, eof, error };

    // One read() from fd into the free space.  eof and error (errno set) end the input: what
    // is left after the last complete line becomes the last line, with a newline added.
    got fill(int fd) noexcept;
    // Room to read into: false while the buffer is full of lines waiting for room in the
    // output queues.
    bool can_fill() const noexcept;

    // After SIGTERM/SIGHUP: reads one byte at a time until the line in progress is complete.
    // Returns data once it is (the input is then at its end), again if fd has nothing more
    // for now, eof or error as fill does.  Call it only while lines_pending() is false.
    got fill_last(int fd) noexcept;

    // The next line to run (without its terminator): its start and length.  False when no
    // complete line is buffered.  line[len] may be written over until pop().
    bool next(char *&line, std::size_t &len) noexcept
    {
        line = buf_ + start_;
        if (start_ != end_ && !whole_ &&
            sv::logscript::next_line(line, end_ - start_, linelimit_, have_nul_, len, used_))
            return true;
        return last(len);
    }
    // Consumes the line next() gave.
    void pop() noexcept
    {
        start_ += used_;
        used_ = 0;
        if (start_ == end_) {
            start_ = end_ = 0;
            have_nul_ = false;
        }
    }

    // Ends the input here: the partial line left, if any, is the last line.
    void end() noexcept { ended_ = true; }
    bool ended() const noexcept { return ended_; }
    // Something is buffered (a line, or the start of one).
    bool pending() const noexcept { return start_ < end_; }
    // A complete line is buffered (next() would return true).
    bool lines_pending() const noexcept;

private:
    bool last(std::size_t &len) noexcept;
    void compact() noexcept;
    void grow() noexcept;

    char *buf_ = nullptr;
    std::size_t cap_ = 0, linelimit_ = 0;
    std::size_t start_ = 0, end_ = 0; // unprocessed bytes; one spare byte after end_
    std::size_t used_ = 0;            // what pop() consumes
    bool have_nul_ = false;           // a NUL may be in [start_, end_)
    bool ended_ = false;              // no more input: the rest is the last line
    bool whole_ = false;              // the rest is one line, however long (SIGTERM's last)
};

} // namespace s6log
