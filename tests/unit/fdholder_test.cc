// The fd-holder protocol against bytes captured from stock s6 2.11.3.2 (strace -f -e
// trace=sendmsg,recvmsg -xx on stock s6-fdholder-* talking to stock s6-fdholderd; the 6-byte
// unixmessage header is left out, it is unixmessage_test's business).
#include <catch2/catch.hpp>

#include <cerrno>
#include <string>
#include <string_view>

#include <supervise/fdholder.hh>

using namespace std::string_view_literals;

namespace {
// s6-fdholder-store sock pipe:foo  (no -T: the limit is now + 2^61 s)
constexpr auto store_inf = "\x53\x60\x00\x00\x00\x6b\x0f\x88\xc7\x10\x0a\x63\x69\x08"
                           "pipe:foo\x00"sv;
// s6-fdholder-store -T 5000 sock pipe:bar
constexpr auto store_5s = "\x53\x40\x00\x00\x00\x6b\x0f\x88\xcc\x12\x00\xed\x74\x08"
                          "pipe:bar\x00"sv;
constexpr auto retrieve = "\x52\x00\x08pipe:foo\x00"sv;      // s6-fdholder-retrieve
constexpr auto retrieve_del = "\x52\x01\x08pipe:bar\x00"sv;  // s6-fdholder-retrieve -D
constexpr auto del = "\x44\x08pipe:foo\x00"sv;               // s6-fdholder-delete
constexpr auto list_answer = "\x00\x00\x00\x00\x01pipe:foo\x00"sv;
// getdump with "a" (no limit) and "bb" (-T 100000): the head, then one data message, 2 fds
constexpr auto getdump_head = "\x00\x00\x00\x00\x01\x00\x00\x00\x02"sv;
constexpr auto getdump_data = "\x60\x00\x00\x00\x6b\x0f\x88\xd4\x1f\xce\x34\xd8\x01\x61\x00"
                              "\x40\x00\x00\x00\x6b\x0f\x89\x38\x20\x36\xaf\x19\x02\x62\x62\x00"sv;
constexpr auto setdump = "\x21\x00\x00\x00\x02"sv;
constexpr auto setdump_ok = "\x00\x00\x00\x00\x01"sv;
constexpr auto setdump_data = "\x2e\x60\x00\x00\x00\x6b\x0f\x88\xd4\x27\x70\xb6\xa4\x01\x61\x00"
                              "\x40\x00\x00\x00\x6b\x0f\x89\x38\x20\x36\xaf\x19\x02\x62\x62\x00"sv;

std::string packed(std::size_t (*f)(char *, sv::tain, std::string_view), sv::tain t,
                   std::string_view id)
{
    char buf[sv::fdh::request_max];
    return {buf, f(buf, t, id)};
}
} // namespace

TEST_CASE("fdholder: requests pack as stock's clients send them", "[fdholder]")
{
    char buf[sv::fdh::request_max];
    sv::tain t = sv::tain_unpack(store_5s.data() + 1);
    CHECK(packed(sv::fdh::pack_store, t, "pipe:bar") == store_5s);
    CHECK(std::string_view(buf, sv::fdh::pack_retrieve(buf, "pipe:foo", false)) == retrieve);
    CHECK(std::string_view(buf, sv::fdh::pack_retrieve(buf, "pipe:bar", true)) == retrieve_del);
    CHECK(std::string_view(buf, sv::fdh::pack_delete(buf, "pipe:foo")) == del);
    CHECK(std::string_view(buf, sv::fdh::pack_setdump(buf, 2)) == setdump);
    buf[0] = '.';
    std::size_t len = 1;
    len += sv::fdh::pack_entry(buf + len, sv::tain_unpack(setdump_data.data() + 1), "a");
    len += sv::fdh::pack_entry(buf + len, sv::tain_unpack(setdump_data.data() + 16), "bb");
    CHECK(std::string_view(buf, len) == setdump_data);
}

TEST_CASE("fdholder: no limit is now + 2^61 s, and anything past now + 2^60 s", "[fdholder]")
{
    sv::tain inf = sv::tain_unpack(store_inf.data() + 1);
    sv::tain now{inf.sec - (std::uint64_t{1} << 61), inf.nano};
    CHECK(sv::fdh::limit_infinite(now) == inf);
    CHECK(sv::fdh::limit_is_infinite(inf, now));
    CHECK_FALSE(sv::fdh::limit_is_infinite(sv::tain_unpack(store_5s.data() + 1), now));
}

