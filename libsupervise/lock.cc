#include <supervise/lock.hh>

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

#include <supervise/fd.hh>

namespace sv {

namespace {

// Both lock kinds differ only in their fcntl commands.
int lock_with(int fd, short type, int cmd) noexcept
{
    struct flock fl {};
    fl.l_type = type;
    fl.l_whence = SEEK_SET; // l_start = l_len = 0: the whole file, however it grows
    int r;
    do r = fcntl(fd, cmd, &fl);
    while (r < 0 && errno == EINTR);
    if (r < 0 && (errno == EACCES || errno == EAGAIN)) errno = EWOULDBLOCK;
    return r < 0 ? -1 : 0;
}

} // namespace

int lock_fd(int fd, bool exclusive, bool wait) noexcept
{
    return lock_with(fd, exclusive ? F_WRLCK : F_RDLCK, wait ? F_SETLKW : F_SETLK);
}

int lock_fd_inherited(int fd, bool exclusive, bool wait) noexcept
{
    return lock_with(fd, exclusive ? F_WRLCK : F_RDLCK, wait ? F_OFD_SETLKW : F_OFD_SETLK);
}

int unlock_fd(int fd) noexcept
{
    struct flock fl {};
    fl.l_type = F_UNLCK;
    fl.l_whence = SEEK_SET;
    return fcntl(fd, F_SETLK, &fl) < 0 ? -1 : 0;
}

int lock_open(char const *path, mode_t mode) noexcept
{
    int const flags = O_CREAT | O_NONBLOCK | O_CLOEXEC;
    int fd = ::open(path, O_RDWR | flags, mode);
    // A file we may write but not read: stock's write-only open would still work, so ours does.
    if (fd < 0 && errno == EACCES) fd = ::open(path, O_WRONLY | flags, mode);
    return fd;
}

int lock_take(char const *path, mode_t mode) noexcept
{
    unique_fd fd(lock_open(path, mode));
    if (!fd || lock_fd(fd.get(), true, false) < 0) return -1;
    return fd.release();
}

lock_state lock_probe(char const *path) noexcept
{
    // Non-blocking, as skalibs' open_read: a FIFO in the lock's place must not be waited on.
    unique_fd fd(::open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (!fd) return errno == ENOENT ? lock_state::missing : lock_state::error;
    struct flock fl {};
    fl.l_type = F_RDLCK;
    fl.l_whence = SEEK_SET;
    if (fcntl(fd.get(), F_GETLK, &fl) < 0) return lock_state::error;
    return fl.l_type == F_UNLCK ? lock_state::free : lock_state::held;
}

} // namespace sv
