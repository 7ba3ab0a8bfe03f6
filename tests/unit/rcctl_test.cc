// The s6-rc <-> /init request and reply (libsupervise/rcctl.cc): bytes both ways.
#include <catch2/catch.hpp>

#include <supervise/rcctl.hh>

using namespace std::string_literals;

TEST_CASE("rcctl: a request's bytes, and back", "[rcctl]")
{
    sv::rc::request q{"change", "da", 500, {"web", "db"}};
    std::string const b = sv::rc::pack(q);
    CHECK(b == "change\0da\0" "500\0web\0db\0\0"s);
    sv::rc::request r;
    REQUIRE(sv::rc::unpack(b, r));
    CHECK(r.op == "change");
    CHECK(r.has('d'));
    CHECK(r.has('a'));
    CHECK(!r.has('u'));
    CHECK(r.timeout_ms == 500);
    CHECK(r.names == std::vector<std::string>{"web", "db"});
    REQUIRE(sv::rc::unpack("list\0a\0" "0\0\0"s, r));
    CHECK(r.names.empty());
    for (auto bad : {""s, "list\0a\0" "0\0"s, "list\0a\0x\0\0"s, "list\0a\0" "0\0web\0"s,
                     "list\0a\0" "0\0\0web\0\0"s, "list\0a\0\0\0"s})
        CHECK(!sv::rc::unpack(bad, r));
}

TEST_CASE("rcctl: a reply's bytes, and back", "[rcctl]")
{
    sv::rc::reply p{3, "a\nb\n", "s6-rc: fatal: x\n"};
    std::string const b = sv::rc::pack(p);
    CHECK(b == "\3a\nb\n\0s6-rc: fatal: x\n"s);
    sv::rc::reply r;
    REQUIRE(sv::rc::unpack(b, r));
    CHECK(r.code == 3);
    CHECK(r.out == "a\nb\n");
    CHECK(r.err == "s6-rc: fatal: x\n");
    CHECK(!sv::rc::unpack("", r));
    CHECK(!sv::rc::unpack("\1abc"s, r));
    CHECK(sv::rc::socket_path("/run") == "/run/s6/rc.sock");
}