TEST_CASE("fdholder: the daemon reads stock's requests", "[fdholder]")
{
    sv::tain limit;
    std::string_view id;
    bool d = false;
    REQUIRE(sv::fdh::parse_store(store_5s.substr(1), limit, id));
    CHECK(id == "pipe:bar");
    char back[12];
    sv::tain_pack(back, limit);
    CHECK(std::string_view(back, 12) == store_5s.substr(1, 12));
    REQUIRE(sv::fdh::parse_retrieve(retrieve_del.substr(1), id, d));
    CHECK((id == "pipe:bar" && d));
    REQUIRE(sv::fdh::parse_retrieve(retrieve.substr(1), id, d));
    CHECK((id == "pipe:foo" && !d));
    REQUIRE(sv::fdh::parse_delete(del.substr(1), id));
    CHECK(id == "pipe:foo");
    std::uint32_t n = 0;
    REQUIRE(sv::fdh::parse_setdump(setdump.substr(1), n));
    CHECK(n == 2);
    std::string_view rest = setdump_data.substr(1);
    REQUIRE(sv::fdh::next_entry(rest, limit, id));
    CHECK(id == "a");
    REQUIRE(sv::fdh::next_entry(rest, limit, id));
    CHECK(id == "bb");
    CHECK(rest.empty());
}

TEST_CASE("fdholder: malformed requests are refused", "[fdholder]")
{
    sv::tain limit;
    std::string_view id;
    bool d;
    std::uint32_t n;
    CHECK_FALSE(sv::fdh::parse_store(store_5s.substr(1, 20), limit, id));      // truncated
    CHECK_FALSE(sv::fdh::parse_store("\x40\0\0\0\0\0\0\0\0\0\0\0\0\0"sv, limit, id)); // empty id
    CHECK_FALSE(sv::fdh::parse_delete("\x08pipe:foo"sv, id));                   // no NUL
    CHECK_FALSE(sv::fdh::parse_delete("\x09pipe:foo\0"sv, id));                 // bad length
    CHECK_FALSE(sv::fdh::parse_delete("\x08pipe:foo\0x"sv, id));                // trailing byte
    CHECK_FALSE(sv::fdh::parse_retrieve("\x00\x00\x00"sv, id, d));
    CHECK_FALSE(sv::fdh::parse_setdump("\0\0\0"sv, n));
    std::string_view rest = setdump_data.substr(1, 20);
    REQUIRE(sv::fdh::next_entry(rest, limit, id));
    CHECK_FALSE(sv::fdh::next_entry(rest, limit, id));
}

TEST_CASE("fdholder: answers as stock's daemon sends them", "[fdholder]")
{
    char buf[16];
    CHECK(std::string_view(buf, sv::fdh::pack_getdump_head(buf, 2)) == getdump_head);
    CHECK(std::string_view(buf, sv::fdh::pack_setdump_ok(buf, 2)) == setdump_ok);
    CHECK(std::string_view(buf, sv::fdh::pack_list_head(buf, 1)) == list_answer.substr(0, 5));
    std::uint32_t t = 9, n = 9;
    std::string_view ids;
    CHECK(sv::fdh::parse_list_answer(list_answer, 0, n, ids) == 0);
    CHECK((n == 1 && ids == "pipe:foo\0"sv));
    CHECK(sv::fdh::parse_list_answer("\x01"sv, 0, n, ids) == EPERM);
    CHECK(sv::fdh::parse_list_answer("\0\0\0\0\x02pipe:foo\0"sv, 0, n, ids) == -1);
    CHECK(sv::fdh::parse_getdump_head(getdump_head, 0, t, n) == 0);
    CHECK((t == 1 && n == 2));
    CHECK(sv::fdh::parse_getdump_head("\0\0\0\0\0\0\0\0\0"sv, 0, t, n) == 0);
    CHECK(t == 0);
    CHECK(sv::fdh::parse_getdump_head("\0\0\0\0\x02\0\0\0\x02"sv, 0, t, n) == -1);
    CHECK(sv::fdh::parse_setdump_answer(setdump_ok, 0, t) == 0);
    CHECK(t == 1);
    CHECK(sv::fdh::parse_retrieve_answer("\0"sv, 1) == 0);
    CHECK(sv::fdh::parse_retrieve_answer("\x02"sv, 0) == ENOENT);
    CHECK(sv::fdh::parse_retrieve_answer("\0"sv, 0) == -1);
    CHECK(sv::fdh::parse_status("\x0b"sv, 0) == EAGAIN);
    CHECK(sv::fdh::parse_status("\0\0"sv, 0) == -1);
    std::string_view data = getdump_data;
    sv::tain limit;
    REQUIRE(sv::fdh::next_entry(data, limit, ids));
    CHECK(ids == "a");
    REQUIRE(sv::fdh::next_entry(data, limit, ids));
    CHECK(ids == "bb");
    CHECK(sv::fdh::trips(0) == 0);
    CHECK(sv::fdh::trips(255) == 1);
    CHECK(sv::fdh::trips(256) == 2);
}
