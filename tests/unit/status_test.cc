// supervise/status (libsupervise/status.cc): the 35-byte layout, checked against the worked
// example in supervise-protocol.md section 4.2, the flag bits, and the file rules: readers need
// at least 35 bytes (EPIPE otherwise), writers go through status.new and rename.
#include <catch2/catch.hpp>

#include <cerrno>
#include <random>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <supervise/fd.hh>
#include <supervise/status.hh>

#include "harness.hh"

namespace {

std::string packed(sv::status const &s)
{
    char b[sv::status_size];
    sv::status_pack(b, s);
    return std::string(b, sizeof b);
}

// The example of section 4.2: run exited 3, finish is running (pid 16291), started with -o.
std::string const example(
    "\x40\x00\x00\x00\x6b\x03\x93\xa9\x0a\x55\x40\x7b"
    "\x40\x00\x00\x00\x6b\x03\x93\xa8\x09\xb8\x98\x5b"
    "\x00\x00\x00\x00\x00\x00\x3f\xa3"
    "\x03\x00"
    "\x02",
    35);

struct svc_dir {
    h::tempdir t;
    svc_dir() { REQUIRE(::mkdir((t / "supervise").c_str(), 0700) == 0); }
    std::string status() const { return t / "supervise/status"; }
};

} // namespace

TEST_CASE("status_unpack decodes the worked example of the protocol notes", "[status]")
{
    REQUIRE(example.size() == sv::status_size);
    sv::status const s = sv::status_unpack(example.data());
    CHECK(s.stamp.sec == 0x400000006b0393a9ull);
    CHECK(s.stamp.nano == 0x0a55407bu);
    CHECK(s.readystamp.sec == 0x400000006b0393a8ull);
    CHECK(s.readystamp.nano == 0x09b8985bu);
    CHECK(s.pid == 16291);
    CHECK(s.wstat == 0x0300);
    CHECK(s.finishing);
    CHECK_FALSE(s.paused);
    CHECK_FALSE(s.wantup); // -o cleared it
    CHECK_FALSE(s.ready);
    CHECK_FALSE(s.is_up()); // a pid, but it is finish's
    CHECK(packed(s) == example);
}

TEST_CASE("status_pack lays out every field big-endian", "[status]")
{
    sv::status s;
    s.stamp = {0x0102030405060708ull, 0x090a0b0c};
    s.readystamp = {0x1112131415161718ull, 0x191a1b1c};
    s.pid = 0x2122232425262728ull;
    s.wstat = 0x2930;
    std::string const b = packed(s);
    CHECK(b == std::string("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c"
                           "\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c"
                           "\x21\x22\x23\x24\x25\x26\x27\x28"
                           "\x29\x30"
                           "\x00",
                           35));
    CHECK(sv::status_unpack(b.data()) == s);
}

TEST_CASE("status flags: paused 0x01, finishing 0x02, wantup 0x04, ready 0x08", "[status]")
{
    sv::status s;
    CHECK(packed(s)[34] == 0);
    s.paused = true;
    CHECK(packed(s)[34] == 0x01);
    s = {};
    s.finishing = true;
    CHECK(packed(s)[34] == 0x02);
    s = {};
    s.wantup = true;
    CHECK(packed(s)[34] == 0x04);
    s = {};
    s.ready = true;
    CHECK(packed(s)[34] == 0x08);
    s.paused = s.finishing = s.wantup = true;
    CHECK(packed(s)[34] == 0x0f);

    SECTION("each bit unpacks to its own flag")
    {
        for (int bit = 0; bit < 4; bit++) {
            std::string b(35, '\0');
            b[34] = static_cast<char>(1 << bit);
            sv::status const u = sv::status_unpack(b.data());
            CHECK(u.paused == (bit == 0));
            CHECK(u.finishing == (bit == 1));
            CHECK(u.wantup == (bit == 2));
            CHECK(u.ready == (bit == 3));
        }
    }
    SECTION("bits 4-7 carry nothing")
    {
        std::string b(35, '\0');
        b[34] = static_cast<char>(0xf0);
        CHECK(sv::status_unpack(b.data()) == sv::status{});
    }
}

TEST_CASE("status: up means a pid and not finishing", "[status]")
{
    sv::status s;
    CHECK_FALSE(s.is_up());
    s.pid = 42;
    CHECK(s.is_up());
    s.finishing = true;
    CHECK_FALSE(s.is_up());
    s.pid = 0;
    CHECK_FALSE(s.is_up());
}

