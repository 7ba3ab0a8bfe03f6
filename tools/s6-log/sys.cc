// The logdir engine's seam (logdir.hh, sys::) with real system calls, and the processor
// child.  Nothing here allocates: directories are read with getdents64 into a fixed buffer.
#include "logdir.hh"

#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/dirent.hh>
#include <supervise/exec.hh>
#include <supervise/lock.hh>
#include <supervise/sigtrap.hh>

namespace s6log::sys {

int open(char const *path, int flags) noexcept
{
    return ::open(path, flags, 0666);
}

ssize_t write(int fd, void const *buf, std::size_t n) noexcept
{
    return ::write(fd, buf, n);
}

int fsync(int fd) noexcept
{
    return ::fsync(fd);
}

int fchmod(int fd, mode_t mode) noexcept
{
    return ::fchmod(fd, mode);
}

int close(int fd) noexcept
{
    return ::close(fd);
}

int chmod(char const *path, mode_t mode) noexcept
{
    return ::chmod(path, mode);
}

int stat(char const *path, struct stat &st) noexcept
{
    return ::stat(path, &st);
}

int rename(char const *from, char const *to) noexcept
{
    return ::rename(from, to);
}

int link(char const *from, char const *to) noexcept
{
    return ::link(from, to);
}

int unlink(char const *path) noexcept
{
    return ::unlink(path);
}

int mkdir(char const *path, mode_t mode) noexcept
{
    return ::mkdir(path, mode);
}

int lock_open(char const *path) noexcept
{
    return sv::lock_open(path, 0666);
}

int lock(int fd) noexcept
{
    if (sv::lock_fd(fd, true, false) == 0) return 0;
    if (errno == EWOULDBLOCK) errno = EBUSY; // s6's word for a held lock
    return -1;
}

int scan_dir(char const *dir, dir_visitor &v) noexcept
{
    sv::unique_fd fd(::open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return -1;
    alignas(dirent64) char buf[8192];
    return sv::each_dirent(fd.get(), buf, [&](char const *name) { return v.entry(name), true; });
}

namespace {

// Puts fd on target (closing what was there); fd itself is closed.
bool fd_move(int target, int fd) noexcept
{
    if (fd == target) return sv::set_cloexec(fd, false);
    if (dup2(fd, target) < 0) return false;
    ::close(fd);
    return true;
}

[[noreturn]] void exec_processor(sv::logscript::logdir_spec const &spec) noexcept
{
    sv::prog = "s6-log (processor child)";
    sv::signal_restore(); // SIGPIPE, only absorbed, is back to its default at exec
    char const *dir = spec.path.data();
    if (chdir(dir) < 0) sv::die_sys(111, "unable to chdir to ", dir);
    struct step
    {
        char const *name;
        int flags;
        int target;
        char const *verb;
    };
    // Opened in this order so that no target is taken by a file still needed: stdin is the
    // old current, stdout the output, fd 4 the last state, fd 5 the next one.
    static constexpr step steps[] = {
        {"previous", O_RDONLY, 0, "open_readb "},
        {"processed", O_WRONLY | O_CREAT | O_TRUNC, 1, "open_trunc "},
        {"state", O_RDONLY, 4, "open_readb "},
        {"newstate", O_WRONLY | O_CREAT | O_TRUNC, 5, "open_trunc "},
    };
    for (auto const &s : steps) {
        int fd = ::open(s.name, s.flags, 0666);
        if (fd < 0) sv::die_sys(111, "unable to ", s.verb, dir, "/", s.name);
        if (!fd_move(s.target, fd)) sv::die_sys(111, "unable to fd_move ", dir, "/", s.name);
    }
    char const *cmd = spec.processor.data();
    if (spec.processor_sh) {
        char const *argv[] = {"/bin/sh", "-c", cmd, nullptr};
        sv::exec_or_die(argv);
    }
    // "!": execlineb from PATH, then where Debian installs it (where s6 2.11.3.2 looks).
    char const *argv[] = {"execlineb", "-Pc", cmd, nullptr};
    sv::exec_path(argv);
    if (errno == ENOENT) {
        argv[0] = "/usr/lib/execline/bin/execlineb";
        sv::exec_or_die(argv);
    }
    sv::die_sys(126, "unable to exec execlineb");
}

} // namespace

pid_t spawn_processor(sv::logscript::logdir_spec const &spec) noexcept
{
    pid_t pid = fork();
    if (!pid) exec_processor(spec);
    return pid;
}

std::int64_t now_ms() noexcept
{
    return sv::mono_ms();
}

sv::tain now_tain() noexcept
{
    return sv::tain_now();
}

} // namespace s6log::sys
