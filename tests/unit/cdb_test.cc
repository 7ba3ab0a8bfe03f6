// The cdb reader and writer: round trips, several records under one key, malformed files,
// and, where the stock libraries are here, byte-for-byte agreement with skalibs' cdbmake and
// lookups through skalibs' cdb_find on our files.
#include <catch2/catch.hpp>

#include <cerrno>
#include <random>
#include <string>
#include <vector>

#include <sys/mman.h>
#include <unistd.h>

#include <supervise/cdb.hh>
#include <supervise/fd.hh>

#ifdef HAVE_STOCK_S6
extern "C" {
#include <skalibs/cdb.h>
#include <skalibs/cdbmake.h>
}
#endif

namespace {

// An anonymous file holding bytes, for the reader.
sv::unique_fd memfile(std::string const &bytes)
{
    sv::unique_fd fd(::memfd_create("cdb-test", MFD_CLOEXEC));
    REQUIRE(fd);
    REQUIRE(sv::write_full(fd.get(), bytes));
    return fd;
}

sv::cdb open_bytes(std::string const &bytes)
{
    auto fd = memfile(bytes);
    sv::cdb db;
    REQUIRE(db.open_fd(fd.get()));
    return db;
}

std::vector<std::pair<std::string, std::string>> random_records(unsigned seed, int n)
{
    std::mt19937 rng(seed);
    std::vector<std::pair<std::string, std::string>> r;
    for (int i = 0; i < n; i++) {
        std::string k, d;
        // Short keys from a small alphabet, so that keys repeat and hashes collide.
        int const klen = static_cast<int>(rng() % 4);
        for (int j = 0; j < klen; j++) k += static_cast<char>('a' + rng() % 3);
        int const dlen = static_cast<int>(rng() % 40);
        for (int j = 0; j < dlen; j++) d += static_cast<char>(rng() % 256);
        r.emplace_back(k, d);
    }
    return r;
}

} // namespace

TEST_CASE("cdb: the hash is djb's", "[cdb]")
{
    CHECK(sv::cdb_hash("") == 5381u);
    CHECK(sv::cdb_hash("a") == ((5381u * 33) ^ 'a'));
    CHECK(sv::cdb_hash("ab") == ((((5381u * 33) ^ 'a') * 33) ^ 'b'));
}

TEST_CASE("cdb: an empty database is a header and 256 empty tables", "[cdb]")
{
    sv::cdb_writer w;
    std::string const img = w.image();
    REQUIRE(img.size() == 2048);
    for (int i = 0; i < 256; i++) {
        // Every table starts at 2048 and has no slots.
        CHECK(img.substr(8 * i, 8) == std::string("\x00\x08\x00\x00\x00\x00\x00\x00", 8));
    }
    auto db = open_bytes(img);
    std::string_view d;
    CHECK(db.find("x", d) == 0);
    std::uint32_t pos = 0;
    std::string_view k;
    CHECK(db.next_record(pos, k, d) == 0);
}

TEST_CASE("cdb: one record, byte by byte", "[cdb]")
{
    sv::cdb_writer w;
    REQUIRE(w.add("uid/0", "allow"));
    std::string const img = w.image();
    // header, record (8 + 5 + 5), then one table of 2 slots for the key's table.
    REQUIRE(img.size() == 2048 + 18 + 16);
    CHECK(img.substr(2048, 18) == std::string("\x05\0\0\0\x05\0\0\0uid/0allow", 18));
    std::uint32_t const h = sv::cdb_hash("uid/0");
    std::uint32_t const t = h & 255;
    auto u32 = [&](std::size_t at) {
        return static_cast<std::uint32_t>(static_cast<unsigned char>(img[at])) |
               static_cast<std::uint32_t>(static_cast<unsigned char>(img[at + 1])) << 8 |
               static_cast<std::uint32_t>(static_cast<unsigned char>(img[at + 2])) << 16 |
               static_cast<std::uint32_t>(static_cast<unsigned char>(img[at + 3])) << 24;
    };
    CHECK(u32(8 * t) == 2048 + 18);
    CHECK(u32(8 * t + 4) == 2);
    std::uint32_t const slot = (h >> 8) % 2;
    CHECK(u32(2048 + 18 + 8 * slot) == h);
    CHECK(u32(2048 + 18 + 8 * slot + 4) == 2048);
}