TEST_CASE("status pack/unpack round trip", "[status]")
{
    std::mt19937_64 rng(20240611);
    for (int i = 0; i < 2000; i++) {
        sv::status s;
        s.stamp = {rng(), static_cast<std::uint32_t>(rng() % 1000000000)};
        s.readystamp = {rng(), static_cast<std::uint32_t>(rng() % 1000000000)};
        s.pid = rng();
        s.wstat = static_cast<std::uint16_t>(rng());
        auto const f = rng();
        s.paused = f & 1;
        s.finishing = f & 2;
        s.wantup = f & 4;
        s.ready = f & 8;
        std::string const b = packed(s);
        REQUIRE(sv::status_unpack(b.data()) == s);
    }
    sv::status edge;
    edge.stamp = {~0ull, 999999999};
    edge.readystamp = {0, 0};
    edge.pid = ~0ull;
    edge.wstat = 0xffff;
    edge.paused = edge.finishing = edge.wantup = edge.ready = true;
    CHECK(sv::status_unpack(packed(edge).data()) == edge);
}

TEST_CASE("status_read", "[status]")
{
    svc_dir d;

    SECTION("reads 35 bytes")
    {
        h::write_file(d.status(), example);
        sv::status s;
        REQUIRE(sv::status_read(d.t.path(), s));
        CHECK(s == sv::status_unpack(example.data()));
    }
    SECTION("a longer file is fine: only the first 35 bytes count")
    {
        h::write_file(d.status(), example + "trailing");
        sv::status s;
        REQUIRE(sv::status_read(d.t.path(), s));
        CHECK(s == sv::status_unpack(example.data()));
    }
    SECTION("34 bytes is EPIPE")
    {
        h::write_file(d.status(), example.substr(0, 34));
        sv::status s;
        s.pid = 77;
        errno = 0;
        CHECK_FALSE(sv::status_read(d.t.path(), s));
        CHECK(errno == EPIPE);
        CHECK(s.pid == 77); // untouched
    }
    SECTION("an empty file is EPIPE")
    {
        h::write_file(d.status(), "");
        sv::status s;
        errno = 0;
        CHECK_FALSE(sv::status_read(d.t.path(), s));
        CHECK(errno == EPIPE);
    }
    SECTION("a missing file is ENOENT")
    {
        sv::status s;
        errno = 0;
        CHECK_FALSE(sv::status_read(d.t.path(), s));
        CHECK(errno == ENOENT);
    }
}

TEST_CASE("status_write replaces status atomically through status.new", "[status]")
{
    svc_dir d;
    sv::status a = sv::status_unpack(example.data());
    REQUIRE(sv::status_write(d.t.path(), a));
    CHECK(h::read_existing(d.status()) == example);
    CHECK_FALSE(h::exists(d.t / "supervise/status.new"));

    SECTION("mode is 0666 & ~umask")
    {
        h::umask_guard um(022);
        REQUIRE(::unlink(d.status().c_str()) == 0);
        REQUIRE(sv::status_write(d.t.path(), a));
        CHECK((h::mode_of(d.status()) & 07777) == 0644);
    }
    SECTION("a reader holding the old file keeps the old bytes: the file is replaced")
    {
        sv::unique_fd old(::open(d.status().c_str(), O_RDONLY | O_CLOEXEC));
        REQUIRE(old);
        struct stat before, after;
        REQUIRE(::fstat(old.get(), &before) == 0);

        sv::status b = a;
        b.pid = 12345;
        b.finishing = false;
        b.wantup = true;
        REQUIRE(sv::status_write(d.t.path(), b));
        REQUIRE(::stat(d.status().c_str(), &after) == 0);
        CHECK(before.st_ino != after.st_ino);
        CHECK_FALSE(h::exists(d.t / "supervise/status.new"));

        char buf[35];
        REQUIRE(::pread(old.get(), buf, sizeof buf, 0) == 35);
        CHECK(std::string(buf, 35) == example);
        sv::status r;
        REQUIRE(sv::status_read(d.t.path(), r));
        CHECK(r == b);
    }
    SECTION("the write goes to status.new first")
    {
        // With status.new unusable, status_write fails and status keeps its old content.
        REQUIRE(::mkdir((d.t / "supervise/status.new").c_str(), 0700) == 0);
        sv::status b = a;
        b.pid = 1;
        CHECK_FALSE(sv::status_write(d.t.path(), b));
        CHECK(h::read_existing(d.status()) == example);
    }
    SECTION("a stale status.new is overwritten")
    {
        h::write_file(d.t / "supervise/status.new", std::string(100, 'x'));
        REQUIRE(sv::status_write(d.t.path(), a));
        CHECK(h::read_existing(d.status()) == example);
        CHECK_FALSE(h::exists(d.t / "supervise/status.new"));
    }
    SECTION("without supervise/ it fails with ENOENT")
    {
        h::tempdir bare;
        errno = 0;
        CHECK_FALSE(sv::status_write(bare.path(), a));
        CHECK(errno == ENOENT);
    }
}
