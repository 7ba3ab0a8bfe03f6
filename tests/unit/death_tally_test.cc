// supervise/death_tally (libsupervise/death_tally.cc): the 14-byte record, how a wait status
// becomes a record, and the file update rules of s6 2.11 (keep the newest max, max 0 writes
// nothing, a malformed size empties the file, atomic replacement through death_tally.new).
#include <catch2/catch.hpp>

#include <cerrno>
#include <csignal>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <sys/wait.h>

#include <supervise/death_tally.hh>

#include "harness.hh"

namespace {

// A service directory with an empty supervise/.
struct svc_dir {
    h::tempdir t;
    svc_dir() { REQUIRE(::mkdir((t / "supervise").c_str(), 0700) == 0); }
    std::string tally() const { return t / "supervise/death_tally"; }
};

sv::death_record rec(std::uint64_t sec, std::uint32_t nano, std::uint8_t code, std::uint8_t sig)
{
    return {sv::tain{sv::tai64_base + sec, nano}, code, sig};
}

std::string packed(sv::death_record const &r)
{
    char b[sv::death_record_size];
    sv::death_record_pack(b, r);
    return std::string(b, sizeof b);
}

std::vector<sv::death_record> read_all(std::string const &dir, std::size_t room = 4096)
{
    std::vector<sv::death_record> v(room);
    ssize_t n = sv::death_tally_read(dir, v);
    REQUIRE(n >= 0);
    v.resize(static_cast<std::size_t>(n));
    return v;
}

} // namespace

TEST_CASE("death records pack to 14 bytes", "[death_tally]")
{
    auto const r = rec(0x6b0393a9, 0x0a55407b, 143, 15);
    std::string const b = packed(r);
    std::string const want("\x40\x00\x00\x00\x6b\x03\x93\xa9\x0a\x55\x40\x7b\x8f\x0f", 14);
    CHECK(b == want);
    CHECK(sv::death_record_unpack(b.data()) == r);

    SECTION("every byte value of the code and signal survives")
    {
        for (unsigned v = 0; v < 256; v++) {
            auto const x = rec(v * 977, v * 3'900'000, static_cast<std::uint8_t>(v),
                               static_cast<std::uint8_t>(255 - v));
            std::string const p = packed(x);
            CHECK(static_cast<unsigned char>(p[12]) == v);
            CHECK(static_cast<unsigned char>(p[13]) == 255 - v);
            CHECK(sv::death_record_unpack(p.data()) == x);
        }
    }
}

TEST_CASE("death_record_from_wstat", "[death_tally]")
{
    sv::tain const t{sv::tai64_base + 1000, 42};

    SECTION("exit codes")
    {
        for (int code : {0, 1, 3, 111, 125, 127, 255}) {
            auto r = sv::death_record_from_wstat(t, code << 8);
            CHECK(r.stamp == t);
            CHECK(r.exitcode == code);
            CHECK(r.sig == 0);
        }
    }
    SECTION("killed by a signal: 128 + signal, and the signal")
    {
        auto r = sv::death_record_from_wstat(t, SIGTERM);
        CHECK(r.stamp == t);
        CHECK(r.exitcode == 128 + SIGTERM);
        CHECK(r.sig == SIGTERM);

        r = sv::death_record_from_wstat(t, SIGKILL);
        CHECK(r.exitcode == 137);
        CHECK(r.sig == 9);
    }
    SECTION("a core dump does not change the record")
    {
        auto r = sv::death_record_from_wstat(t, SIGSEGV | 0x80);
        CHECK(r.exitcode == 128 + SIGSEGV);
        CHECK(r.sig == SIGSEGV);
    }
    SECTION("real wait statuses")
    {
        h::child exits([] { return 42; });
        int ws = exits.wait(10000);
        REQUIRE(ws != -1);
        auto r = sv::death_record_from_wstat(t, ws);
        CHECK(r.exitcode == 42);
        CHECK(r.sig == 0);

        h::child killed([] {
            ::raise(SIGUSR1);
            return 0;
        });
        ws = killed.wait(10000);
        REQUIRE(ws != -1);
        r = sv::death_record_from_wstat(t, ws);
        CHECK(r.exitcode == 128 + SIGUSR1);
        CHECK(r.sig == SIGUSR1);
    }
}

TEST_CASE("death_tally_append keeps the newest max records, oldest first", "[death_tally]")
{
    svc_dir d;
    std::vector<char> scratch((3 + 1) * sv::death_record_size);
    std::vector<sv::death_record> all;
    for (unsigned i = 0; i < 5; i++) {
        all.push_back(rec(100 + i, i * 1000, static_cast<std::uint8_t>(i), 0));
        REQUIRE(sv::death_tally_append(d.t.path(), all.back(), 3, scratch));
        std::string const content = h::read_existing(d.tally());
        std::size_t const n = i + 1 < 3 ? i + 1 : 3;
        REQUIRE(content.size() == n * sv::death_record_size);
        // The file holds exactly the newest n records, in order.
        for (std::size_t k = 0; k < n; k++)
            CHECK(content.substr(k * 14, 14) == packed(all[all.size() - n + k]));
    }
    auto const v = read_all(d.t.path());
    REQUIRE(v.size() == 3);
    CHECK(v[0] == all[2]);
    CHECK(v[1] == all[3]);
    CHECK(v[2] == all[4]);
    CHECK_FALSE(h::exists(d.t / "supervise/death_tally.new"));

    SECTION("reading into a smaller buffer gives the newest ones")
    {
        std::vector<sv::death_record> two(2);
        REQUIRE(sv::death_tally_read(d.t.path(), two) == 2);
        CHECK(two[0] == all[3]);
        CHECK(two[1] == all[4]);
    }
    SECTION("a lower max drops the oldest records at the next append")
    {
        auto const r = rec(200, 0, 1, 0);
        REQUIRE(sv::death_tally_append(d.t.path(), r, 1, scratch));
        auto const w = read_all(d.t.path());
        REQUIRE(w.size() == 1);
        CHECK(w[0] == r);
    }
    SECTION("the file is replaced, not rewritten in place")
    {
        struct stat before, after;
        REQUIRE(::stat(d.tally().c_str(), &before) == 0);
        REQUIRE(sv::death_tally_append(d.t.path(), rec(300, 0, 0, 0), 3, scratch));
        REQUIRE(::stat(d.tally().c_str(), &after) == 0);
        CHECK(before.st_ino != after.st_ino);
    }
}

