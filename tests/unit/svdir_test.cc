// Service-directory files (libsupervise/svdir.cc), read as s6-supervise 2.11 reads them:
// numeric files take at most 11 bytes, are cut at the first newline and must then be exactly
// one unsigned decimal number; down-signal takes at most 15 bytes and a name or a number.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include <sys/stat.h>

#include <supervise/svdir.hh>

#include "harness.hh"

using sv::file_read;

namespace {

file_read read_uint(h::tempdir const &t, std::string const &content, std::uint32_t &v)
{
    std::string const p = t / "timeout-kill";
    h::write_file(p, content);
    return sv::read_uint_file(p.c_str(), v);
}

file_read read_sig(h::tempdir const &t, std::string const &content, int &sig)
{
    std::string const p = t / "down-signal";
    h::write_file(p, content);
    return sv::read_signal_file(p.c_str(), sig);
}

} // namespace

TEST_CASE("numeric files: valid content", "[svdir]")
{
    h::tempdir t;
    std::uint32_t v = 999;
    CHECK(read_uint(t, "3\n", v) == file_read::ok);
    CHECK(v == 3);
    CHECK(read_uint(t, "3", v) == file_read::ok);
    CHECK(v == 3);
    CHECK(read_uint(t, "0", v) == file_read::ok);
    CHECK(v == 0);
    CHECK(read_uint(t, "5000\n", v) == file_read::ok);
    CHECK(v == 5000);
    CHECK(read_uint(t, "007", v) == file_read::ok);
    CHECK(v == 7);
    CHECK(read_uint(t, "4294967295", v) == file_read::ok);
    CHECK(v == 4294967295u);

    SECTION("only the first line counts")
    {
        CHECK(read_uint(t, "42\nrubbish", v) == file_read::ok);
        CHECK(v == 42);
        CHECK(read_uint(t, "42\n\n", v) == file_read::ok);
        CHECK(v == 42);
    }
}

TEST_CASE("numeric files: invalid content leaves the value alone", "[svdir]")
{
    h::tempdir t;
    for (char const *bad : {" 3", "3 ", "0x3", "", "\n", "\n3", "99999999999", "4294967296",
                            "-1", "+3", "3\r\n", "3.0", "three", "1e3", "\t3"}) {
        INFO('"' << bad << '"');
        std::uint32_t v = 12345;
        CHECK(read_uint(t, bad, v) == file_read::invalid);
        CHECK(v == 12345);
    }
}

TEST_CASE("numeric files: at most 11 bytes are read", "[svdir]")
{
    h::tempdir t;
    std::uint32_t v = 0;
    // An 11-digit number fits the read and then overflows: invalid.
    CHECK(read_uint(t, "12345678901", v) == file_read::invalid);
    // Anything after the 11th byte is never seen, newline or not.
    CHECK(read_uint(t, "00000000001X", v) == file_read::ok);
    CHECK(v == 1);
    CHECK(read_uint(t, "0000000000042", v) == file_read::ok);
    CHECK(v == 0); // the read stopped after "00000000000"
    CHECK(read_uint(t, "1234567890\nX", v) == file_read::ok);
    CHECK(v == 1234567890u);
    CHECK(read_uint(t, "7          garbage", v) == file_read::invalid); // spaces within 11
}

TEST_CASE("numeric files: missing and unreadable", "[svdir]")
{
    h::tempdir t;
    std::uint32_t v = 5;
    CHECK(sv::read_uint_file((t / "notification-fd").c_str(), v) == file_read::missing);
    CHECK(v == 5);

    SECTION("a directory cannot be read: error")
    {
        REQUIRE(::mkdir((t / "timeout-finish").c_str(), 0755) == 0);
        CHECK(sv::read_uint_file((t / "timeout-finish").c_str(), v) == file_read::error);
        CHECK(v == 5);
    }
    SECTION("a path through a regular file: error, not missing")
    {
        h::write_file(t / "file", "");
        CHECK(sv::read_uint_file((t / "file/x").c_str(), v) == file_read::error);
    }
}

TEST_CASE("down-signal: names and numbers", "[svdir]")
{
    h::tempdir t;
    int sig = 0;
    struct {
        char const *content;
        int want;
    } const cases[] = {
        {"HUP", 1},     {"SIGUSR2", 12}, {"12", 12},      {"USR1\n", 10},    {"term", 15},
        {"sigterm", 15}, {"SIGHUP\n", 1}, {"KILL\nTERM", 9}, {"9", 9},          {"IOT", 6},
        {"SIGWINCH", 28}, {"15\n", 15}, {"SIG1", 1},
    };
    for (auto const &c : cases) {
        INFO('"' << c.content << '"');
        sig = -1;
        CHECK(read_sig(t, c.content, sig) == file_read::ok);
        CHECK(sig == c.want);
    }
}

TEST_CASE("down-signal: invalid content", "[svdir]")
{
    h::tempdir t;
    for (char const *bad : {"bogus", "", "\n", "0", " TERM", "TERM ", "SIG", "12a", "-9"}) {
        INFO('"' << bad << '"');
        int sig = 77;
        CHECK(read_sig(t, bad, sig) == file_read::invalid);
        CHECK(sig == 77);
    }
}

TEST_CASE("down-signal: at most 15 bytes are read", "[svdir]")
{
    h::tempdir t;
    int sig = 0;
    CHECK(read_sig(t, "000000000000015", sig) == file_read::ok); // exactly 15 bytes
    CHECK(sig == 15);
    CHECK(read_sig(t, "0000000000000015", sig) == file_read::ok); // 16: the 5 is not read
    CHECK(sig == 1);
    CHECK(read_sig(t, "TERM\n" + std::string(100, 'x'), sig) == file_read::ok);
    CHECK(sig == 15);
}

TEST_CASE("down-signal: missing", "[svdir]")
{
    h::tempdir t;
    int sig = 3;
    CHECK(sv::read_signal_file((t / "down-signal").c_str(), sig) == file_read::missing);
    CHECK(sig == 3);
}

TEST_CASE("service-directory defaults", "[svdir]")
{
    CHECK(sv::svdefault::timeout_finish_ms == 5000);
    CHECK(sv::svdefault::timeout_kill_ms == 0);
    CHECK(sv::svdefault::max_death_tally == 100);
    CHECK(sv::svdefault::max_death_tally_cap == 4096);
}
