#include <supervise/notify.hh>

#include <cerrno>
#include <unistd.h>

namespace sv {

bool notify_ready(int fd) noexcept
{
    ssize_t w;
    do w = ::write(fd, "\n", 1);
    while (w < 0 && errno == EINTR);
    int const e = errno;
    ::close(fd);
    errno = e;
    return w == 1;
}

} // namespace sv
