#include <supervise/lockhelper.hh>

#include <cerrno>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/lock.hh>
#include <supervise/spawn.hh>
#include <supervise/tai64n.hh>

namespace sv {

namespace {

// s6's open_create and open_read: no O_CLOEXEC on purpose (see the header).
int open_create(char const *file) noexcept
{
    return ::open(file, O_WRONLY | O_CREAT | O_NONBLOCK, 0666);
}

int open_read(char const *file) noexcept
{
    return ::open(file, O_RDONLY | O_NONBLOCK);
}

} // namespace

int lockfile_open(char const *file, bool exclusive, bool wait, lockfile_step &step) noexcept
{
    unique_fd fd;
    if (exclusive) {
        step = lockfile_step::open_write;
        fd.reset(open_create(file));
        if (!fd) return -1;
    } else {
        step = lockfile_step::open_read;
        fd.reset(open_read(file));
        if (!fd) {
            if (errno != ENOENT) return -1;
            step = lockfile_step::create;
            fd.reset(open_create(file));
            if (!fd) return -1;
            step = lockfile_step::open_read;
            fd.reset(open_read(file));
            if (!fd) return -1;
        }
    }
    step = lockfile_step::lock;
    if (lock_fd(fd.get(), exclusive, wait) < 0) {
        if (errno == EWOULDBLOCK) errno = EBUSY;
        return -1;
    }
    return fd.release();
}

int lockfile_open_or_die(char const *file, bool exclusive, bool wait) noexcept
{
    lockfile_step step;
    int fd = lockfile_open(file, exclusive, wait, step);
    if (fd >= 0) return fd;
    switch (step) {
    case lockfile_step::open_write:
        die_sys(exitcode::system, "unable to open ", file, " for writing");
    case lockfile_step::open_read:
        die_sys(exitcode::system, "unable to open ", file, " for reading");
    case lockfile_step::create:
        die_sys(exitcode::system, "unable to create ", file);
    case lockfile_step::lock:
        break;
    }
    // s6 exits 1, not 111, for any failure to lock, busy or not.
    die_sys(exitcode::negative, "unable to lock ", file);
}

bool lockhelper_start(char const *helper_path, char const *file, bool exclusive,
                      lockhelper_child &out) noexcept
{
    int to[2], from[2];
    if (pipe2(to, O_CLOEXEC) < 0) return false;
    unique_fd to_r(to[0]), to_w(to[1]);
    if (pipe2(from, O_CLOEXEC) < 0) return false;
    unique_fd from_r(from[0]), from_w(from[1]);
    if (!set_nonblock(to_w.get(), true) || !set_nonblock(from_r.get(), true)) return false;

    char const *argv[] = {lockhelper_name, exclusive ? "w" : "r", file, nullptr};
    char const *const envp[] = {nullptr};
    spawn_opts o;
    o.envp = envp;
    o.from[0] = to_r.get();
    o.to[0] = 0;
    o.from[1] = from_w.get();
    o.to[1] = 1;
    pid_t pid = spawn(helper_path, argv, o);
    if (!pid) return false;
    out.pid = pid;
    out.ack = std::move(from_r);
    out.hold = std::move(to_w);
    return true;
}

lockhelper_answer lockhelper_read(int ack_fd) noexcept
{
    char c;
    ssize_t r;
    do r = ::read(ack_fd, &c, 1);
    while (r < 0 && errno == EINTR);
    if (r < 0) return errno == EAGAIN ? lockhelper_answer::pending : lockhelper_answer::error;
    if (r == 0) {
        errno = EPIPE;
        return lockhelper_answer::closed;
    }
    return c == lockhelper_ack ? lockhelper_answer::acquired : lockhelper_answer::garbage;
}

lockhelper_answer lockhelper_wait(int ack_fd, std::int64_t deadline_ms) noexcept
{
    for (;;) {
        pollfd p{ack_fd, POLLIN, 0};
        int r = ::poll(&p, 1, poll_timeout(deadline_ms, mono_ms()));
        if (r < 0) {
            if (errno == EINTR) continue;
            return lockhelper_answer::error;
        }
        if (r == 0) {
            errno = ETIMEDOUT;
            return lockhelper_answer::timed_out;
        }
        auto a = lockhelper_read(ack_fd);
        if (a != lockhelper_answer::pending) return a;
    }
}

int lockhelper_hold(int in, int out, bool &wrote_ack) noexcept
{
    wrote_ack = false;
    ssize_t w;
    do w = ::write(out, &lockhelper_ack, 1);
    while (w < 0 && errno == EINTR);
    if (w <= 0) return -1;
    wrote_ack = true;
    char c;
    ssize_t r;
    do r = ::read(in, &c, 1);
    while (r < 0 && errno == EINTR);
    return r < 0 ? -1 : 0;
}

} // namespace sv
