#include <supervise/tai64n.hh>

#include <climits>
#include <ctime>

namespace sv {

namespace {

// Unix times at which a leap second had been inserted (the instant after 23:59:60), as in
// skalibs' leapsecs table; the count of entries at or before t is the leap offset.
constexpr std::int64_t leap_table[] = {
    78796800,   94694400,   126230400,  157766400,  189302400,  220924800,  252460800,
    283996800,  315532800,  362793600,  394329600,  425865600,  489024000,  567993600,
    631152000,  662688000,  709948800,  741484800,  773020800,  820454400,  867715200,
    915148800,  1136073600, 1230768000, 1341100800, 1435708800, 1483228800,
};

constexpr char hex[] = "0123456789abcdef";

int hexval(char c) noexcept
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

} // namespace

unsigned leap_seconds_at(std::int64_t unix_seconds) noexcept
{
    unsigned n = 0;
    for (auto l : leap_table)
        if (unix_seconds >= l) n++;
    return n;
}

tain tain_from_unix(std::int64_t unix_seconds, std::uint32_t nano) noexcept
{
    return {tai64_base + static_cast<std::uint64_t>(unix_seconds) + 10 +
                leap_seconds_at(unix_seconds),
            nano};
}

std::int64_t unix_from_tain(tain t) noexcept
{
    std::int64_t u = static_cast<std::int64_t>(t.sec - tai64_base) - 10;
    // Subtract the leap seconds in force at that time (close enough at the boundaries, where
    // skalibs itself is ambiguous).
    return u - leap_seconds_at(u - static_cast<std::int64_t>(leap_seconds_at(u)));
}

tain tain_now() noexcept
{
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return tain_from_unix(ts.tv_sec, static_cast<std::uint32_t>(ts.tv_nsec));
}

void tain_pack(char *out, tain t) noexcept
{
    for (int i = 7; i >= 0; i--) {
        out[i] = static_cast<char>(t.sec & 0xff);
        t.sec >>= 8;
    }
    for (int i = 11; i >= 8; i--) {
        out[i] = static_cast<char>(t.nano & 0xff);
        t.nano >>= 8;
    }
}

tain tain_unpack(char const *in) noexcept
{
    tain t;
    auto const *u = reinterpret_cast<unsigned char const *>(in);
    for (int i = 0; i < 8; i++) t.sec = (t.sec << 8) | u[i];
    for (int i = 8; i < 12; i++) t.nano = (t.nano << 8) | u[i];
    return t;
}

void tain_fmt(char *out, tain t) noexcept
{
    char packed[tain_pack_size];
    tain_pack(packed, t);
    out[0] = '@';
    for (std::size_t i = 0; i < tain_pack_size; i++) {
        auto b = static_cast<unsigned char>(packed[i]);
        out[1 + 2 * i] = hex[b >> 4];
        out[2 + 2 * i] = hex[b & 15];
    }
}

bool tain_scan(std::string_view s, tain &t) noexcept
{
    if (s.size() < tain_label_size || s[0] != '@') return false;
    char packed[tain_pack_size];
    for (std::size_t i = 0; i < tain_pack_size; i++) {
        int hi = hexval(s[1 + 2 * i]), lo = hexval(s[2 + 2 * i]);
        if (hi < 0 || lo < 0) return false;
        packed[i] = static_cast<char>(hi << 4 | lo);
    }
    t = tain_unpack(packed);
    return true;
}

std::int64_t tain_seconds_between(tain a, tain b) noexcept
{
    auto d = static_cast<std::int64_t>(b.sec - a.sec);
    if (b.nano < a.nano) d--;
    return d;
}

tain tain_add_ms(tain t, std::int64_t ms) noexcept
{
    std::int64_t ns = static_cast<std::int64_t>(t.nano) + (ms % 1000) * 1000000;
    std::int64_t s = static_cast<std::int64_t>(t.sec) + ms / 1000;
    if (ns >= 1000000000) {
        ns -= 1000000000;
        s++;
    } else if (ns < 0) {
        ns += 1000000000;
        s--;
    }
    return {static_cast<std::uint64_t>(s), static_cast<std::uint32_t>(ns)};
}

std::int64_t mono_ms() noexcept
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

int poll_timeout(std::int64_t deadline_ms, std::int64_t now_ms) noexcept
{
    if (deadline_ms < 0) return -1;
    std::int64_t left = deadline_ms - now_ms;
    if (left <= 0) return 0;
    return left > INT_MAX ? INT_MAX : static_cast<int>(left);
}

} // namespace sv
