// The s6lock protocol (libsupervise/s6lock.cc) against the bytes stock libs6 2.11.3.2 sends:
// the golden requests below were captured with strace from s6lock_acquire (Debian's libs6,
// through tests/integration/s6lock_client.cc) writing to its s6lockd.
#include <catch2/catch.hpp>

#include <cerrno>
#include <string>
#include <string_view>

#include <supervise/s6lock.hh>
#include <supervise/tai64n.hh>

using namespace std::string_literals;

namespace {

// s6lock_acquire(id 0, "/x", S6LOCK_OPTIONS_EX, limit tain_zero), payload after the 4-byte
// textmessage header 00 00 00 1a.
std::string const stock_acquire_ex =
    "\x00\x00<\x00\x00\x00\x01"s + std::string(12, '\0') + "\x00\x00\x00\x02/x\x00"s;
// s6lock_acquire(id 0, "abc", S6LOCK_OPTIONS_SH, limit = now + 5 s), header 00 00 00 1b.
std::string const stock_acquire_sh =
    "\x00\x00<\x00\x00\x00\x00\x40\x00\x00\x00\x6b\x0f\x72\x7e\x04\x21\x10\x1c"
    "\x00\x00\x00\x03" "abc\x00"s;

} // namespace

TEST_CASE("s6lock_parse_request reads stock libs6's acquire requests", "[s6lock]")
{
    CHECK(stock_acquire_ex.size() == 0x1a);
    CHECK(stock_acquire_sh.size() == 0x1b);
    sv::s6lock_request r;
    REQUIRE(sv::s6lock_parse_request(stock_acquire_ex, r) == sv::s6lock_parse::ok);
    CHECK(r.op == sv::s6lock_request::kind::acquire);
    CHECK(r.id == 0);
    CHECK(r.exclusive);
    CHECK(r.limit.sec == 0);
    CHECK(r.path == "/x");

    REQUIRE(sv::s6lock_parse_request(stock_acquire_sh, r) == sv::s6lock_parse::ok);
    CHECK_FALSE(r.exclusive);
    CHECK(r.limit.sec == 0x400000006b0f727eULL);
    CHECK(r.limit.nano == 0x0421101cU);
    CHECK(r.path == "abc");
}

TEST_CASE("s6lock_pack_acquire writes what stock libs6 writes", "[s6lock]")
{
    char head[sv::s6lock_acquire_head];
    sv::s6lock_pack_acquire(head, 0, true, sv::tain{}, 2);
    CHECK(std::string(head, sizeof head) + "/x" + '\0' == stock_acquire_ex);
    sv::s6lock_pack_acquire(head, 0, false, sv::tain{0x400000006b0f727eULL, 0x0421101cU}, 3);
    CHECK(std::string(head, sizeof head) + "abc" + '\0' == stock_acquire_sh);
    sv::s6lock_pack_acquire(head, 0xbeef, true, sv::tain{}, 0);
    CHECK(std::string(head, 3) == "\xbe\xef<");
}

TEST_CASE("s6lock_parse_request: malformed acquires are EPROTO, not fatal", "[s6lock]")
{
    sv::s6lock_request r;
    // What stock s6lockd 2.11.3.2 wanted (23 + pathlen bytes): one byte short of libs6's.
    std::string stock_daemon_format = stock_acquire_ex.substr(0, 23) + "/\0"s;
    CHECK(sv::s6lock_parse_request(stock_daemon_format, r) == sv::s6lock_parse::malformed);
    CHECK(sv::s6lock_parse_request(stock_acquire_ex + "z", r) == sv::s6lock_parse::malformed);
    std::string no_nul = stock_acquire_ex;
    no_nul.back() = 'y';
    CHECK(sv::s6lock_parse_request(no_nul, r) == sv::s6lock_parse::malformed);
    std::string inner_nul = stock_acquire_ex;
    inner_nul[24] = '\0'; // "/\0\0"
    CHECK(sv::s6lock_parse_request(inner_nul, r) == sv::s6lock_parse::malformed);
    CHECK(sv::s6lock_parse_request(stock_acquire_ex.substr(0, 10), r) ==
          sv::s6lock_parse::malformed);
    std::string huge_len = stock_acquire_ex;
    huge_len[19] = '\xff'; // pathlen 0xff000002
    CHECK(sv::s6lock_parse_request(huge_len, r) == sv::s6lock_parse::malformed);
}

