#include <supervise/svlisten.hh>

#include <cerrno>
#include <new>
#include <poll.h>
#include <unistd.h>

#include <supervise/status.hh>
#include <supervise/tai64n.hh>

namespace sv {

bool svlisten::init(std::span<char const *const> dirs) noexcept
{
    svc_.reset(new (std::nothrow) service[dirs.size()]);
    if (!svc_) return errno = ENOMEM, false;
    n_ = dirs.size();
    for (std::size_t i = 0; i < n_; i++) {
        failed_ = i;
        failed_sub_ = true;
        path_buf ev(dirs[i], "/event");
        if (!ev.ok()) return errno = ENAMETOOLONG, false;
        if (!svc_[i].l.subscribe(ev.view())) return false;
        failed_sub_ = false;
        status st;
        if (!status_read(dirs[i], st)) return false;
        svc_[i].up = st.is_up();
        svc_[i].ready = st.ready;
    }
    return true;
}

bool svlisten::holds(wait_target t) const noexcept
{
    for (std::size_t i = 0; i < n_; i++) {
        bool ok = svc_[i].up == t.up && (!t.ready || svc_[i].ready);
        if (ok && t.any) return true;
        if (!ok && !t.any) return false;
    }
    return !t.any;
}

bool svlisten::apply_pending(service &s, wait_target t, int &failures) noexcept
{
    while (s.pending_pos < s.pending_len) {
        switch (s.pending[s.pending_pos++]) {
        case 'u': s.up = true, s.ready = false; break;
        case 'U': s.up = true, s.ready = true; break;
        case 'd': s.up = false, s.ready = false; break;
        case 'D': s.up = false, s.ready = true; break;
        case 'O':
            if (t.up) {
                failures++;
                s.up = true;
                s.ready = t.ready;
            }
            break;
        case 'x':
            // Exact comparison, as in s6 2.11: readiness counts even when not waited for.
            if (s.up != t.up || s.ready != t.ready) failures++;
            s.up = t.up;
            s.ready = t.ready;
            break;
        default: break;
        }
        if (holds(t)) return true;
    }
    return false;
}

int svlisten::wait(wait_target t, std::int64_t deadline_ms) noexcept
{
    int failures = 0;
    if (holds(t)) return 0;
    // Events left over from the previous wait come first.
    for (std::size_t i = 0; i < n_; i++)
        if (apply_pending(svc_[i], t, failures)) return failures;
    std::unique_ptr<pollfd[]> p(new (std::nothrow) pollfd[n_]);
    if (!p) return errno = ENOMEM, -2;
    for (std::size_t i = 0; i < n_; i++) p[i] = {svc_[i].l.fd(), POLLIN, 0};
    for (;;) {
        int timeout = poll_timeout(deadline_ms, mono_ms());
        int r = ::poll(p.get(), n_, timeout);
        if (r < 0) {
            if (errno == EINTR) continue;
            return -2;
        }
        if (r == 0) {
            if (timeout != 0 && (deadline_ms < 0 || mono_ms() < deadline_ms)) continue;
            return -1;
        }
        for (std::size_t i = 0; i < n_; i++) {
            if (!(p[i].revents & POLLIN)) continue;
            service &s = svc_[i];
            ssize_t got = ::read(p[i].fd, s.pending, sizeof s.pending);
            if (got < 0) {
                if (errno == EAGAIN || errno == EINTR) continue;
                return -2;
            }
            s.pending_pos = 0;
            s.pending_len = static_cast<std::size_t>(got);
            if (apply_pending(s, t, failures)) return failures;
        }
    }
}

} // namespace sv
