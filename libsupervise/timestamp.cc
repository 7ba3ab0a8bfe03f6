#include <supervise/timestamp.hh>

#include <charconv>
#include <cstring>

namespace sv {

namespace {

constexpr char hexdig[] = "0123456789abcdef";

void two(char *out, int v) noexcept
{
    out[0] = static_cast<char>('0' + v / 10);
    out[1] = static_cast<char>('0' + v % 10);
}

} // namespace

void tai_stamper::fmt(char *out, timespec const &ts) noexcept
{
    if (ts.tv_sec != sec_) {
        sec_ = ts.tv_sec;
        std::uint64_t s = tain_from_unix(sec_, 0).sec;
        hex_[0] = '@';
        for (int i = 16; i >= 1; i--, s >>= 4)
            hex_[i] = hexdig[s & 15];
    }
    std::memcpy(out, hex_, 17);
    auto n = static_cast<std::uint32_t>(ts.tv_nsec);
    for (int i = 24; i >= 17; i--, n >>= 4)
        out[i] = hexdig[n & 15];
}

void fmt_nano9(char *out, std::uint32_t nano) noexcept
{
    for (int i = 8; i >= 0; i--, nano /= 10)
        out[i] = static_cast<char>('0' + nano % 10);
}

std::size_t fmt_iso(char *out, std::tm const &tm, std::uint32_t nano) noexcept
{
    char *p = std::to_chars(out, out + 24, static_cast<long long>(tm.tm_year) + 1900).ptr;
    *p++ = '-';
    two(p, tm.tm_mon + 1);
    p[2] = '-';
    two(p + 3, tm.tm_mday);
    p[5] = ' ';
    two(p + 6, tm.tm_hour);
    p[8] = ':';
    two(p + 9, tm.tm_min);
    p[11] = ':';
    two(p + 12, tm.tm_sec);
    p[14] = '.';
    fmt_nano9(p + 15, nano);
    return static_cast<std::size_t>(p + 24 - out);
}

std::size_t iso_stamper::fmt(char *out, std::int64_t sec, std::uint32_t nano) noexcept
{
    if (sec != sec_) {
        std::tm tm{};
        time_t t = static_cast<time_t>(sec);
        if (utc_)
            gmtime_r(&t, &tm);
        else
            localtime_r(&t, &tm);
        sec_ = sec;
        head_len_ = fmt_iso(head_, tm, 0) - 9; // keep "YYYY-MM-DD HH:MM:SS."
    }
    std::memcpy(out, head_, head_len_);
    fmt_nano9(out + head_len_, nano);
    return head_len_ + 9;
}

} // namespace sv
