#include <supervise/ftrigsub.hh>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <poll.h>
#include <unistd.h>

#include <supervise/ftrigr.hh>
#include <supervise/tai64n.hh>

namespace sv {

// ---- matcher -----------------------------------------------------------------------------

int ftrig_matcher::compile(char const *re, bool repeat) noexcept
{
    reset();
    int r = regcomp(&re_, *re ? re : ".*", REG_EXTENDED);
    if (r) return r == REG_ESPACE ? ENOMEM : EINVAL;
    compiled_ = true;
    repeat_ = repeat;
    return 0;
}

void ftrig_matcher::reset() noexcept
{
    if (compiled_) regfree(&re_);
    compiled_ = false;
    std::free(buf_);
    buf_ = nullptr;
    len_ = cap_ = 0;
}

int ftrig_matcher::feed(std::string_view bytes, ftrig_match_fn fn, void *ctx) noexcept
{
    if (!compiled_) return errno = EINVAL, -1;
    if (bytes.size() > ftrig_history_max) bytes.remove_prefix(bytes.size() - ftrig_history_max);
    // Keep the history within its cap: the oldest bytes go.
    if (len_ + bytes.size() > ftrig_history_max) {
        std::size_t const drop = len_ + bytes.size() - ftrig_history_max;
        std::memmove(buf_, buf_ + drop, len_ - drop);
        len_ -= drop;
    }
    if (len_ + bytes.size() + 1 > cap_) {
        std::size_t ncap = cap_ ? cap_ : 32;
        while (ncap < len_ + bytes.size() + 1) ncap *= 2;
        auto *nb = static_cast<char *>(std::realloc(buf_, ncap));
        if (!nb) return errno = ENOMEM, -1;
        buf_ = nb;
        cap_ = ncap;
    }
    std::memcpy(buf_ + len_, bytes.data(), bytes.size());
    len_ += bytes.size();
    buf_[len_] = 0;

    regmatch_t m;
    while (regexec(&re_, buf_, 1, &m, REG_NOTBOL | REG_NOTEOL) == 0) {
        auto const end = static_cast<std::size_t>(m.rm_eo);
        fn(ctx, end ? buf_[end - 1] : '\0');
        if (!repeat_) return 0;
        if (!end) break; // an empty match would match again forever
        std::memmove(buf_, buf_ + end, len_ + 1 - end);
        len_ -= end;
    }
    return 1;
}

// ---- subscription ------------------------------------------------------------------------

int ftrig_sub::subscribe(char const *fifodir, char const *re, std::uint32_t options) noexcept
{
    unsubscribe();
    if (int e = match_.compile(re, options & ftrigr_repeat)) return e;
    if (!fifo_.attach(fifodir)) {
        int const e = errno;
        match_.reset();
        return e;
    }
    return 0;
}

ftrig_sub::status ftrig_sub::read(int max_reads, ftrig_match_fn fn, void *ctx) noexcept
{
    while (max_reads > 0) {
        char buf[ftrig_chunk];
        ssize_t r = ::read(fifo_.fd(), buf, sizeof buf);
        if (r < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) return status::drained;
            return status::error;
        }
        if (r == 0) return errno = EPIPE, status::error; // cannot happen: we hold a write end
        max_reads--;
        int const m = match_.feed({buf, static_cast<std::size_t>(r)}, fn, ctx);
        if (m < 0) return status::error;
        if (m == 0) {
            unsubscribe();
            return status::ended;
        }
    }
    return status::more;
}

void ftrig_sub::unsubscribe() noexcept
{
    fifo_.unsubscribe();
    match_.reset();
}

// ---- waiting -----------------------------------------------------------------------------

namespace {

void keep_last(void *ctx, char c) noexcept { *static_cast<char *>(ctx) = c; }

} // namespace

ftrig_wait_result ftrig_wait(std::span<ftrig_sub> subs, bool any, std::int64_t deadline_ms,
                             int sigfd, void (*on_signal)() noexcept) noexcept
{
    ftrig_wait_result res;
    std::size_t const n = subs.size();
    std::unique_ptr<pollfd[]> p(new (std::nothrow) pollfd[n + 1]);
    if (!p) return errno = ENOMEM, res;
    for (;;) {
        std::size_t live = 0;
        for (auto const &s : subs) live += s.active();
        if (live == 0 || (any && live < n)) {
            res.what = ftrig_wait_result::kind::matched;
            return res;
        }
        p[0] = {sigfd, POLLIN, 0};
        for (std::size_t i = 0; i < n; i++) p[i + 1] = {subs[i].fd(), POLLIN, 0};
        int const t = poll_timeout(deadline_ms, mono_ms());
        int const r = ::poll(p.get(), n + 1, t);
        if (r < 0) {
            if (errno == EINTR) continue;
            return res;
        }
        if (r == 0) {
            if (t != 0 && mono_ms() < deadline_ms) continue;
            res.what = ftrig_wait_result::kind::timed_out;
            return errno = ETIMEDOUT, res;
        }
        if ((p[0].revents & POLLIN) && on_signal) on_signal();
        for (std::size_t i = 0; i < n; i++) {
            if (!(p[i + 1].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            if (subs[i].read(ftrig_reads_per_wakeup, keep_last, &res.last) ==
                ftrig_sub::status::error)
                return res;
        }
    }
}

} // namespace sv
