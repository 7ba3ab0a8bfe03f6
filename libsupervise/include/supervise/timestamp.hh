// Fast text stamps for loggers: the TAI64N label ("@" + 24 hex) and the local ISO 8601 form
// s6 prints ("YYYY-MM-DD HH:MM:SS.nnnnnnnnn": a space between date and time, always nine
// digits of nanoseconds, the year unpadded).
//
// s6-log stamps every line, so both formatters keep the part that only changes once a second
// (the 16 hex digits of the seconds; the broken-down local time) and redo only the
// nanoseconds per call.  Caching per second is exact: time zone offsets change on whole
// seconds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ctime>

#include <supervise/tai64n.hh>

namespace sv {

// Longest ISO form: a 64-bit year is at most 20 characters, the rest 30.
inline constexpr std::size_t iso_stamp_max = 52;

class tai_stamper
{
public:
    // Writes the 25-character label for the wall-clock reading ts (no NUL).
    void fmt(char *out, timespec const &ts) noexcept;

private:
    std::int64_t sec_ = -1;
    char hex_[17] = {}; // '@' + 16 hex digits of the TAI64 label for sec_
};

class iso_stamper
{
public:
    // utc: use gmtime_r instead of localtime_r.
    explicit iso_stamper(bool utc = false) noexcept : utc_(utc) {}
    // Writes the ISO form of the unix time (sec, nano) and returns its length (no NUL).
    std::size_t fmt(char *out, std::int64_t sec, std::uint32_t nano) noexcept;
    std::size_t fmt(char *out, timespec const &ts) noexcept
    {
        return fmt(out, ts.tv_sec, static_cast<std::uint32_t>(ts.tv_nsec));
    }

private:
    bool utc_;
    std::int64_t sec_ = INT64_MIN;
    char head_[iso_stamp_max] = {}; // "YYYY-MM-DD HH:MM:SS."
    std::size_t head_len_ = 0;
};

// Formats a broken-down time and nanoseconds as above; returns the length.
std::size_t fmt_iso(char *out, std::tm const &tm, std::uint32_t nano) noexcept;

// Writes the 9 decimal digits of nano (0..999999999).
void fmt_nano9(char *out, std::uint32_t nano) noexcept;

} // namespace sv