TEST_CASE("s6lock_parse_request: empty path, release, and what is not s6lock", "[s6lock]")
{
    sv::s6lock_request r;
    std::string empty = stock_acquire_ex.substr(0, 19) + "\0\0\0\0\0"s;
    REQUIRE(sv::s6lock_parse_request(empty, r) == sv::s6lock_parse::ok);
    CHECK(r.path.empty());

    char rel[sv::s6lock_release_size];
    sv::s6lock_pack_release(rel, 0x0102);
    CHECK(std::string(rel, sizeof rel) == "\x01\x02>");
    REQUIRE(sv::s6lock_parse_request({rel, sizeof rel}, r) == sv::s6lock_parse::ok);
    CHECK(r.op == sv::s6lock_request::kind::release);
    CHECK(r.id == 0x0102);

    CHECK(sv::s6lock_parse_request("", r) == sv::s6lock_parse::invalid);
    CHECK(sv::s6lock_parse_request("\0\0"s, r) == sv::s6lock_parse::invalid);
    CHECK(sv::s6lock_parse_request("\0\0?"s, r) == sv::s6lock_parse::invalid);
}

TEST_CASE("s6lock events: 2-byte id and a code", "[s6lock]")
{
    char ev[sv::s6lock_event_size];
    sv::s6lock_pack_event(ev, 0xa0b1, ETIMEDOUT);
    CHECK(std::string(ev, sizeof ev) == "\xa0\xb1"s + static_cast<char>(ETIMEDOUT));
    std::uint16_t id = 0;
    unsigned char code = 1;
    REQUIRE(sv::s6lock_parse_event({ev, sizeof ev}, id, code));
    CHECK(id == 0xa0b1);
    CHECK(code == ETIMEDOUT);
    CHECK_FALSE(sv::s6lock_parse_event("\0\0"s, id, code));
    CHECK_FALSE(sv::s6lock_parse_event("\0\0\0\0"s, id, code));
}

TEST_CASE("s6lock_limit_deadline: from a TAI64N limit to a monotonic deadline", "[s6lock]")
{
    sv::tain const now{sv::tai64_base + 1700000000, 500000000};
    CHECK(sv::s6lock_limit_deadline(sv::tain{}, now, 1000) == -1);            // no limit
    CHECK(sv::s6lock_limit_deadline(now, now, 1000) == 1000);                 // now
    CHECK(sv::s6lock_limit_deadline({now.sec - 5, 0}, now, 1000) == 1000);    // past
    CHECK(sv::s6lock_limit_deadline({now.sec + 1, 0}, now, 1000) == 1500);    // 0.5 s
    CHECK(sv::s6lock_limit_deadline({now.sec, 500000001}, now, 1000) == 1001); // rounded up
    CHECK(sv::s6lock_limit_deadline({now.sec + 2, 999999999}, now, 0) == 2500);
    // skalibs' tain_infinite, and anything years away: no point waking for it.
    CHECK(sv::s6lock_limit_deadline({~0ULL, 999999999}, now, 1000) == -1);
    CHECK(sv::s6lock_limit_deadline({now.sec + 20ULL * 366 * 86400, 0}, now, 1000) == -1);
}

TEST_CASE("s6lock banners", "[s6lock]")
{
    CHECK(sv::s6lock_banner1 == "s6lock v1.0 (b)\n");
    CHECK(sv::s6lock_banner2 == "s6lock v1.0 (a)\n");
}
