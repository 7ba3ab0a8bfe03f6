// The ftrigr protocol messages (libsupervise/ftrigr.cc): requests decoded as stock
// s6-ftrigrd decodes them (what is answered EPROTO, what kills the helper), and requests and
// events packed byte for byte as stock libs6 and s6-ftrigrd do.  The golden vectors were
// captured with strace from stock s6-ftrig-wait and s6-ftrigrd 2.11.3.2.
#include <catch2/catch.hpp>

#include <string>

#include <supervise/ftrigr.hh>

using namespace std::string_literals;

namespace {

// Stock `s6-ftrig-wait /tmp/fd1 a`: the payload of its subscribe message (26 bytes).
std::string const stock_subscribe = "\0\0L\0\0\0\0\0\0\0\x08\0\0\0\x01/tmp/fd1\0a\0"s;

using kind = sv::ftrigr_request::kind;

} // namespace

TEST_CASE("ftrigr_parse reads stock libs6's subscribe request", "[ftrigr]")
{
    auto const r = sv::ftrigr_parse(stock_subscribe);
    REQUIRE(r.what == kind::subscribe);
    CHECK(r.id == 0);
    CHECK(r.options == 0);
    CHECK(std::string(r.path) == "/tmp/fd1");
    CHECK(std::string(r.regex) == "a");
}

TEST_CASE("ftrigr_pack_subscribe writes what stock libs6 writes", "[ftrigr]")
{
    char h[sv::ftrigr_subscribe_header];
    sv::ftrigr_pack_subscribe(h, 0, 0, 8, 1);
    CHECK(std::string(h, sizeof h) + "/tmp/fd1" + '\0' + "a" + '\0' == stock_subscribe);

    // s6-svwait's subscription: handle 5, FTRIGR_REPEAT, "[DuUdOx]".
    sv::ftrigr_pack_subscribe(h, 5, sv::ftrigr_repeat, 9, 8);
    std::string const msg = std::string(h, sizeof h) + "svc/event" + '\0' + "[DuUdOx]" + '\0';
    CHECK(msg.substr(0, 15) == "\0\x05L\0\0\0\x01\0\0\0\x09\0\0\0\x08"s);
    auto const r = sv::ftrigr_parse(msg);
    REQUIRE(r.what == kind::subscribe);
    CHECK(r.id == 5);
    CHECK(r.options == sv::ftrigr_repeat);
    CHECK(std::string(r.path) == "svc/event");
    CHECK(std::string(r.regex) == "[DuUdOx]");
}

TEST_CASE("ftrigr_parse: malformed subscriptions are answered EPROTO", "[ftrigr]")
{
    // Shorter than 19 bytes.
    CHECK(sv::ftrigr_parse("\0\x07L123"s).what == kind::malformed);
    CHECK(sv::ftrigr_parse(stock_subscribe.substr(0, 18)).what == kind::malformed);
    // Lengths that do not add up to the message size.
    std::string longer = stock_subscribe + "x";
    CHECK(sv::ftrigr_parse(longer).what == kind::malformed);
    std::string relen2 = stock_subscribe;
    relen2[14] = 2;
    CHECK(sv::ftrigr_parse(relen2).what == kind::malformed);
    // Huge lengths do not wrap around.
    std::string huge = stock_subscribe;
    huge[7] = huge[8] = huge[9] = huge[10] = '\xff';
    CHECK(sv::ftrigr_parse(huge).what == kind::malformed);
    // The NUL after the path, and the last byte, must be NULs.
    std::string nonul = stock_subscribe;
    nonul[23] = 'x';
    CHECK(sv::ftrigr_parse(nonul).what == kind::malformed);
    std::string nolast = stock_subscribe;
    nolast.back() = 'x';
    CHECK(sv::ftrigr_parse(nolast).what == kind::malformed);
}

TEST_CASE("ftrigr_parse: unsubscribe, and what kills the helper", "[ftrigr]")
{
    char u[sv::ftrigr_unsubscribe_size];
    sv::ftrigr_pack_unsubscribe(u, 0x0102);
    CHECK(std::string(u, sizeof u) == "\x01\x02U");
    auto r = sv::ftrigr_parse({u, sizeof u});
    CHECK(r.what == kind::unsubscribe);
    CHECK(r.id == 0x0102);
    // Stock accepts trailing bytes after 'U'.
    CHECK(sv::ftrigr_parse("\0\x01Uxyz"s).what == kind::unsubscribe);
    CHECK(sv::ftrigr_parse("").what == kind::invalid);
    CHECK(sv::ftrigr_parse("\0\x01"s).what == kind::invalid);
    CHECK(sv::ftrigr_parse("\0\x01Z"s).what == kind::invalid);
    CHECK(sv::ftrigr_parse("\0\x01l"s + std::string(20, '\0')).what == kind::invalid);
}

TEST_CASE("ftrigr events: 4 bytes, handle, '!' or 'd', then the byte", "[ftrigr]")
{
    char e[sv::ftrigr_event_size];
    sv::ftrigr_pack_event(e, {5, '!', 'a'});
    CHECK(std::string(e, sizeof e) == "\0\x05!a"s); // as stock s6-ftrigrd sent it
    sv::ftrigr_pack_event(e, {0xabcd, 'd', 32});
    CHECK(std::string(e, sizeof e) == "\xab\xcd" "d\x20"s);
    sv::ftrigr_event ev;
    REQUIRE(sv::ftrigr_unpack_event({e, sizeof e}, ev));
    CHECK(ev.id == 0xabcd);
    CHECK(ev.what == 'd');
    CHECK(ev.info == 32);
    CHECK_FALSE(sv::ftrigr_unpack_event("\0\x05?a"s, ev));
    CHECK_FALSE(sv::ftrigr_unpack_event("\0\x05!"s, ev));
    CHECK_FALSE(sv::ftrigr_unpack_event("\0\x05!ab"s, ev));
}
