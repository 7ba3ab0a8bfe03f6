#include <supervise/fd.hh>

#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <supervise/dirent.hh>

namespace sv {

void unique_fd::reset(int fd) noexcept
{
    if (fd_ >= 0) {
        int const saved = errno;
        ::close(fd_);
        errno = saved;
    }
    fd_ = fd;
}

ssize_t read_full(int fd, void *buf, std::size_t n) noexcept
{
    auto *p = static_cast<char *>(buf);
    std::size_t got = 0;
    while (got < n) {
        ssize_t r = ::read(fd, p + got, n - got);
        if (r == 0) break;
        if (r < 0) {
            if (errno == EINTR) continue;
            if (got) break;
            return -1;
        }
        got += static_cast<std::size_t>(r);
    }
    return static_cast<ssize_t>(got);
}

bool read_all(int fd, std::string &out, std::size_t max) noexcept
{
    // Straight into out, grown as it fills (no buffer on the stack, which a daemon reading a
    // rule between two clients would keep resident); what is left over is cut at the end.
    out.clear();
    std::size_t used = 0;
    for (;;) {
        if (max && used == max) break;
        if (used == out.size()) out.resize(used < 240 ? 240 : 2 * used);
        std::size_t want = out.size() - used;
        if (max && max - used < want) want = max - used;
        ssize_t const r = ::read(fd, out.data() + used, want);
        if (r < 0) {
            if (errno == EINTR) continue;
            int const e = errno;
            out.resize(used);
            errno = e;
            return false;
        }
        if (r == 0) break;
        used += static_cast<std::size_t>(r);
    }
    out.resize(used);
    return true;
}

bool write_full(int fd, void const *buf, std::size_t n) noexcept
{
    auto const *p = static_cast<char const *>(buf);
    while (n) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        p += w;
        n -= static_cast<std::size_t>(w);
    }
    return true;
}

bool writev_full(int fd, iovec *v, std::size_t n) noexcept
{
    while (n) {
        ssize_t r = ::writev(fd, v, static_cast<int>(n < IOV_MAX ? n : IOV_MAX));
        if (r < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN) return false;
            pollfd p{fd, POLLOUT, 0};
            if (::poll(&p, 1, -1) < 0 && errno != EINTR) return false;
            continue;
        }
        auto done = static_cast<std::size_t>(r);
        while (n && done >= v->iov_len) {
            done -= v->iov_len;
            v++;
            n--;
        }
        if (n) {
            v->iov_base = static_cast<char *>(v->iov_base) + done;
            v->iov_len -= done;
        }
    }
    return true;
}

bool set_nonblock(int fd, bool on) noexcept
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0) return false;
    int nf = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
    return nf == fl || fcntl(fd, F_SETFL, nf) == 0;
}

bool set_cloexec(int fd, bool on) noexcept
{
    int fl = fcntl(fd, F_GETFD);
    if (fl < 0) return false;
    int nf = on ? (fl | FD_CLOEXEC) : (fl & ~FD_CLOEXEC);
    return nf == fl || fcntl(fd, F_SETFD, nf) == 0;
}

void ensure_std_fds() noexcept
{
    for (int fd = 0; fd < 3; fd++) {
        if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF) continue;
        int n = ::open("/dev/null", fd ? O_WRONLY : O_RDONLY);
        if (n >= 0 && n != fd) {
            ::dup2(n, fd);
            ::close(n);
        }
    }
}

void cloexec_from(int lowfd) noexcept
{
    if (close_range(static_cast<unsigned>(lowfd), ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
    // Kernels before 5.11: walk the fds that are open.
    int const dfd = ::open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return;
    alignas(8) char buf[4096];
    each_dirent(dfd, buf, [&](char const *name) {
        int fd = 0;
        bool num = name[0] != 0;
        for (char const *c = name; *c; c++) {
            if (*c < '0' || *c > '9') num = false;
            else fd = fd * 10 + (*c - '0');
        }
        if (num && fd >= lowfd && fd != dfd) set_cloexec(fd, true);
        return true;
    });
    ::close(dfd);
}

bool reopen_devnull(int fd) noexcept
{
    int n = ::open("/dev/null", fd ? O_WRONLY : O_RDONLY);
    bool const ok = n >= 0;
    int const e = errno;
    if (!ok) n = ::open("/", O_RDONLY | O_DIRECTORY);
    if (n < 0) {
        ::close(fd);
    } else if (n != fd) {
        ::dup2(n, fd);
        ::close(n);
    }
    errno = e;
    return ok;
}

path_buf &path_buf::append(std::string_view s) noexcept
{
    if (overflow_) return *this;
    if (len_ + s.size() >= sizeof buf_) {
        overflow_ = true;
        len_ = 0;
        buf_[0] = 0;
        return *this;
    }
    std::memcpy(buf_ + len_, s.data(), s.size());
    len_ += s.size();
    buf_[len_] = 0;
    return *this;
}

} // namespace sv
