#include <supervise/unixmessage.hh>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <supervise/tai64n.hh>

namespace sv {

namespace {

// Waits until fd is ready for events or the deadline passes.  False with errno ETIMEDOUT.
bool wait_for(int fd, short events, std::int64_t deadline_ms) noexcept
{
    for (;;) {
        pollfd p{fd, events, 0};
        int const t = deadline_ms < 0 ? -1 : poll_timeout(deadline_ms, mono_ms());
        int const r = ::poll(&p, 1, t);
        if (r > 0) return true;
        if (r == 0) {
            errno = ETIMEDOUT;
            return false;
        }
        if (errno != EINTR) return false;
    }
}

void close_all(int const *fds, std::size_t n) noexcept
{
    int const e = errno;
    for (std::size_t i = 0; i < n; i++) ::close(fds[i]);
    errno = e;
}

// SCM_MAX_FD in Linux: the most fds one sendmsg() may pass.
constexpr std::size_t kernel_max_fds = 253;

// Room for the largest control message a peer may send.
union control_buf {
    cmsghdr align;
    char bytes[CMSG_SPACE(sizeof(int) * umsg_max_fds)];
};

} // namespace

void umsg_header(char out[umsg_header_size], std::uint32_t len, std::uint16_t nfds) noexcept
{
    out[0] = static_cast<char>(len >> 24);
    out[1] = static_cast<char>(len >> 16);
    out[2] = static_cast<char>(len >> 8);
    out[3] = static_cast<char>(len);
    out[4] = static_cast<char>(nfds >> 8);
    out[5] = static_cast<char>(nfds);
}

bool umsg_send(int sock, std::span<std::string_view const> parts, std::span<int const> fds,
               std::int64_t deadline_ms) noexcept
{
    constexpr std::size_t max_parts = 15;
    std::size_t len = 0;
    for (auto p : parts) len += p.size();
    if (len > umsg_max_size || fds.size() > umsg_max_fds || parts.size() > max_parts) {
        errno = EMSGSIZE;
        return false;
    }
    char header[umsg_header_size];
    umsg_header(header, static_cast<std::uint32_t>(len), static_cast<std::uint16_t>(fds.size()));
    iovec iov[max_parts + 1];
    std::size_t niov = 0;
    iov[niov++] = {header, sizeof header};
    for (auto p : parts)
        if (!p.empty()) iov[niov++] = {const_cast<char *>(p.data()), p.size()};

    control_buf ctl;
    msghdr h{};
    h.msg_iov = iov;
    h.msg_iovlen = niov;
    // The fds go with the first byte; what a short write leaves is sent after, without them.
    // The kernel takes at most kernel_max_fds in one sendmsg (EINVAL past it): the others
    // then ride on the message's last byte, sent on its own (the receiver gives a message
    // its fds in arrival order, ours and skalibs' alike).
    std::span<int const> pending = fds;
    std::size_t left = umsg_header_size + len;
    while (left) {
        std::size_t const k = std::min(pending.size(), kernel_max_fds);
        h.msg_control = nullptr;
        h.msg_controllen = 0;
        if (k) {
            std::memset(&ctl, 0, sizeof ctl);
            h.msg_control = ctl.bytes;
            h.msg_controllen = CMSG_SPACE(sizeof(int) * k);
            cmsghdr *c = CMSG_FIRSTHDR(&h);
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(sizeof(int) * k);
            std::memcpy(CMSG_DATA(c), pending.data(), sizeof(int) * k);
        }
        // Holding the last byte back: one byte less in the last iovec (or one iovec less).
        bool const hold_back = pending.size() > k && left > 1;
        iovec *const last = h.msg_iov + h.msg_iovlen - 1;
        bool const drop_last = hold_back && last->iov_len == 1;
        if (drop_last) h.msg_iovlen--;
        else if (hold_back) last->iov_len--;
        ssize_t const r = ::sendmsg(sock, &h, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (drop_last) h.msg_iovlen++;
        else if (hold_back) last->iov_len++;
        if (r < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN) return false;
            if (!wait_for(sock, POLLOUT, deadline_ms)) return false;
            continue;
        }
        pending = pending.subspan(k);
        left -= static_cast<std::size_t>(r);
        // Skip what was written.
        std::size_t done = static_cast<std::size_t>(r);
        while (done && h.msg_iovlen) {
            if (done >= h.msg_iov->iov_len) {
                done -= h.msg_iov->iov_len;
                h.msg_iov++;
                h.msg_iovlen--;
            } else {
                h.msg_iov->iov_base = static_cast<char *>(h.msg_iov->iov_base) + done;
                h.msg_iov->iov_len -= done;
                done = 0;
            }
        }
    }
    return true;
}

umsg_receiver::~umsg_receiver()
{
    close_all(fds_.data() + taken_, nfds_ - taken_);
}

ssize_t umsg_receiver::fill() noexcept
{
    if (taken_) {
        std::memmove(fds_.data(), fds_.data() + taken_, (nfds_ - taken_) * sizeof(int));
        nfds_ -= taken_;
        taken_ = 0;
    }
    if (start_) {
        std::memmove(buf_.data(), buf_.data() + start_, end_ - start_);
        end_ -= start_;
        start_ = 0;
    }
    if (end_ == buf_.size()) {
        errno = ENOBUFS;
        return -1;
    }
    iovec iov{buf_.data() + end_, buf_.size() - end_};
    control_buf ctl;
    msghdr h{};
    h.msg_iov = &iov;
    h.msg_iovlen = 1;
    h.msg_control = ctl.bytes;
    h.msg_controllen = sizeof ctl.bytes;
    ssize_t r;
    do r = ::recvmsg(fd_, &h, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    while (r < 0 && errno == EINTR);
    if (r < 0) return -1;
    for (cmsghdr *c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
            errno = EPROTO;
            return -1;
        }
        std::size_t const n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        int got[umsg_max_fds];
        std::memcpy(got, CMSG_DATA(c), n * sizeof(int));
        if ((h.msg_flags & MSG_CTRUNC) || n > fds_.size() - nfds_) {
            close_all(got, n);
            errno = ENOBUFS;
            return -1;
        }
        std::memcpy(fds_.data() + nfds_, got, n * sizeof(int));
        nfds_ += n;
    }
    if (h.msg_flags & MSG_CTRUNC) {
        errno = ENOBUFS;
        return -1;
    }
    end_ += static_cast<std::size_t>(r);
    return r;
}

umsg_receiver::result umsg_receiver::next(umsg &m) noexcept
{
    if (taken_) {
        std::memmove(fds_.data(), fds_.data() + taken_, (nfds_ - taken_) * sizeof(int));
        nfds_ -= taken_;
        taken_ = 0;
    }
    if (end_ - start_ < umsg_header_size) return result::incomplete;
    auto const *p = reinterpret_cast<unsigned char const *>(buf_.data() + start_);
    std::uint32_t const len = static_cast<std::uint32_t>(p[0]) << 24 |
                              static_cast<std::uint32_t>(p[1]) << 16 |
                              static_cast<std::uint32_t>(p[2]) << 8 | p[3];
    std::size_t const nfds = static_cast<std::size_t>(p[4]) << 8 | p[5];
    if (len > umsg_max_size || nfds > umsg_max_fds || umsg_header_size + len > buf_.size() ||
        nfds > fds_.size())
        return result::invalid;
    if (end_ - start_ < umsg_header_size + len) return result::incomplete;
    // The fds came with the message's first byte, which is here: missing ones never will.
    if (nfds > nfds_) return result::invalid;
    m.data = {buf_.data() + start_ + umsg_header_size, len};
    m.fds = {fds_.data(), nfds};
    taken_ = nfds;
    start_ += umsg_header_size + len;
    return result::message;
}

bool umsg_receive_until(umsg_receiver &r, umsg &m, std::int64_t deadline_ms) noexcept
{
    for (;;) {
        switch (r.next(m)) {
        case umsg_receiver::result::message: return true;
        case umsg_receiver::result::invalid: errno = EPROTO; return false;
        case umsg_receiver::result::incomplete: break;
        }
        ssize_t const n = r.fill();
        if (n > 0) continue;
        if (n == 0) {
            errno = EPIPE;
            return false;
        }
        if (errno != EAGAIN) return false;
        if (!wait_for(r.fd(), POLLIN, deadline_ms)) return false;
    }
}

} // namespace sv
