// s6-log's output buffers: one byte queue per logdir and one for stdout.  Records are appended
// at the tail and written out from the head.
//
// The capacity is reserved once, at start-up, from the script (queue_capacity in actions.hh),
// so the running logger never allocates: the input side checks room() before it runs a line,
// and stops taking lines while any queue is too full for the longest record.  Only with
// -l 0 (no line limit), where no record size is known in advance, does reserve() grow a queue
// for a record longer than anything before it.
#pragma once

#include <cstddef>

namespace s6log {

class queue
{
public:
    queue() noexcept = default;
    queue(queue &&o) noexcept;
    queue &operator=(queue &&o) noexcept;
    queue(queue const &) = delete;
    queue &operator=(queue const &) = delete;
    ~queue();

    // Reserves cap bytes.  False (errno ENOMEM) if memory is short.
    bool init(std::size_t cap) noexcept;

    std::size_t size() const noexcept { return tail_ - head_; }
    std::size_t capacity() const noexcept { return cap_; }
    // What can be appended without growing (the free space once compacted).
    std::size_t room() const noexcept { return cap_ - size(); }
    char const *data() const noexcept { return p_ + head_; }

    // Room for n more bytes at the tail; returns where to write them.  Compacts as needed;
    // grows only when n > room() (see above), and dies (exit 111) if that fails.
    char *reserve(std::size_t n) noexcept;
    void commit(std::size_t n) noexcept { tail_ += n; }
    void consume(std::size_t n) noexcept
    {
        head_ += n;
        if (head_ == tail_) head_ = tail_ = 0;
    }
    void clear() noexcept { head_ = tail_ = 0; }

private:
    char *p_ = nullptr;
    std::size_t head_ = 0, tail_ = 0, cap_ = 0;
};

} // namespace s6log
