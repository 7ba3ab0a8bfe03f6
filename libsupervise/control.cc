#include <supervise/control.hh>

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sv {

control_result send_control(std::string_view dir, std::string_view ctldir,
                            std::string_view cmd) noexcept
{
    path_buf p(dir, "/", ctldir, "/control");
    if (!p.ok()) return errno = ENAMETOOLONG, control_result::sys_error;
    unique_fd fd(::open(p.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
    if (!fd) {
        int const e = errno;
        if (e == ENXIO) return control_result::not_listening;
        if (e != ENOENT && e != ENOTDIR && e != EISDIR) return control_result::sys_error;
        // Tell apart a missing service directory, a service that was never supervised, and a
        // broken control directory, as s6 does.
        path_buf d(dir);
        unique_fd dfd(::open(d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!dfd) return control_result::no_dir;
        struct stat st;
        if (fstatat(dfd.get(), path_buf(ctldir).c_str(), &st, 0) < 0 && errno == ENOENT)
            return control_result::not_listening;
        errno = e;
        return control_result::bad_ctldir;
    }
    if (!set_nonblock(fd.get(), false)) return control_result::sys_error;
    if (!cmd.empty()) {
        ssize_t w;
        do w = ::write(fd.get(), cmd.data(), cmd.size());
        while (w < 0 && errno == EINTR);
        if (w < static_cast<ssize_t>(cmd.size())) {
            if (w >= 0) errno = EPIPE;
            return control_result::sys_error;
        }
    }
    return control_result::ok;
}

lock_state lock_probe(char const *path) noexcept
{
    unique_fd fd(::open(path, O_RDONLY | O_CLOEXEC));
    if (!fd) return errno == ENOENT ? lock_state::missing : lock_state::error;
    struct flock fl {};
    fl.l_type = F_RDLCK;
    fl.l_whence = SEEK_SET;
    if (fcntl(fd.get(), F_GETLK, &fl) < 0) return lock_state::error;
    return fl.l_type == F_UNLCK ? lock_state::free : lock_state::held;
}

int lock_take(char const *path) noexcept
{
    unique_fd fd(::open(path, O_WRONLY | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0644));
    if (!fd) return -1;
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fcntl(fd.get(), F_SETLK, &fl) < 0) return -1;
    return fd.release();
}

bool control_listen(char const *path, unique_fd &rd, unique_fd &wr) noexcept
{
    if (mkfifo(path, 0600) < 0) {
        if (errno != EEXIST) return false;
        struct stat st;
        if (stat(path, &st) < 0) return false;
        if (!S_ISFIFO(st.st_mode)) return errno = EEXIST, false;
    }
    rd.reset(::open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (!rd) return false;
    wr.reset(::open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC));
    return static_cast<bool>(wr);
}

} // namespace sv
