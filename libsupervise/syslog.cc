// Syslog priority names and line shaping (see supervise/syslog.hh).
#include <cstring>
#include <supervise/syslog.hh>
#include <supervise/uidgid.hh>

namespace sv {

namespace {

// glibc's facility names by facility number (PRI >> 3); the empty ones are "unknown".
constexpr std::string_view facility_names[25] = {
    "kern",   "user",     "mail",   "daemon", "auth",   "syslog", "lpr",  "news",   "uucp",
    "cron",   "authpriv", "ftp",    "",       "",       "",       "",     "local0", "local1",
    "local2", "local3",   "local4", "local5", "local6", "local7", "mark",
};

constexpr std::string_view priority_names[8] = {"emerg", "alert",  "crit", "err",
                                                "warn",  "notice", "info", "debug"};

constexpr std::string_view unknown = "unknown";

char *put(char *out, std::string_view s) noexcept
{
    if (s.empty()) return out; // an empty view may have no data: memcpy wants a pointer
    std::memcpy(out, s.data(), s.size());
    return out + s.size();
}

} // namespace

std::string_view syslog_facility_name(unsigned pri) noexcept
{
    // LOG_FACMASK is 0x3f8: the bits above it take no part.
    unsigned const fac = (pri & 0x3f8) >> 3;
    if (fac >= sizeof facility_names / sizeof facility_names[0] || facility_names[fac].empty())
        return unknown;
    return facility_names[fac];
}

std::string_view syslog_priority_name(unsigned pri) noexcept
{
    return priority_names[pri & 7];
}

std::size_t syslog_scan_pri(std::string_view line, unsigned &pri) noexcept
{
    if (line.empty() || line[0] != '<') return 0;
    std::uint32_t v = 0;
    std::size_t const n = scan_u32_prefix(line.substr(1), v);
    if (!n || line.size() <= n + 1 || line[n + 1] != '>') return 0;
    pri = v;
    return n + 2;
}

std::size_t syslog_prefix(std::string_view line, char *out, std::size_t *consumed) noexcept
{
    unsigned pri = 0;
    *consumed = syslog_scan_pri(line, pri);
    if (!*consumed) return 0;
    char *p = put(out, syslog_facility_name(pri));
    *p++ = '.';
    p = put(p, syslog_priority_name(pri));
    p = put(p, ": ");
    return static_cast<std::size_t>(p - out);
}

std::size_t syslog_clean(char *msg, std::size_t len) noexcept
{
    while (len && (msg[len - 1] == 0 || msg[len - 1] == '\n'))
        --len;
    // memchr rather than a loop over every byte: most messages have neither, and a syslog
    // daemon runs this on every datagram.
    for (char const c : {'\0', '\n'}) {
        char *p = msg, *const end = msg + len;
        while ((p = static_cast<char *>(std::memchr(p, c, static_cast<std::size_t>(end - p)))))
            *p++ = '~';
    }
    return len;
}

std::size_t syslog_stamp_len(std::string_view record) noexcept
{
    // ucspilogd counts the record with its terminator: over 26 bytes with it, 26 without.
    if (record.size() < 26 || record[0] != '@') return 0;
    return record.substr(0, 26).find(' ') == 25 ? 26 : 0;
}

std::size_t syslog_format_line(std::string_view from, std::string_view msg, bool raw, bool cut,
                               char *out) noexcept
{
    char *p = put(out, from);
    if (!raw) {
        std::size_t used = 0;
        p += syslog_prefix(msg, p, &used);
        msg.remove_prefix(used);
    }
    p = put(p, msg);
    if (cut) p = put(p, syslog_truncated_mark);
    *p++ = '\n';
    return static_cast<std::size_t>(p - out);
}

} // namespace sv
