// TAI64N stamps and monotonic deadlines (libsupervise/tai64n.cc): the 12-byte pack, the
// 25-character label, skalibs' leap-second table (unix + 37 today), second and millisecond
// arithmetic, and poll() timeouts from absolute deadlines.
#include <catch2/catch.hpp>

#include <climits>
#include <ctime>
#include <random>
#include <string>

#include <supervise/tai64n.hh>

namespace {

std::string packed(sv::tain t)
{
    char b[sv::tain_pack_size];
    sv::tain_pack(b, t);
    return std::string(b, sizeof b);
}

std::string label(sv::tain t)
{
    char b[sv::tain_label_size];
    sv::tain_fmt(b, t);
    return std::string(b, sizeof b);
}

// The unix times of skalibs' leap-second table (the instant after each inserted second).
constexpr std::int64_t leaps[] = {
    78796800,   94694400,   126230400,  157766400,  189302400,  220924800,  252460800,
    283996800,  315532800,  362793600,  394329600,  425865600,  489024000,  567993600,
    631152000,  662688000,  709948800,  741484800,  773020800,  820454400,  867715200,
    915148800,  1136073600, 1230768000, 1341100800, 1435708800, 1483228800,
};

} // namespace

TEST_CASE("tain_pack: 8 bytes of seconds and 4 of nanoseconds, big-endian", "[tai64n]")
{
    sv::tain const t{0x400000006b038bceull, 0x1dd90734};
    CHECK(packed(t) == std::string("\x40\x00\x00\x00\x6b\x03\x8b\xce\x1d\xd9\x07\x34", 12));
    CHECK(sv::tain_unpack(packed(t).data()) == t);
    CHECK(packed({}) == std::string(12, '\0'));
    CHECK(packed({~0ull, 999999999}) == std::string("\xff\xff\xff\xff\xff\xff\xff\xff"
                                                    "\x3b\x9a\xc9\xff",
                                                    12));

    std::mt19937_64 rng(7);
    for (int i = 0; i < 1000; i++) {
        sv::tain const r{rng(), static_cast<std::uint32_t>(rng() % 1000000000)};
        REQUIRE(sv::tain_unpack(packed(r).data()) == r);
    }
}

TEST_CASE("tain labels: '@' and 24 lower-case hex digits", "[tai64n]")
{
    sv::tain const t{0x400000006b038bceull, 0x1dd90734};
    CHECK(label(t) == "@400000006b038bce1dd90734");
    CHECK(label({}) == "@000000000000000000000000");
    CHECK(label({0xabcdef0123456789ull, 0x0a0b0c0d}) == "@abcdef01234567890a0b0c0d");

    sv::tain back;
    REQUIRE(sv::tain_scan("@400000006b038bce1dd90734", back));
    CHECK(back == t);

    SECTION("upper-case hex is accepted")
    {
        sv::tain u;
        REQUIRE(sv::tain_scan("@400000006B038BCE1DD90734", u));
        CHECK(u == t);
        REQUIRE(sv::tain_scan("@ABCDEF01234567890A0B0C0D", u));
        CHECK(u == sv::tain{0xabcdef0123456789ull, 0x0a0b0c0d});
    }
    SECTION("the label may be followed by more text")
    {
        sv::tain u;
        REQUIRE(sv::tain_scan("@400000006b038bce1dd90734 s6-supervise: line", u));
        CHECK(u == t);
    }
    SECTION("malformed labels")
    {
        for (char const *bad : {"", "@", "400000006b038bce1dd90734", "@400000006b038bce1dd9073",
                                "@400000006b038bce1dd9073g", "@400000006b038bce 1dd90734",
                                "#400000006b038bce1dd90734", "@-00000006b038bce1dd90734",
                                "@0x0000006b038bce1dd90734"}) {
            INFO('"' << bad << '"');
            sv::tain u{1, 2};
            CHECK_FALSE(sv::tain_scan(bad, u));
            CHECK(u == sv::tain{1, 2});
        }
    }
    SECTION("round trip")
    {
        std::mt19937_64 rng(11);
        for (int i = 0; i < 1000; i++) {
            sv::tain const r{rng(), static_cast<std::uint32_t>(rng() % 1000000000)};
            sv::tain u;
            REQUIRE(sv::tain_scan(label(r), u));
            REQUIRE(u == r);
        }
    }
}

TEST_CASE("leap seconds: unix + 37 today", "[tai64n]")
{
    // Bracket the reading with time() so a tick between the two calls cannot fail the test.
    std::int64_t const before = std::time(nullptr);
    sv::tain const now = sv::tain_now();
    std::int64_t const after = std::time(nullptr);
    CHECK(now.sec >= sv::tai64_base + static_cast<std::uint64_t>(before) + 37);
    CHECK(now.sec <= sv::tai64_base + static_cast<std::uint64_t>(after) + 37);
    CHECK(now.nano < 1000000000u);
    CHECK(sv::leap_seconds_at(before) == 27);

    CHECK(sv::tain_from_unix(1700000000, 5) == sv::tain{sv::tai64_base + 1700000000 + 37, 5});
    CHECK(sv::tain_from_unix(0, 0) == sv::tain{sv::tai64_base + 10, 0});
    CHECK(sv::unix_from_tain(sv::tain_from_unix(1700000000, 0)) == 1700000000);
}

