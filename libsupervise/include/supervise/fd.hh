// File descriptors and paths: a move-only fd holder, whole-buffer I/O that survives EINTR and
// short transfers, and a fixed-size path builder so the daemons never touch the heap.
#pragma once

#include <climits>
#include <cstddef>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <sys/uio.h>

namespace sv {

// Owns one file descriptor; closes it on destruction.  Move-only, like dinit's fd_holder.
class unique_fd {
public:
    unique_fd() noexcept = default;
    explicit unique_fd(int fd) noexcept : fd_(fd) {}
    unique_fd(unique_fd &&o) noexcept : fd_(o.release()) {}
    unique_fd &operator=(unique_fd &&o) noexcept
    {
        if (this != &o) reset(o.release());
        return *this;
    }
    unique_fd(unique_fd const &) = delete;
    unique_fd &operator=(unique_fd const &) = delete;
    ~unique_fd() { reset(); }

    int get() const noexcept { return fd_; }
    explicit operator bool() const noexcept { return fd_ >= 0; }
    // Gives up ownership without closing.
    int release() noexcept
    {
        int f = fd_;
        fd_ = -1;
        return f;
    }
    // Closes the held fd (keeping errno) and takes fd instead.
    void reset(int fd = -1) noexcept;

private:
    int fd_ = -1;
};

// Reads until n bytes, EOF or an error; returns the count read, or -1 with errno set if an error
// came before any byte.
ssize_t read_full(int fd, void *buf, std::size_t n) noexcept;

// Reads fd until EOF, or until max bytes (0 = no limit), into out (replacing what it held).
// False with errno set on a read error.  For the one-shot tools: it allocates.
bool read_all(int fd, std::string &out, std::size_t max = 0) noexcept;

// Writes all n bytes (retrying on EINTR and short writes); false with errno set on failure.
bool write_full(int fd, void const *buf, std::size_t n) noexcept;
inline bool write_full(int fd, std::string_view s) noexcept
{
    return write_full(fd, s.data(), s.size());
}

// Writes all of v[0..n) in as few writev calls as the fd takes, retrying on EINTR and short
// writes (v is updated as it goes).  A non-blocking fd that is full (EAGAIN) is waited for
// with poll, so this blocks as a blocking fd would, as skalibs' allwritev does.  False with
// errno set on failure.
bool writev_full(int fd, iovec *v, std::size_t n) noexcept;

// Sets or clears O_NONBLOCK / FD_CLOEXEC.  Return false with errno set on failure.
bool set_nonblock(int fd, bool on) noexcept;
bool set_cloexec(int fd, bool on) noexcept;

// Makes fds 0, 1 and 2 valid, opening /dev/null on any that is closed (as s6 daemons do).
void ensure_std_fds() noexcept;

// Sets FD_CLOEXEC on every open fd from lowfd up, so that no child inherits them.
void cloexec_from(int lowfd) noexcept;

// Reopens fd (0 or 1) on /dev/null.  False with errno set on failure (no /dev/null in a bare
// chroot or mount namespace): fd then holds a read-only descriptor of "/" instead, on which
// reads and writes fail as on a closed fd, but which keeps the slot taken, so that no file
// opened later lands on a standard fd (stock s6 leaves it closed).
bool reopen_devnull(int fd) noexcept;

// A NUL-terminated path assembled from pieces in a fixed buffer.  ok() is false (and c_str()
// the empty string) when the result would not fit in PATH_MAX; callers then report
// ENAMETOOLONG, which is what the kernel would have said.
class path_buf {
public:
    // All zero bits, so a global one is constant-initialized in .bss: the shared executable
    // touches no page for it at start-up unless its own program runs.
    constexpr path_buf() noexcept : buf_{} {}
    template <class... P>
    explicit path_buf(P const &...parts) noexcept
    {
        buf_[0] = 0;
        (append(std::string_view(parts)), ...);
    }
    path_buf &append(std::string_view s) noexcept;
    char const *c_str() const noexcept { return buf_; }
    std::string_view view() const noexcept { return {buf_, len_}; }
    bool ok() const noexcept { return !overflow_; }

private:
    char buf_[PATH_MAX];
    std::size_t len_ = 0;
    bool overflow_ = false;
};

} // namespace sv