TEST_CASE("cdb: round trip with repeated keys, in order", "[cdb]")
{
    auto const recs = random_records(7, 500);
    sv::cdb_writer w;
    for (auto const &[k, d] : recs) REQUIRE(w.add(k, d));
    auto db = open_bytes(w.image());

    // Every key finds its records in the order they were added.
    for (auto const &[k, ignored] : recs) {
        std::vector<std::string> want;
        for (auto const &[k2, d2] : recs)
            if (k2 == k) want.push_back(d2);
        std::vector<std::string> got;
        sv::cdb::finder f(db, k);
        std::string_view d;
        int r;
        while ((r = f.next(d)) == 1) got.emplace_back(d);
        REQUIRE(r == 0);
        CHECK(got == want);
    }
    std::string_view d;
    CHECK(db.find("absent-key", d) == 0);

    // A traversal gives every record in file order.
    std::uint32_t pos = 0;
    std::string_view k;
    std::size_t i = 0;
    int r;
    while ((r = db.next_record(pos, k, d)) == 1) {
        REQUIRE(i < recs.size());
        CHECK(k == recs[i].first);
        CHECK(d == recs[i].second);
        i++;
    }
    CHECK(r == 0);
    CHECK(i == recs.size());
}

TEST_CASE("cdb: malformed files are refused, never read past the end", "[cdb]")
{
    SECTION("shorter than the header")
    {
        auto fd = memfile(std::string(100, '\0'));
        sv::cdb db;
        CHECK_FALSE(db.open_fd(fd.get()));
        CHECK(errno == EPROTO);
    }
    sv::cdb_writer w;
    REQUIRE(w.add("key", "data"));
    std::string img = w.image();
    std::uint32_t const t = sv::cdb_hash("key") & 255;
    SECTION("a table that runs past the end")
    {
        img[8 * t + 4] = 100;
        auto db = open_bytes(img);
        std::string_view d;
        CHECK(db.find("key", d) == -1);
        CHECK(errno == EPROTO);
    }
    SECTION("a record whose length runs past the end")
    {
        img[2048] = '\x7f';
        img[2049] = '\x7f';
        auto db = open_bytes(img);
        std::string_view d, k;
        CHECK(db.find("key", d) == -1);
        std::uint32_t pos = 0;
        CHECK(db.next_record(pos, k, d) == -1);
    }
    SECTION("truncated: the tables are gone")
    {
        img.resize(2048 + 8 + 3 + 4);
        auto db = open_bytes(img);
        std::string_view d;
        CHECK(db.find("key", d) == -1);
    }
    SECTION("a garbage file of any length answers or refuses, never crashes")
    {
        std::mt19937 rng(3);
        for (int round = 0; round < 200; round++) {
            std::string junk(2048 + rng() % 512, '\0');
            for (char &c : junk) c = static_cast<char>(rng() % 8 ? rng() % 4 : rng());
            auto db = open_bytes(junk);
            std::string_view d, k;
            (void)db.find("a", d);
            std::uint32_t pos = 0;
            for (int n = 0; n < 64 && db.next_record(pos, k, d) == 1; n++) {}
        }
    }
}

#ifdef HAVE_STOCK_S6
TEST_CASE("cdb: our files are skalibs' cdbmake files, byte for byte, and it reads ours",
          "[cdb][stock]")
{
    for (unsigned seed : {1u, 2u, 3u}) {
        auto const recs = random_records(seed, seed * 150);
        sv::cdb_writer w;
        for (auto const &[k, d] : recs) REQUIRE(w.add(k, d));
        std::string const ours = w.image();

        sv::unique_fd fd(::memfd_create("skalibs-cdb", MFD_CLOEXEC));
        REQUIRE(fd);
        cdbmaker cm = CDBMAKER_ZERO;
        REQUIRE(cdbmake_start(&cm, fd.get()));
        for (auto const &[k, d] : recs)
            REQUIRE(cdbmake_add(&cm, k.data(), static_cast<unsigned>(k.size()), d.data(),
                                static_cast<unsigned>(d.size())));
        REQUIRE(cdbmake_finish(&cm));
        std::string theirs;
        REQUIRE(::lseek(fd.get(), 0, SEEK_SET) == 0);
        REQUIRE(sv::read_all(fd.get(), theirs));
        CHECK(theirs == ours);

        // skalibs looks our records up.
        auto ofd = memfile(ours);
        ::cdb c = CDB_ZERO;
        REQUIRE(cdb_init_fromfd(&c, ofd.get()));
        for (auto const &[k, d] : recs) {
            cdb_data data;
            REQUIRE(cdb_find(&c, &data, k.data(), static_cast<std::uint32_t>(k.size())) == 1);
        }
        cdb_free(&c);
    }
}
#endif
