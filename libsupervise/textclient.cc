#include <supervise/textclient.hh>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <new>
#include <poll.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <supervise/fd.hh>
#include <supervise/spawn.hh>
#include <supervise/tai64n.hh>

namespace sv {

void text_header(char out[text_header_size], std::uint32_t len) noexcept
{
    out[0] = static_cast<char>(len >> 24);
    out[1] = static_cast<char>(len >> 16);
    out[2] = static_cast<char>(len >> 8);
    out[3] = static_cast<char>(len);
}

namespace {

std::uint32_t header_value(char const *p) noexcept
{
    auto const *u = reinterpret_cast<unsigned char const *>(p);
    return std::uint32_t{u[0]} << 24 | std::uint32_t{u[1]} << 16 | std::uint32_t{u[2]} << 8 | u[3];
}

// Waits for events on fd until the deadline: 1 ready, 0 timed out, -1 error.
int wait_fd(int fd, short events, std::int64_t deadline_ms) noexcept
{
    for (;;) {
        pollfd p{fd, events, 0};
        int t = poll_timeout(deadline_ms, mono_ms());
        int r = ::poll(&p, 1, t);
        if (r > 0) return 1;
        if (r == 0) return 0;
        if (errno != EINTR) return -1;
    }
}

} // namespace

// ---- receiver ----------------------------------------------------------------------------

void text_receiver::compact() noexcept
{
    if (start_ == 0) return;
    std::memmove(buf_.data(), buf_.data() + start_, end_ - start_);
    end_ -= start_;
    start_ = 0;
}

ssize_t text_receiver::fill() noexcept
{
    compact();
    if (end_ == buf_.size()) return errno = ENOBUFS, -1;
    for (;;) {
        ssize_t r = ::read(fd_, buf_.data() + end_, buf_.size() - end_);
        if (r < 0 && errno == EINTR) continue;
        if (r > 0) end_ += static_cast<std::size_t>(r);
        return r;
    }
}

std::size_t text_receiver::feed(std::string_view bytes) noexcept
{
    compact();
    std::size_t n = std::min(bytes.size(), buf_.size() - end_);
    std::memcpy(buf_.data() + end_, bytes.data(), n);
    end_ += n;
    return n;
}

text_receiver::result text_receiver::next(std::string_view &msg) noexcept
{
    if (end_ - start_ < text_header_size) return result::incomplete;
    std::uint32_t const len = header_value(buf_.data() + start_);
    if (len > text_max_len || len > buf_.size() - text_header_size) return result::too_big;
    if (end_ - start_ - text_header_size < len) return result::incomplete;
    msg = {buf_.data() + start_ + text_header_size, len};
    start_ += text_header_size + len;
    if (start_ == end_) start_ = end_ = 0; // nothing left: the next fill starts at the front
    return result::message;
}

bool text_receive_until(text_receiver &r, std::string_view &msg, std::int64_t deadline_ms) noexcept
{
    for (;;) {
        switch (r.next(msg)) {
        case text_receiver::result::message: return true;
        case text_receiver::result::too_big: return errno = EMSGSIZE, false;
        case text_receiver::result::incomplete: break;
        }
        ssize_t n = r.fill();
        if (n == 0) return errno = EPIPE, false;
        if (n > 0) continue;
        if (errno != EAGAIN) return false;
        int w = wait_fd(r.fd(), POLLIN, deadline_ms);
        if (w < 0) return false;
        if (w == 0) return errno = ETIMEDOUT, false;
    }
}

// ---- sender ------------------------------------------------------------------------------

bool text_sender::put(std::initializer_list<std::string_view> parts) noexcept
{
    std::size_t len = 0;
    for (auto p : parts) len += p.size();
    if (len > text_max_len || text_header_size + len > room()) return errno = ENOBUFS, false;
    if (buf_.size() - end_ < text_header_size + len) { // make the free space contiguous
        std::memmove(buf_.data(), buf_.data() + start_, end_ - start_);
        end_ -= start_;
        start_ = 0;
    }
    text_header(buf_.data() + end_, static_cast<std::uint32_t>(len));
    end_ += text_header_size;
    for (auto p : parts) {
        if (p.empty()) continue;
        std::memcpy(buf_.data() + end_, p.data(), p.size());
        end_ += p.size();
    }
    return true;
}

bool text_sender::flush() noexcept
{
    while (start_ < end_) {
        ssize_t w = ::write(fd_, buf_.data() + start_, end_ - start_);
        if (w < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        start_ += static_cast<std::size_t>(w);
    }
    start_ = end_ = 0;
    return true;
}

bool text_sender::flush_until(std::int64_t deadline_ms) noexcept
{
    for (;;) {
        if (flush()) return true;
        if (errno != EAGAIN) return false;
        int w = wait_fd(fd_, POLLOUT, deadline_ms);
        if (w < 0) return false;
        if (w == 0) return errno = ETIMEDOUT, false;
    }
}

// ---- server ------------------------------------------------------------------------------

int text_async_fd(char const *const *envp) noexcept
{
    for (; envp && *envp; envp++) {
        std::string_view e(*envp);
        if (!e.starts_with(text_async_env) || e.size() <= text_async_env.size() ||
            e[text_async_env.size()] != '=')
            continue;
        e.remove_prefix(text_async_env.size() + 1);
        unsigned long v = 0;
        std::size_t i = 0;
        for (; i < e.size() && e[i] >= '0' && e[i] <= '9' && v <= 0x7fffffff; i++)
            v = v * 10 + static_cast<unsigned>(e[i] - '0');
        if (!i || v > 0x7fffffff) return errno = EINVAL, -1;
        return static_cast<int>(v);
    }
    return errno = EPROTONOSUPPORT, -1;
}

bool text_server_init(text_server &s, char const *const *envp, std::string_view banner1,
                      std::string_view banner2, std::int64_t deadline_ms) noexcept
{
    int const afd = text_async_fd(envp);
    if (afd < 0) return false;
    if (s.in.fd() < 0) s.in.set_fd(0);
    if (s.sync.fd() < 0) s.sync.set_fd(1);
    s.async.set_fd(afd);
    if (!set_nonblock(s.in.fd(), true) || !set_nonblock(s.sync.fd(), true)) return false;
    std::string_view msg;
    if (!text_receive_until(s.in, msg, deadline_ms)) return false;
    if (msg != banner1) return errno = EPROTO, false;
    if (fcntl(afd, F_GETFD) < 0 || !set_nonblock(afd, true)) return false;
    // The asynchronous channel first: the client reads it first.
    if (!s.async.put(banner2) || !s.async.flush_until(deadline_ms)) return false;
    return s.sync.put(banner2) && s.sync.flush_until(deadline_ms);
}

// ---- client ------------------------------------------------------------------------------

namespace {

// A pipe whose two ends are close-on-exec and above fd 2 (so that moving a child's ends into
// 0 and 1 never overwrites another of them).
bool make_pipe(int fds[2]) noexcept
{
    if (::pipe2(fds, O_CLOEXEC) < 0) return false;
    for (int i = 0; i < 2; i++) {
        if (fds[i] > 2) continue;
        int n = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
        if (n < 0) {
            ::close(fds[0]);
            ::close(fds[1]);
            return false;
        }
        ::close(fds[i]);
        fds[i] = n;
    }
    return true;
}

} // namespace

bool text_client::start(char const *const *argv, char const *const *envp,
                        std::string_view banner1, std::string_view banner2,
                        std::int64_t deadline_ms) noexcept
{
    end();
    int req[2], ans[2], asy[2];
    if (!make_pipe(req)) return false;
    if (!make_pipe(ans)) {
        ::close(req[0]), ::close(req[1]);
        return false;
    }
    if (!make_pipe(asy)) {
        ::close(req[0]), ::close(req[1]), ::close(ans[0]), ::close(ans[1]);
        return false;
    }
    unique_fd rq_r(req[0]), rq_w(req[1]), an_r(ans[0]), an_w(ans[1]), as_r(asy[0]), as_w(asy[1]);

    // The child's environment: envp, then SKALIBS_CHILD_SPAWN_FDS=<fd>.
    std::size_t n = 0;
    while (envp && envp[n]) n++;
    char var[text_async_env.size() + 16];
    std::memcpy(var, text_async_env.data(), text_async_env.size());
    std::size_t k = text_async_env.size();
    var[k++] = '=';
    char digits[12];
    std::size_t nd = 0;
    for (int v = as_w.get(); nd == 0 || v; v /= 10) digits[nd++] = static_cast<char>('0' + v % 10);
    while (nd) var[k++] = digits[--nd];
    var[k] = 0;
    auto *env = new (std::nothrow) char const *[n + 2];
    if (!env) return errno = ENOMEM, false;
    for (std::size_t i = 0; i < n; i++) env[i] = envp[i];
    env[n] = var;
    env[n + 1] = nullptr;

    spawn_opts o;
    o.envp = env;
    o.from[0] = rq_r.get(), o.to[0] = 0;
    o.from[1] = an_w.get(), o.to[1] = 1;
    o.from[2] = as_w.get(), o.to[2] = as_w.get();
    pid_t const pid = spawn(argv[0], argv, o);
    int const e = errno;
    delete[] env;
    if (!pid) return errno = e, false;
    pid_ = pid;
    out_ = rq_w.release();
    sync_.set_fd(an_r.release());
    async_.set_fd(as_r.release());
    // Only the child holds its ends now, so that its death reads as end of file at once.
    rq_r.reset();
    an_w.reset();
    as_w.reset();
    if (!set_nonblock(out_, true) || !set_nonblock(sync_.fd(), true) ||
        !set_nonblock(async_.fd(), true)) {
        int const se = errno;
        end();
        return errno = se, false;
    }
    // Banner1 out; banner2 back on the asynchronous channel, then on the answer channel.
    auto banner_from = [&](text_receiver &r) {
        std::string_view msg;
        if (!text_receive_until(r, msg, deadline_ms)) return false;
        return msg == banner2 || (errno = EPROTO, false);
    };
    bool const ok = send({banner1}, deadline_ms) && banner_from(async_) && banner_from(sync_);
    if (!ok) {
        int const se = errno;
        end();
        return errno = se, false;
    }
    return true;
}

bool text_client::send(std::initializer_list<std::string_view> parts,
                       std::int64_t deadline_ms) noexcept
{
    std::size_t len = 0;
    for (auto p : parts) len += p.size();
    if (len > text_max_len) return errno = EMSGSIZE, false;
    char hdr[text_header_size];
    text_header(hdr, static_cast<std::uint32_t>(len));
    iovec v[8];
    std::size_t nv = 0;
    v[nv++] = {hdr, sizeof hdr};
    for (auto p : parts) {
        if (nv == 8) return errno = EINVAL, false;
        v[nv++] = {const_cast<char *>(p.data()), p.size()};
    }
    std::size_t i = 0;
    while (i < nv) {
        ssize_t w = ::writev(out_, v + i, static_cast<int>(nv - i));
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN) return false;
            int r = wait_fd(out_, POLLOUT, deadline_ms);
            if (r < 0) return false;
            if (r == 0) return errno = ETIMEDOUT, false;
            continue;
        }
        auto left = static_cast<std::size_t>(w);
        while (i < nv && left >= v[i].iov_len) left -= v[i++].iov_len;
        if (i < nv) {
            v[i].iov_base = static_cast<char *>(v[i].iov_base) + left;
            v[i].iov_len -= left;
        }
    }
    return true;
}

