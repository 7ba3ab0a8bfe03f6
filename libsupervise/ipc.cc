#include <supervise/ipc.hh>

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <supervise/fd.hh>
#include <supervise/lock.hh>
#include <supervise/tai64n.hh>

namespace sv {

namespace {

// sa for path; false with errno EPROTO when it does not fit (skalibs' answer).
bool address(char const *path, sockaddr_un &sa) noexcept
{
    std::size_t const l = std::strlen(path);
    if (l > ipc_path_max) {
        errno = EPROTO;
        return false;
    }
    std::memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path, path, l + 1);
    return true;
}

// Copies the path of sa (len bytes returned by the kernel) into buf as ipc_local documents.
void copy_path(sockaddr_un const &sa, socklen_t salen, char *buf, std::size_t len) noexcept
{
    if (!len) return;
    std::size_t avail = salen > offsetof(sockaddr_un, sun_path)
                            ? static_cast<std::size_t>(salen) - offsetof(sockaddr_un, sun_path)
                            : 0;
    if (avail > sizeof sa.sun_path) avail = sizeof sa.sun_path;
    std::size_t n = strnlen(sa.sun_path, avail);
    if (n > len - 1) n = len - 1;
    std::memcpy(buf, sa.sun_path, n);
    buf[n] = 0;
}

} // namespace

int ipc_socket(bool datagram, bool nonblock, bool cloexec) noexcept
{
    return ::socket(AF_UNIX, (datagram ? SOCK_DGRAM : SOCK_STREAM) | (nonblock ? SOCK_NONBLOCK : 0) |
                                 (cloexec ? SOCK_CLOEXEC : 0),
                    0);
}

int ipc_bind(int s, char const *path) noexcept
{
    sockaddr_un sa;
    if (!address(path, sa)) return -1;
    return ::bind(s, reinterpret_cast<sockaddr *>(&sa), sizeof sa);
}

int ipc_bind_reuse(int s, char const *path, unsigned perms, int *lockfd) noexcept
{
    path_buf lockname(path, ".lock");
    if (!lockname.ok()) {
        errno = ENAMETOOLONG;
        return -1;
    }
    unique_fd lk(::open(lockname.c_str(), O_WRONLY | O_NONBLOCK | O_CREAT | O_CLOEXEC, 0600));
    if (!lk) return -1;
    if (lock_fd(lk.get(), true, false) < 0) {
        if (errno == EWOULDBLOCK) errno = EBUSY;
        return -1;
    }
    int const one = 1;
    int const e = errno;
    ::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    ::unlink(path);
    errno = e;
    mode_t const old = perms ? ::umask(~perms & 0777) : 0;
    int const r = ipc_bind(s, path);
    if (perms) {
        int const e2 = errno;
        ::umask(old);
        errno = e2;
    }
    if (r < 0) return -1;
    *lockfd = lk.release();
    return 0;
}

bool ipc_connect(int s, char const *path) noexcept
{
    sockaddr_un sa;
    if (!address(path, sa)) return false;
    if (::connect(s, reinterpret_cast<sockaddr *>(&sa), sizeof sa) < 0) {
        if (errno == EINTR) errno = EINPROGRESS;
        return false;
    }
    return true;
}

int ipc_connect_until(char const *path, std::int64_t deadline_ms) noexcept
{
    unique_fd s{ipc_socket(false, true, true)};
    if (!s) return -1;
    bool done = ipc_connect(s.get(), path);
    while (!done) {
        if (errno != EINPROGRESS && errno != EAGAIN) return -1;
        // EINPROGRESS: the connection is made when the socket turns writable.  EAGAIN: the
        // server's backlog is full; try again a little later.
        bool const full = errno == EAGAIN;
        std::int64_t const now = mono_ms();
        if (deadline_ms >= 0 && now >= deadline_ms) {
            errno = ETIMEDOUT;
            return -1;
        }
        int wait = poll_timeout(deadline_ms, now);
        if (full && (wait < 0 || wait > 10)) wait = 10;
        pollfd p{s.get(), POLLOUT, 0};
        int const r = ::poll(&p, 1, wait);
        if (r < 0 && errno != EINTR) return -1;
        if (full) {
            done = ipc_connect(s.get(), path);
        } else if (r > 0) {
            int e = 0;
            socklen_t len = sizeof e;
            if (::getsockopt(s.get(), SOL_SOCKET, SO_ERROR, &e, &len) < 0) return -1;
            if (e) {
                errno = e;
                return -1;
            }
            done = true;
        } else {
            errno = EINPROGRESS;
        }
    }
    if (!set_nonblock(s.get(), false)) return -1;
    return s.release();
}

int ipc_local(int s, char *buf, std::size_t len) noexcept
{
    sockaddr_un sa;
    std::memset(&sa, 0, sizeof sa);
    socklen_t salen = sizeof sa;
    if (::getsockname(s, reinterpret_cast<sockaddr *>(&sa), &salen) < 0) return -1;
    copy_path(sa, salen, buf, len);
    return 0;
}

int ipc_accept(int s, char *path, std::size_t len, bool nonblock, bool cloexec) noexcept
{
    sockaddr_un sa;
    std::memset(&sa, 0, sizeof sa);
    socklen_t salen = sizeof sa;
    int fd;
    do fd = ::accept4(s, reinterpret_cast<sockaddr *>(&sa), &salen,
                      (nonblock ? SOCK_NONBLOCK : 0) | (cloexec ? SOCK_CLOEXEC : 0));
    while (fd < 0 && errno == EINTR);
    if (fd >= 0 && path) copy_path(sa, salen, path, len);
    return fd;
}

bool ipc_peer(int s, uid_t &uid, gid_t &gid, pid_t *pid) noexcept
{
    ucred c{};
    socklen_t len = sizeof c;
    if (::getsockopt(s, SOL_SOCKET, SO_PEERCRED, &c, &len) < 0) return false;
    uid = c.uid;
    gid = c.gid;
    if (pid) *pid = c.pid;
    return true;
}

} // namespace sv
