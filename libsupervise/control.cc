#include <supervise/control.hh>

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <supervise/diag.hh>

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

bool control_listen(char const *path, unique_fd &rd, unique_fd &wr, listen_error *why) noexcept
{
    listen_error dummy;
    listen_error &step = why ? *why : dummy;
    step = listen_error::mkfifo;
    if (mkfifo(path, 0600) < 0) {
        if (errno != EEXIST) return false;
        struct stat st;
        step = listen_error::stat;
        if (stat(path, &st) < 0) return false;
        step = listen_error::not_fifo;
        if (!S_ISFIFO(st.st_mode)) return errno = EEXIST, false;
    }
    step = listen_error::open_read;
    rd.reset(::open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (!rd) return false;
    step = listen_error::open_write;
    wr.reset(::open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC));
    if (!wr) return false;
    step = listen_error::none;
    return true;
}

void control_listen_or_die(char const *path, unique_fd &rd, unique_fd &wr) noexcept
{
    listen_error why;
    if (control_listen(path, rd, wr, &why)) return;
    switch (why) {
    case listen_error::not_fifo: die(exitcode::usage, path, " is not a FIFO");
    case listen_error::stat: die_sys(exitcode::system, "unable to stat ", path);
    case listen_error::open_read: die_sys(exitcode::system, "unable to open ", path, " for reading");
    case listen_error::open_write: die_sys(exitcode::system, "unable to open ", path, " for writing");
    default: die_sys(exitcode::system, "unable to mkfifo ", path);
    }
}

} // namespace sv
