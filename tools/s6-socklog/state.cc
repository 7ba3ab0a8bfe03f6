// s6-socklog's decisions (see state.hh).
#include "state.hh"

#include <cstring>

#include <supervise/syslog.hh>

namespace socklog {

std::size_t out_size(std::size_t linelen) noexcept
{
    std::size_t const four = linelen * 4;
    return four < 65536 ? 65536 : four;
}

unsigned batch_size(std::size_t linelen) noexcept
{
    std::size_t const n = (256 * 1024) / (linelen + 1);
    return n < 1 ? 1 : n > 32 ? 32 : static_cast<unsigned>(n);
}

unsigned read_count(state const &s) noexcept
{
    if (!s.cont && !s.drain) return 0;
    std::size_t n = (s.out.size() - s.len) / line_room(s);
    if (n > s.batch) n = s.batch;
    if (!s.cont && n > s.drain) n = s.drain;
    return static_cast<unsigned>(n);
}

bool finished(state const &s) noexcept
{
    return !s.cont && !s.drain && !s.len;
}

void on_term(state &s, std::int64_t now) noexcept
{
    if (!s.cont) return;
    s.cont = false;
    s.drain = drain_max;
    s.deadline = s.lameduck_ms < 0 ? -1 : now + s.lameduck_ms;
}

void on_empty(state &s) noexcept
{
    if (!s.cont) s.drain = 0;
}

void on_datagram(state &s, char *msg, std::size_t n, std::string_view from) noexcept
{
    bool const cut = n == s.linelen + 1;
    std::size_t const m = sv::syslog_clean(msg, n);
    s.len += sv::syslog_format_line(from, {msg, m}, s.raw, cut, s.out.data() + s.len);
    if (!s.cont && s.drain) --s.drain;
}

void on_written(state &s, std::size_t n) noexcept
{
    std::memmove(s.out.data(), s.out.data() + n, s.len - n);
    s.len -= n;
}

int poll_timeout(state const &s, std::int64_t now) noexcept
{
    if (s.deadline < 0) return -1;
    std::int64_t const left = s.deadline - now;
    if (left <= 0) return 0;
    return left > 86400000 ? 86400000 : static_cast<int>(left);
}

} // namespace socklog