bool text_client::exchange(std::initializer_list<std::string_view> parts, std::string_view &answer,
                           std::int64_t deadline_ms) noexcept
{
    if (out_ < 0) return errno = EBADF, false;
    return send(parts, deadline_ms) && text_receive_until(sync_, answer, deadline_ms);
}

bool text_client::command(std::initializer_list<std::string_view> parts,
                          std::int64_t deadline_ms) noexcept
{
    std::string_view ans;
    if (!exchange(parts, ans, deadline_ms)) return false;
    if (ans.size() != 1) return errno = EPROTO, false;
    if (ans[0]) return errno = static_cast<unsigned char>(ans[0]), false;
    return true;
}

int text_client::end() noexcept
{
    if (out_ >= 0) ::close(out_);
    if (sync_.fd() >= 0) ::close(sync_.fd());
    if (async_.fd() >= 0) ::close(async_.fd());
    out_ = -1;
    sync_ = text_receiver{syncbuf_};
    async_ = text_receiver{asyncbuf_};
    int wstat = -1;
    if (pid_ > 0) {
        int const saved = errno;
        while (waitpid(pid_, &wstat, 0) < 0 && errno == EINTR) {}
        errno = saved;
        wstat_ = wstat;
    }
    pid_ = 0;
    return wstat;
}

} // namespace sv
