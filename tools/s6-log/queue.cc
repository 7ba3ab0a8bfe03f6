#include "queue.hh"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include <supervise/diag.hh>

namespace s6log {

queue::queue(queue &&o) noexcept
    : p_(std::exchange(o.p_, nullptr)), head_(o.head_), tail_(o.tail_), cap_(o.cap_)
{
    o.head_ = o.tail_ = o.cap_ = 0;
}

queue &queue::operator=(queue &&o) noexcept
{
    if (this != &o) {
        std::free(p_);
        p_ = std::exchange(o.p_, nullptr);
        head_ = std::exchange(o.head_, 0);
        tail_ = std::exchange(o.tail_, 0);
        cap_ = std::exchange(o.cap_, 0);
    }
    return *this;
}

queue::~queue()
{
    std::free(p_);
}

bool queue::init(std::size_t cap) noexcept
{
    auto *np = static_cast<char *>(std::realloc(p_, cap));
    if (!np) return errno = ENOMEM, false;
    p_ = np;
    cap_ = cap;
    head_ = tail_ = 0;
    return true;
}

char *queue::reserve(std::size_t n) noexcept
{
    if (cap_ - tail_ >= n) return p_ + tail_;
    if (head_) {
        std::memmove(p_, p_ + head_, tail_ - head_);
        tail_ -= head_;
        head_ = 0;
        if (cap_ - tail_ >= n) return p_ + tail_;
    }
    // Only with -l 0: a record longer than the capacity reserved at start-up.
    std::size_t ncap = cap_ ? cap_ : 65536;
    while (ncap - tail_ < n)
        ncap *= 2;
    auto *np = static_cast<char *>(std::realloc(p_, ncap));
    if (!np) sv::die_sys(111, "unable to allocate memory");
    p_ = np;
    cap_ = ncap;
    return p_ + tail_;
}

} // namespace s6log
