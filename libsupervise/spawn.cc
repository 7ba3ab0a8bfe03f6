#include <supervise/spawn.hh>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <supervise/fd.hh>

extern char **environ;

namespace sv {

namespace {

// The kernel's struct sigaction for rt_sigaction (not glibc's).
struct kernel_sigaction {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)();
    unsigned long mask;
};

// Runs in the vfork child: only system calls, no allocation, no return.
[[noreturn]] void child(char const *path, char const *const *argv, spawn_opts const &o,
                        volatile int *err) noexcept
{
    // glibc's internal signals back to their default: no program wants them ignored, and a
    // process started by glibc's posix_spawn may have inherited them ignored.
    for (int sig = 32; sig <= 33; sig++) {
        kernel_sigaction dfl{};
        syscall(SYS_rt_sigaction, sig, &dfl, nullptr, sizeof dfl.mask);
    }
    if (o.new_session) setsid();
    if (o.new_pgroup) setpgid(0, 0);
    for (int i = 0; i < 3; i++) {
        if (o.from[i] < 0) continue;
        if (o.from[i] == o.to[i]) {
            int fl = fcntl(o.to[i], F_GETFD);
            if (fl >= 0) fcntl(o.to[i], F_SETFD, fl & ~FD_CLOEXEC);
        } else if (dup2(o.from[i], o.to[i]) < 0) {
            *err = errno;
            _exit(127);
        }
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, o.mask ? o.mask : &none, nullptr);
    auto *av = const_cast<char *const *>(argv);
    auto *ev = const_cast<char *const *>(o.envp ? o.envp : environ);
    if (!o.search_path || std::strchr(path, '/')) {
        execve(path, av, ev);
        *err = errno;
        _exit(127);
    }
    // execvp's rules: try each PATH entry; report EACCES over ENOENT if any entry had it.
    char const *p = getenv("PATH");
    if (!p) p = "/usr/bin:/bin";
    std::size_t const nlen = std::strlen(path);
    int e = ENOENT;
    for (;;) {
        char const *colon = std::strchr(p, ':');
        std::size_t dlen = colon ? static_cast<std::size_t>(colon - p) : std::strlen(p);
        char buf[PATH_MAX];
        if (dlen + nlen + 2 <= sizeof buf) {
            if (dlen) std::memcpy(buf, p, dlen);
            else buf[0] = '.', dlen = 1;
            buf[dlen] = '/';
            std::memcpy(buf + dlen + 1, path, nlen + 1);
            execve(buf, av, ev);
            if (errno == EACCES) e = EACCES;
            else if (errno != ENOENT && errno != ENOTDIR) e = errno;
        }
        if (!colon) break;
        p = colon + 1;
    }
    *err = e;
    _exit(127);
}

} // namespace

pid_t spawn(char const *path, char const *const *argv, spawn_opts const &o) noexcept
{
    // The child shares our memory until it execs or exits, so it reports an exec failure by
    // writing the errno here; vfork guarantees we read it only after that.
    volatile int err = 0;
    pid_t pid = vfork();
    if (pid < 0) return 0;
    if (pid == 0) child(path, argv, o, &err);
    if (err) {
        int wstat;
        while (waitpid(pid, &wstat, 0) < 0 && errno == EINTR) {}
        errno = err;
        return 0;
    }
    return pid;
}

} // namespace sv
