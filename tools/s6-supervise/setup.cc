// s6-supervise's service directory (setup.hh).
#include "setup.hh"

#include <cerrno>
#include <climits>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/fd.hh>
#include <supervise/fifodir.hh>
#include <supervise/lock.hh>
#include <supervise/svdir.hh>

namespace svd {

bool read_number(char const *name, std::uint32_t &v) noexcept
{
    switch (sv::read_uint_file(name, v)) {
    case sv::file_read::ok: return true;
    case sv::file_read::missing: return false;
    case sv::file_read::invalid: sv::warn("invalid ", name); return false;
    case sv::file_read::error: sv::warn_sys("unable to open ", name); return false;
    }
    return false;
}

bool make_ctl_dir(char const *name, bool fifodir) noexcept
{
    struct stat st;
    char const *target = name;
    char link[PATH_MAX];
    if (lstat(name, &st) == 0 && S_ISLNK(st.st_mode) && stat(name, &st) < 0 && errno == ENOENT) {
        ssize_t n = readlink(name, link, sizeof link - 1);
        if (n < 0) sv::die_sys(sv::exitcode::system, "unable to readlink ", name);
        link[n] = 0;
        target = link;
    } else if (stat(name, &st) == 0) {
        return S_ISDIR(st.st_mode);
    }
    if (fifodir) {
        if (!sv::fifodir_make(target)) {
            if (errno == ENOTDIR) return false;
            sv::die_sys(sv::exitcode::system, "unable to mkdir ", name); // stock's words
        }
    } else if (mkdir(target, 0700) < 0 && errno != EEXIST) {
        sv::die_sys(sv::exitcode::system, "unable to mkdir ", name);
    }
    return true;
}

int take_service_lock(bool &busy) noexcept
{
    busy = false;
    int fd = sv::lock_open("supervise/service-lock");
    if (fd < 0) {
        sv::warn_sys("unable to open supervise/service-lock for writing (waiting 60 seconds)");
        return -1;
    }
    if (sv::lock_fd_inherited(fd, true, false) < 0) {
        busy = errno == EWOULDBLOCK;
        if (busy)
            sv::warn("another instance of the service is already running, waiting for it");
        else
            sv::warn_sys("unable to lock supervise/service-lock (waiting 60 seconds)");
        ::close(fd);
        return -1;
    }
    return fd;
}

} // namespace svd