TEST_CASE("death_tally_append with max 0 writes nothing", "[death_tally]")
{
    svc_dir d;
    std::vector<char> scratch(sv::death_record_size);
    REQUIRE(sv::death_tally_append(d.t.path(), rec(1, 0, 0, 0), 0, scratch));
    CHECK_FALSE(h::exists(d.tally()));
    CHECK_FALSE(h::exists(d.t / "supervise/death_tally.new"));

    SECTION("and leaves an existing file alone")
    {
        std::string const old = packed(rec(7, 7, 7, 7));
        h::write_file(d.tally(), old);
        REQUIRE(sv::death_tally_append(d.t.path(), rec(8, 8, 8, 8), 0, scratch));
        CHECK(h::read_existing(d.tally()) == old);
    }
}

TEST_CASE("death_tally: max above 4096 is capped", "[death_tally]")
{
    svc_dir d;
    std::string content;
    for (unsigned i = 0; i < 4100; i++) content += packed(rec(i, 0, 0, 0));
    h::write_file(d.tally(), content);
    std::vector<char> scratch((5000 + 1) * sv::death_record_size);
    auto const r = rec(99999, 1, 2, 3);
    REQUIRE(sv::death_tally_append(d.t.path(), r, 5000, scratch));
    auto const v = read_all(d.t.path(), 5000);
    REQUIRE(v.size() == sv::death_tally_max);
    CHECK(v.front() == rec(4100 - 4095, 0, 0, 0));
    CHECK(v.back() == r);
}

TEST_CASE("death_tally_append refuses a scratch buffer that is too small", "[death_tally]")
{
    svc_dir d;
    std::vector<char> scratch(3 * sv::death_record_size); // needs (3 + 1) * 14
    errno = 0;
    CHECK_FALSE(sv::death_tally_append(d.t.path(), rec(1, 0, 0, 0), 3, scratch));
    CHECK(errno == EINVAL);
    CHECK_FALSE(h::exists(d.tally()));
}

TEST_CASE("death_tally: a size that is not a multiple of 14 empties the file", "[death_tally]")
{
    svc_dir d;
    std::string bad = packed(rec(1, 0, 0, 0)) + "junk!!";
    REQUIRE(bad.size() % 14 != 0);

    SECTION("when read")
    {
        h::write_file(d.tally(), bad);
        CHECK(read_all(d.t.path()).empty());
        CHECK(h::read_existing(d.tally()).empty());
    }
    SECTION("when appended to: only the new record is left")
    {
        h::write_file(d.tally(), bad);
        std::vector<char> scratch(101 * sv::death_record_size);
        auto const r = rec(2, 0, 1, 0);
        REQUIRE(sv::death_tally_append(d.t.path(), r, 100, scratch));
        CHECK(h::read_existing(d.tally()) == packed(r));
    }
}

TEST_CASE("death_tally_read creates a missing file, empty", "[death_tally]")
{
    svc_dir d;
    CHECK(read_all(d.t.path()).empty());
    CHECK(h::exists(d.tally()));
    CHECK(h::read_existing(d.tally()).empty());

    SECTION("but fails without supervise/")
    {
        h::tempdir bare;
        std::vector<sv::death_record> v(4);
        errno = 0;
        CHECK(sv::death_tally_read(bare.path(), v) == -1);
        CHECK(errno == ENOENT);
    }
}

TEST_CASE("death_tally_clear empties the tally", "[death_tally]")
{
    svc_dir d;
    std::vector<char> scratch(101 * sv::death_record_size);
    REQUIRE(sv::death_tally_append(d.t.path(), rec(1, 0, 0, 0), 100, scratch));
    REQUIRE(sv::death_tally_append(d.t.path(), rec(2, 0, 0, 0), 100, scratch));
    REQUIRE(read_all(d.t.path()).size() == 2);

    REQUIRE(sv::death_tally_clear(d.t.path()));
    CHECK(h::exists(d.tally()));
    CHECK(h::read_existing(d.tally()).empty());
    CHECK_FALSE(h::exists(d.t / "supervise/death_tally.new"));

    SECTION("clearing a missing tally creates it empty")
    {
        svc_dir e;
        REQUIRE(sv::death_tally_clear(e.t.path()));
        CHECK(h::read_existing(e.tally()).empty());
    }
}