TEST_CASE("leap seconds: the table boundaries", "[tai64n]")
{
    CHECK(sv::leap_seconds_at(0) == 0);
    CHECK(sv::leap_seconds_at(leaps[0] - 1) == 0);
    for (unsigned i = 0; i < std::size(leaps); i++) {
        INFO("entry " << i << " at " << leaps[i]);
        CHECK(sv::leap_seconds_at(leaps[i] - 1) == i);
        CHECK(sv::leap_seconds_at(leaps[i]) == i + 1);
        CHECK(sv::leap_seconds_at(leaps[i] + 1) == i + 1);
        // TAI runs one second further than unix across each boundary.
        sv::tain const a = sv::tain_from_unix(leaps[i] - 1, 0);
        sv::tain const b = sv::tain_from_unix(leaps[i], 0);
        CHECK(b.sec - a.sec == 2);
        CHECK(a.sec == sv::tai64_base + static_cast<std::uint64_t>(leaps[i] - 1) + 10 + i);
        // Converting back gives the same unix time on both sides of the boundary.
        for (std::int64_t d = -3; d <= 3; d++)
            CHECK(sv::unix_from_tain(sv::tain_from_unix(leaps[i] + d, 0)) == leaps[i] + d);
    }
    CHECK(sv::leap_seconds_at(1483228800) == 27); // 2017-01-01, the last entry
    CHECK(sv::leap_seconds_at(4000000000) == 27);
}

TEST_CASE("tain_seconds_between floors", "[tai64n]")
{
    auto const t = [](std::uint64_t s, std::uint32_t ns) {
        return sv::tain{sv::tai64_base + s, ns};
    };
    CHECK(sv::tain_seconds_between(t(100, 0), t(100, 0)) == 0);
    CHECK(sv::tain_seconds_between(t(100, 500000000), t(101, 400000000)) == 0);
    CHECK(sv::tain_seconds_between(t(100, 500000000), t(101, 500000000)) == 1);
    CHECK(sv::tain_seconds_between(t(100, 0), t(101, 999999999)) == 1);
    CHECK(sv::tain_seconds_between(t(100, 0), t(160, 0)) == 60);
    // Negative intervals floor towards minus infinity.
    CHECK(sv::tain_seconds_between(t(101, 0), t(100, 1)) == -1);
    CHECK(sv::tain_seconds_between(t(101, 0), t(100, 0)) == -1);
    CHECK(sv::tain_seconds_between(t(102, 0), t(100, 500000000)) == -2);
    CHECK(sv::tain_seconds_between(t(100, 500000000), t(99, 0)) == -2);
    CHECK(sv::tain_seconds_between(t(100, 1), t(100, 0)) == -1);
}

TEST_CASE("tain_add_ms carries into the seconds", "[tai64n]")
{
    sv::tain const base{sv::tai64_base + 100, 0};
    CHECK(sv::tain_add_ms(base, 0) == base);
    CHECK(sv::tain_add_ms(base, 1) == sv::tain{base.sec, 1000000});
    CHECK(sv::tain_add_ms(base, 1000) == sv::tain{base.sec + 1, 0});
    CHECK(sv::tain_add_ms(base, 1500) == sv::tain{base.sec + 1, 500000000});
    CHECK(sv::tain_add_ms(base, 86400000) == sv::tain{base.sec + 86400, 0});
    CHECK(sv::tain_add_ms({base.sec, 999000000}, 1) == sv::tain{base.sec + 1, 0});
    CHECK(sv::tain_add_ms({base.sec, 999999999}, 1) == sv::tain{base.sec + 1, 999999});
    CHECK(sv::tain_add_ms({base.sec, 600000000}, 1700) == sv::tain{base.sec + 2, 300000000});

    SECTION("negative amounts borrow")
    {
        CHECK(sv::tain_add_ms(base, -1) == sv::tain{base.sec - 1, 999000000});
        CHECK(sv::tain_add_ms({base.sec, 200000000}, -1500) == sv::tain{base.sec - 2, 700000000});
        CHECK(sv::tain_add_ms({base.sec, 500000000}, -500) == sv::tain{base.sec, 0});
        CHECK(sv::tain_add_ms(base, -1000) == sv::tain{base.sec - 1, 0});
    }
    SECTION("adding then subtracting is the identity")
    {
        std::mt19937_64 rng(3);
        for (int i = 0; i < 1000; i++) {
            sv::tain const t{sv::tai64_base + rng() % 2000000000,
                             static_cast<std::uint32_t>(rng() % 1000000000)};
            std::int64_t const ms = static_cast<std::int64_t>(rng() % 20000000) - 10000000;
            sv::tain const u = sv::tain_add_ms(t, ms);
            REQUIRE(u.nano < 1000000000u);
            REQUIRE(sv::tain_add_ms(u, -ms) == t);
        }
    }
}

TEST_CASE("poll_timeout from an absolute deadline", "[tai64n]")
{
    CHECK(sv::poll_timeout(-1, 1000) == -1);
    CHECK(sv::poll_timeout(-5, 0) == -1);
    CHECK(sv::poll_timeout(1000, 1000) == 0);
    CHECK(sv::poll_timeout(1000, 2000) == 0);
    CHECK(sv::poll_timeout(1050, 1000) == 50);
    CHECK(sv::poll_timeout(0, 0) == 0);
    CHECK(sv::poll_timeout(std::int64_t{INT_MAX} + 5000, 1000) == INT_MAX);
    CHECK(sv::poll_timeout(INT64_MAX, 0) == INT_MAX);
}

TEST_CASE("mono_ms never goes backwards", "[tai64n]")
{
    std::int64_t prev = sv::mono_ms();
    CHECK(prev >= 0);
    for (int i = 0; i < 1000; i++) {
        std::int64_t const n = sv::mono_ms();
        REQUIRE(n >= prev);
        prev = n;
    }
}

TEST_CASE("tain ordering", "[tai64n]")
{
    CHECK(sv::tain{1, 0} < sv::tain{1, 1});
    CHECK(sv::tain{1, 999999999} < sv::tain{2, 0});
    CHECK(sv::tain{2, 0} == sv::tain{2, 0});
}
