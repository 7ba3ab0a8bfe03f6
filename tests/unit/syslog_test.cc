// Syslog line shaping (libsupervise/syslog.cc): glibc's names as the stock s6-socklog and
// ucspilogd print them, "<PRI>" scanning at its edges, one datagram made one line, the
// TAI64N label ucspilogd keeps, and whole s6-socklog lines.
#include <catch2/catch.hpp>

#include <string>

#include <supervise/syslog.hh>

namespace {
std::string prefix(std::string_view line, std::size_t *used = nullptr)
{
    char out[sv::syslog_prefix_max];
    std::size_t u = 99;
    std::size_t n = sv::syslog_prefix(line, out, &u);
    if (used) *used = u;
    return {out, n};
}

std::string clean(std::string s)
{
    s.resize(sv::syslog_clean(s.data(), s.size()));
    return s;
}

std::string line(std::string_view from, std::string msg, bool raw, bool cut)
{
    std::string out(from.size() + msg.size() + sv::syslog_prefix_max + 4, '\0');
    out.resize(sv::syslog_format_line(from, msg, raw, cut, out.data()));
    return out;
}
} // namespace

TEST_CASE("syslog: facility names as glibc's first match, unknown where none", "[syslog]")
{
    // Captured from stock ucspilogd: "<f*8+4>x" for f = 0..127.
    char const *const names[25] = {
        "kern",   "user",     "mail",   "daemon", "auth",   "syslog", "lpr",   "news",   "uucp",
        "cron",   "authpriv", "ftp",    nullptr,  nullptr,  nullptr,  nullptr, "local0", "local1",
        "local2", "local3",   "local4", "local5", "local6", "local7", "mark"};
    for (unsigned f = 0; f < 128; ++f) {
        std::string_view want = f < 25 && names[f] ? names[f] : "unknown";
        CHECK(sv::syslog_facility_name(f * 8 + 4) == want);
    }
    // Bits above LOG_FACMASK take no part.
    CHECK(sv::syslog_facility_name(1024 + 13) == "user");
}

TEST_CASE("syslog: priority names (warn, not warning; emerg, not panic)", "[syslog]")
{
    char const *const want[8] = {"emerg", "alert",  "crit", "err",
                                 "warn",  "notice", "info", "debug"};
    for (unsigned p = 0; p < 8; ++p)
        CHECK(sv::syslog_priority_name(p + 8 * 3) == want[p]);
}

TEST_CASE("syslog: <PRI> is scanned as stock scans it", "[syslog]")
{
    std::size_t used = 0;
    CHECK(prefix("<13>hello", &used) == "user.notice: ");
    CHECK(used == 4);
    CHECK(prefix("<013>w", &used) == "user.notice: ");
    CHECK(used == 5);
    CHECK(prefix("<0>a") == "kern.emerg: ");
    CHECK(prefix("<191>b") == "local7.debug: ");
    CHECK(prefix("<1023>c") == "unknown.debug: ");
    CHECK(prefix("<1024>d") == "kern.emerg: ");
    CHECK(prefix("<4294967295>e") == "unknown.debug: ");
    // Not a priority: a value over 32 bits, no digits, a sign, a space, no '>'.
    for (char const *s : {"<4294967296>f", "<99999999999>g", "noprio", "<>x", "<13x", "<+1>y",
                          "< 1>z", "<13", "<", "", " <13>x"}) {
        CHECK(prefix(s, &used).empty());
        CHECK(used == 0);
    }
    unsigned pri = 77;
    CHECK(sv::syslog_scan_pri("<13", pri) == 0);
    CHECK(pri == 77);
    CHECK(sv::syslog_scan_pri("<13>", pri) == 4);
    CHECK(pri == 13);
}

TEST_CASE("syslog: a datagram is made one line", "[syslog]")
{
    CHECK(clean("hello") == "hello");
    CHECK(clean(std::string("a\nb\0c\n\0\n", 9)) == "a~b~c");
    CHECK(clean("\n\n") == "");
    CHECK(clean(std::string("\0", 1)) == "");
    CHECK(clean("x\n") == "x");
    CHECK(clean("\nx") == "~x");
}

TEST_CASE("syslog: ucspilogd's TAI64N label is '@', 24 characters, a space", "[syslog]")
{
    CHECK(sv::syslog_stamp_len("@400000000000000000000000 <13>tai") == 26);
    CHECK(sv::syslog_stamp_len("@400000000000000000000000 ") == 26);
    CHECK(sv::syslog_stamp_len("@40000000000000000000000 <13>tai") == 0);
    CHECK(sv::syslog_stamp_len("@4000000000000000000000000 x") == 0);
    CHECK(sv::syslog_stamp_len("@400000000 00000000000000 x") == 0);
    CHECK(sv::syslog_stamp_len("x400000000000000000000000 x") == 0);
    CHECK(sv::syslog_stamp_len("@40000000000000000000000 ") == 0);
}

TEST_CASE("syslog: whole s6-socklog lines", "[syslog]")
{
    CHECK(line("", "<13>hello", false, false) == "user.notice: hello\n");
    CHECK(line("", "<13>hello", true, false) == "<13>hello\n");
    CHECK(line("", "plain", false, true) == "plain...\n");
    CHECK(line("", "", false, false) == "\n");
    CHECK(line("127.0.0.1_514: ", "<4>x", false, false) == "127.0.0.1_514: kern.warn: x\n");
}
