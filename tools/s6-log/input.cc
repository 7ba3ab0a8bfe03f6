#include "input.hh"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/logscript.hh>

#include "logdir.hh" // verbosity

namespace s6log {

namespace ls = sv::logscript;

std::size_t input_capacity(std::size_t linelimit) noexcept
{
    return std::max<std::size_t>(256 * 1024, 2 * linelimit + 2);
}

input::~input()
{
    std::free(buf_);
}

bool input::init(std::size_t linelimit) noexcept
{
    linelimit_ = linelimit;
    cap_ = input_capacity(linelimit);
    buf_ = static_cast<char *>(std::malloc(cap_));
    if (!buf_) return errno = ENOMEM, false;
    return true;
}

void input::compact() noexcept
{
    std::memmove(buf_, buf_ + start_, end_ - start_);
    end_ -= start_;
    start_ = 0;
}

// Only with -l 0, when one line fills the buffer.
void input::grow() noexcept
{
    auto *n = static_cast<char *>(std::realloc(buf_, cap_ * 2));
    if (!n) sv::die_sys(111, "unable to allocate memory");
    buf_ = n;
    cap_ *= 2;
}

bool input::can_fill() const noexcept
{
    if (ended_) return false;
    if (end_ - start_ + 1 < cap_) return true;
    return !linelimit_ && !lines_pending();
}

input::got input::fill(int fd) noexcept
{
    if (start_ && cap_ - end_ < cap_ / 4) compact();
    if (end_ + 1 >= cap_) {
        if (start_)
            compact();
        else if (!linelimit_)
            grow();
        else
            return got::again; // full of lines waiting for the outputs
    }
    ssize_t r = read(fd, buf_ + end_, cap_ - 1 - end_);
    if (r < 0) {
        if (errno == EINTR || errno == EAGAIN) return got::again;
        if (errno != EPIPE && verbosity) sv::warn_sys("unable to read from stdin");
        ended_ = true;
        return got::error;
    }
    if (!r) {
        // An unterminated last line is logged with a newline added, as newer s6 does and as
        // the SIGTERM path does; s6 2.11.3.2 silently drops it here.
        ended_ = true;
        return got::eof;
    }
    if (!have_nul_ && std::memchr(buf_ + end_, 0, static_cast<std::size_t>(r))) have_nul_ = true;
    end_ += static_cast<std::size_t>(r);
    return got::data;
}

input::got input::fill_last(int fd) noexcept
{
    for (;;) {
        if (end_ + 1 >= cap_) {
            if (start_)
                compact();
            else
                grow(); // -l 0 only: with a limit, the line stops below
        }
        char c;
        ssize_t r = read(fd, &c, 1);
        if (r < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) return got::again;
            if (errno != EPIPE && verbosity) sv::warn_sys("unable to read from stdin");
            ended_ = true;
            return got::error;
        }
        if (!r) {
            ended_ = true;
            return got::eof;
        }
        if (c == '\n' || !c) {
            ended_ = whole_ = true;
            return got::data;
        }
        buf_[end_++] = c;
        if (linelimit_ && end_ - start_ > linelimit_) {
            if (verbosity) sv::warn("input line too long, stopping before the end");
            ended_ = whole_ = true;
            return got::data;
        }
    }
}

bool input::lines_pending() const noexcept
{
    if (start_ == end_) return false;
    if (whole_ || ended_) return true;
    std::size_t len, used;
    return ls::next_line(buf_ + start_, end_ - start_, linelimit_, have_nul_, len, used);
}

// next() without a line split off: the rest may still be the last line.
bool input::last(std::size_t &len) noexcept
{
    if (start_ == end_) return false;
    if (whole_ || ended_) {
        // The rest is the last line: a partial line at the end of the input, or the line
        // SIGTERM let finish.
        len = used_ = end_ - start_;
        return true;
    }
    if (have_nul_) have_nul_ = std::memchr(buf_ + start_, 0, end_ - start_);
    return false;
}

} // namespace s6log
