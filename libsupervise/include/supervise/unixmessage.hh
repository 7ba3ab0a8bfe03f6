// skalibs' unixmessage framing: messages with file descriptors over a Unix stream socket, as
// s6-sudoc/s6-sudod and the fd-holder (s6-fdholderd and its clients) exchange them.
//
// Every message is one sendmsg():
//     4 bytes   the length N of the data, big-endian (at most umsg_max_size)
//     2 bytes   the number F of fds that come with it, big-endian (at most umsg_max_fds)
//     N bytes   the data
// and its F fds ride as one SCM_RIGHTS control message on that sendmsg, i.e. on its first
// byte.  A receiver keeps the fds in arrival order and gives each message the next F of
// them, so a short write (the rest of the message sent later, without fds) loses nothing.
//
// The receiver works on a non-blocking socket with buffers its owner supplies (a daemon gives
// static arrays); received fds are close-on-exec and belong to whoever takes the message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <sys/types.h>

namespace sv {

inline constexpr std::size_t umsg_header_size = 6;
// skalibs' UNIXMESSAGE_MAXSIZE and UNIXMESSAGE_MAXFDS: larger announcements are EPROTO.
inline constexpr std::uint32_t umsg_max_size = 1u << 28;
inline constexpr std::size_t umsg_max_fds = 255;

// The 6-byte header of a message of len bytes carrying nfds fds.
void umsg_header(char out[umsg_header_size], std::uint32_t len, std::uint16_t nfds) noexcept;

// Sends one message whose data is the concatenation of parts, with fds, waiting for room
// until the absolute monotonic deadline (ms, -1 = none).  The fds stay the caller's (the
// kernel duplicates them into the receiver).  False with errno set: EMSGSIZE (too long, or
// too many fds), ETIMEDOUT, EPIPE (the peer is gone; no SIGPIPE is raised), or what sendmsg
// said.
bool umsg_send(int sock, std::span<std::string_view const> parts, std::span<int const> fds,
               std::int64_t deadline_ms) noexcept;
inline bool umsg_send(int sock, std::string_view data, std::span<int const> fds = {},
                      std::int64_t deadline_ms = -1) noexcept
{
    return umsg_send(sock, std::span<std::string_view const>(&data, 1), fds, deadline_ms);
}

// One received message: its data (valid until the receiver's next fill()) and its fds (the
// taker must close them).
struct umsg {
    std::string_view data;
    std::span<int const> fds;
};

class umsg_receiver {
public:
    umsg_receiver() noexcept = default;
    // buf holds the bytes of incomplete and queued messages (a message larger than buf
    // cannot be received); fdbuf the fds received and not yet taken.
    umsg_receiver(std::span<char> buf, std::span<int> fdbuf, int fd = -1) noexcept
        : buf_(buf), fds_(fdbuf), fd_(fd)
    {
    }
    umsg_receiver(umsg_receiver const &) = delete;
    umsg_receiver &operator=(umsg_receiver const &) = delete;
    // Closes the fds it still holds (received, not taken).
    ~umsg_receiver();

    void set_fd(int fd) noexcept { fd_ = fd; }
    int fd() const noexcept { return fd_; }

    // One recvmsg() (MSG_DONTWAIT, MSG_CMSG_CLOEXEC) into the free part of the buffers.  The
    // byte count; 0 at EOF; -1 with errno set (EAGAIN: nothing now; ENOBUFS: no room, or fds
    // that did not fit, which are closed; EPROTO: a control message that is not SCM_RIGHTS).
    ssize_t fill() noexcept;

    enum class result { message, incomplete, invalid };
    // Takes the next complete message: message (m set; the fds are now the caller's),
    // incomplete (fill() more), invalid (an announced size over the limits or the buffers,
    // or a message whose fds never came: the stream is unusable).
    result next(umsg &m) noexcept;

    std::size_t buffered() const noexcept { return end_ - start_; }
    std::size_t fds_held() const noexcept { return nfds_; }

private:
    std::span<char> buf_;
    std::span<int> fds_;
    int fd_ = -1;
    std::size_t start_ = 0, end_ = 0;
    std::size_t nfds_ = 0;   // fds held, at fds_[0 .. nfds_)
    std::size_t taken_ = 0;  // fds given out by the last next(), dropped at the next call
};

// Waits for the next whole message on r until the absolute monotonic deadline (ms, -1 =
// none).  False with errno set: ETIMEDOUT, EPIPE (EOF before a whole message), EPROTO (an
// invalid stream), or a receive error.
bool umsg_receive_until(umsg_receiver &r, umsg &m, std::int64_t deadline_ms) noexcept;

} // namespace sv
