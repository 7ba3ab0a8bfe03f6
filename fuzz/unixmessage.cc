// skalibs' unixmessage framing as s6-sudod, s6-sudoc and the fd-holder receive it
// (libsupervise/unixmessage.cc): a stream of headers and data from a peer that may lie about
// lengths and fd counts.  Input: one byte of options (bit 0: an fd rides on every chunk;
// bits 1-7: chunk size), then the stream.  The receiver's buffers are small, so oversized
// announcements meet their limits.  No fd may leak: every fd received is either given out
// with a message (and closed here) or closed by the receiver.
#include "fuzz.hh"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>

#include <supervise/unixmessage.hh>

namespace {
void send_chunk(int s, std::string_view d, int fd)
{
    iovec iov{const_cast<char *>(d.data()), d.size()};
    msghdr h{};
    h.msg_iov = &iov;
    h.msg_iovlen = 1;
    union {
        cmsghdr align;
        char bytes[CMSG_SPACE(sizeof(int))];
    } ctl{};
    if (fd >= 0) {
        h.msg_control = ctl.bytes;
        h.msg_controllen = sizeof ctl.bytes;
        cmsghdr *c = CMSG_FIRSTHDR(&h);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    fz::check(sendmsg(s, &h, MSG_NOSIGNAL) == static_cast<ssize_t>(d.size()));
}

int lowest_free_fd()
{
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    close(fd);
    return fd;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const *data, std::size_t size)
{
    if (!size) return 0;
    bool with_fds = data[0] & 1;
    std::size_t chunk = (data[0] >> 1) + 1;
    std::string_view in = fz::view(data + 1, size - 1);
    int const free_before = lowest_free_fd();
    {
        int sv[2];
        fz::check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
        int const passed = open("/dev/null", O_RDONLY | O_CLOEXEC);
        char buf[300];
        int fdbuf[4];
        sv::umsg_receiver r{buf, fdbuf, sv[0]};
        bool dead = false;
        for (std::size_t off = 0; off < in.size() && !dead; off += chunk) {
            send_chunk(sv[1], in.substr(off, chunk), with_fds ? passed : -1);
            while (!dead) {
                sv::umsg m;
                auto res = r.next(m);
                if (res == sv::umsg_receiver::result::message) {
                    fz::check(m.data.size() + sv::umsg_header_size <= sizeof buf);
                    for (int fd : m.fds) fz::check(close(fd) == 0);
                    continue;
                }
                if (res == sv::umsg_receiver::result::invalid) {
                    dead = true;
                    break;
                }
                ssize_t n = r.fill();
                if (n < 0 && errno != EAGAIN) dead = true;
                if (n <= 0) break;
            }
        }
        close(passed);
        close(sv[1]);
        close(sv[0]);
    }
    // The receiver is gone: every fd it held is closed.
    fz::check(lowest_free_fd() == free_before);
    return 0;
}
