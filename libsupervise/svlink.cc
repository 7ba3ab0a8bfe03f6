#include <supervise/svlink.hh>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <supervise/control.hh>
#include <supervise/fd.hh>
#include <supervise/fifodir.hh>
#include <supervise/lock.hh>

namespace sv {

namespace {

// s6_svc_ok: 1 if DIR/supervise/lock is held, 0 if it is free or missing, -1 with errno set.
int supervised(path_buf const &dir) noexcept
{
    path_buf lock(dir.view(), "/supervise/lock");
    if (!lock.ok()) return errno = ENAMETOOLONG, -1;
    switch (lock_probe(lock.c_str())) {
    case lock_state::held: return 1;
    case lock_state::free:
    case lock_state::missing: return 0;
    case lock_state::error: break;
    }
    return -1;
}

// Step 1 for dir: whether it is supervised, and whether it has a logger (DIR/log) supervised
// alike.  False with errno set.
bool check_service(path_buf const &dir, bool &locked, bool &logged) noexcept
{
    int h = supervised(dir);
    if (h < 0) return false;
    locked = h;
    logged = false;
    path_buf log(dir.view(), "/log");
    if (!log.ok()) return errno = ENAMETOOLONG, false;
    struct stat st;
    if (::stat(log.c_str(), &st) < 0) return errno == ENOENT;
    if (!S_ISDIR(st.st_mode)) return errno = ENOTDIR, false;
    int r = supervised(log);
    if (r < 0) return false;
    if (r != h) return errno = EINVAL, false;
    logged = true;
    return true;
}

// Step 2 for one directory (the service or its logger).
bool prepare(path_buf const &dir, link_options const &o, listener &l) noexcept
{
    if (o.create_down) {
        path_buf down(dir.view(), "/down");
        if (!down.ok()) return errno = ENAMETOOLONG, false;
        unique_fd fd(::open(down.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
        if (!fd) return false;
    }
    path_buf ev(dir.view(), "/event");
    if (!ev.ok()) return errno = ENAMETOOLONG, false;
    if (!fifodir_make(ev.c_str(), o.public_event, o.force_event)) return false;
    return l.subscribe(ev.view());
}

// Reads events from l until one of them is c.  0 when it came, -1 with errno set (ETIMEDOUT
// once the deadline has passed).
int wait_for_event(listener &l, char c, std::int64_t deadline_ms) noexcept
{
    char buf[64];
    for (;;) {
        ssize_t n = l.wait(buf, sizeof buf, deadline_ms);
        if (n < 0) return -1;
        if (n == 0) return errno = ETIMEDOUT, -1;
        if (std::memchr(buf, c, static_cast<std::size_t>(n))) return 0;
    }
}

// s6_supervise_unlink: removes SCANDIR/NAME (and NAME/down if asked); if kill is set, first
// opens the control FIFOs of NAME and NAME/log, then after the removal tells their
// supervisors to exit: "xd" (service down) and "xo" (logger: once more, until its input ends).
void unlink_one(path_buf const &link, bool kill, bool remove_down) noexcept
{
    int const e = errno;
    if (remove_down) {
        path_buf down(link.view(), "/down");
        if (down.ok()) ::unlink(down.c_str());
    }
    unique_fd svc, log;
    if (kill) {
        path_buf c1(link.view(), "/supervise/control"), c2(link.view(), "/log/supervise/control");
        if (c1.ok()) svc.reset(::open(c1.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
        if (c2.ok()) log.reset(::open(c2.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
    }
    ::unlink(link.c_str());
    if (svc) (void)!::write(svc.get(), "xd", 2);
    if (log) (void)!::write(log.get(), "xo", 2);
    errno = e;
}

// "a" or "an" to the scan directory's control FIFO.  False with errno set; ENXIO when no
// s6-svscan listens.
bool tell_svscan(char const *scandir, std::string_view cmd) noexcept
{
    switch (send_control(scandir, ".s6-svscan", cmd)) {
    case control_result::ok: return true;
    case control_result::not_listening: errno = ENXIO; return false;
    default: return false;
    }
}

} // namespace

int supervise_link(char const *scandir, char const *servicedir, char const *name,
                   link_options const &o, std::int64_t deadline_ms) noexcept
{
    path_buf const dir(servicedir);
    path_buf const link(scandir, "/", name);
    if (!dir.ok() || !link.ok()) return errno = ENAMETOOLONG, -1;
    bool locked, logged;
    if (!check_service(dir, locked, logged)) return -1;

    listener subs[2];
    int m = 0;
    if (!locked) {
        if (!prepare(dir, o, subs[m++])) return -1;
        if (logged) {
            path_buf const log(servicedir, "/log");
            if (!log.ok()) return errno = ENAMETOOLONG, -1;
            if (!prepare(log, o, subs[m++])) return -1;
        }
    }

    char const *target = servicedir;
    char real[PATH_MAX];
    if (!o.relative_ok && servicedir[0] != '/') {
        if (!::realpath(servicedir, real)) return -1;
        target = real;
    }
    if (::symlink(target, link.c_str()) < 0 && (!locked || errno != EEXIST)) return -1;

    // From here on a failure undoes the link.
    if (!tell_svscan(scandir, "a")) {
        unlink_one(link, false, o.create_down);
        return -1;
    }
    for (int i = 0; i < m; i++) {
        if (wait_for_event(subs[i], 's', deadline_ms) < 0) {
            for (auto &s : subs) s.unsubscribe();
            unlink_one(link, true, o.create_down);
            return -1;
        }
    }
    for (auto &s : subs) s.unsubscribe();
    if (o.remove_down) {
        path_buf down(link.view(), "/down");
        if (down.ok()) ::unlink(down.c_str());
    }
    return m;
}

int supervise_unlink(char const *scandir, char const *name, bool wait,
                     std::int64_t deadline_ms) noexcept
{
    path_buf const link(scandir, "/", name);
    if (!link.ok()) return errno = ENAMETOOLONG, -1;
    listener subs[2];
    int m = 0;
    if (wait) {
        bool locked, logged;
        if (!check_service(link, locked, logged)) return -1;
        if (locked) {
            // Subscribe through the service's real path: the link is about to go, and the
            // subscription FIFOs must still be found to be removed afterwards.  A subscription
            // that fails (no event/) is simply not waited on.
            char real[PATH_MAX];
            std::string_view const dir = ::realpath(link.c_str(), real) ? real : link.view();
            path_buf const ev(dir, "/event"), logev(dir, "/log/event");
            if (ev.ok() && subs[m].subscribe(ev.view())) m++;
            if (logged && logev.ok() && subs[m].subscribe(logev.view())) m++;
        }
    }
    ::unlink(link.c_str());
    tell_svscan(scandir, "an");
    for (int i = 0; i < m; i++)
        if (wait_for_event(subs[i], 'x', deadline_ms) < 0 && errno == ETIMEDOUT) break;
    return m;
}

} // namespace sv
