// s6-fdholderd's decisions with a fake seam: what each request answers, which fds it keeps
// or closes, and which clients it drops.
#include <catch2/catch.hpp>

#include <cerrno>
#include <string>
#include <vector>

#include "../../tools/s6-fdholderd/state.hh"

using namespace std::string_view_literals;

namespace {

struct sent {
    std::string data;
    std::vector<int> fds;
};
std::vector<sent> outbox;
std::vector<int> closed;
bool send_ok = true;

bool fake_send(int, std::span<std::string_view const> parts, std::span<int const> fds)
{
    sent m;
    for (auto p : parts) m.data += p;
    m.fds.assign(fds.begin(), fds.end());
    outbox.push_back(m);
    return send_ok;
}
void fake_close(int fd) { closed.push_back(fd); }
constexpr fdhd::sys fake{fake_send, fake_close};

struct fixture {
    fdhd::held held[4];
    std::uint32_t free[4];
    fdhd::client cl[1];
    int fdlist[sv::fdh::fds_per_trip];
    char scratch[fdhd::scratch_size(4)];
    fdhd::state s;
    fixture(char const *store_re = ".*", char const *retrieve_re = ".*", unsigned flags = 7)
    {
        outbox.clear();
        closed.clear();
        send_ok = true;
        s.fds = held;
        s.free = free;
        fdhd::init_slots(s);
        s.clients = cl;
        s.io = &fake;
        s.fdlist = fdlist;
        s.scratch = scratch;
        cl[0].fd = 3;
        cl[0].flags = flags;
        regcomp(&cl[0].wre, store_re, REG_EXTENDED | REG_NOSUB);
        regcomp(&cl[0].rre, retrieve_re, REG_EXTENDED | REG_NOSUB);
        s.nclients = 1;
    }
    ~fixture()
    {
        if (cl[0].fd >= 0) fdhd::drop(s, cl[0]);
    }
    bool req(std::string_view data, std::vector<int> fds = {})
    {
        sv::umsg m{data, fds};
        return fdhd::handle(s, cl[0], m);
    }
    bool store(std::string_view id, int fd, sv::tain limit = {1ull << 63, 0})
    {
        char buf[sv::fdh::request_max];
        return req({buf, sv::fdh::pack_store(buf, limit, id)}, {fd});
    }
    std::string last() const { return outbox.back().data; }
};

} // namespace

TEST_CASE("s6-fdholderd: store, retrieve, delete", "[fdholderd]")
{
    fixture f;
    REQUIRE(f.store("a", 10));
    CHECK(f.last() == "\0"sv);
    CHECK(f.s.nfds == 1);
    REQUIRE(f.store("a", 11)); // taken
    CHECK(f.last() == "\x10"sv);
    CHECK(closed == std::vector<int>{11});
    char buf[300];
    REQUIRE(f.req({buf, sv::fdh::pack_retrieve(buf, "a", false)}));
    CHECK((f.last() == "\0"sv && outbox.back().fds == std::vector<int>{10}));
    CHECK(f.s.nfds == 1);
    REQUIRE(f.req({buf, sv::fdh::pack_retrieve(buf, "b", false)}));
    CHECK(f.last() == "\x02"sv);
    REQUIRE(f.req({buf, sv::fdh::pack_delete(buf, "a")}));
    CHECK(f.last() == "\0"sv);
    CHECK(f.s.nfds == 0);
    CHECK(closed.back() == 10);
}

TEST_CASE("s6-fdholderd: the rules' regexes and flags refuse with EPERM", "[fdholderd]")
{
    fixture f("^pipe:", "^pipe:r", 0);
    REQUIRE(f.store("other", 10));
    CHECK(f.last() == "\x01"sv);
    CHECK(closed == std::vector<int>{10});
    REQUIRE(f.store("pipe:w", 11));
    CHECK(f.last() == "\0"sv);
    char buf[300];
    REQUIRE(f.req({buf, sv::fdh::pack_retrieve(buf, "pipe:w", false)}));
    CHECK(f.last() == "\x01"sv);
    for (auto r : {"L"sv, "?"sv, "!\0\0\0\x01"sv}) {
        REQUIRE(f.req(r));
        CHECK(f.last() == "\x01"sv);
    }
}

TEST_CASE("s6-fdholderd: the store is bounded, and limits expire", "[fdholderd]")
{
    fixture f;
    for (int i = 0; i < 4; i++) REQUIRE(f.store(std::string(1, char('a' + i)), 10 + i, {100, 0}));
    REQUIRE(f.store("e", 20));
    CHECK(f.last() == "\x17"sv); // ENFILE
    CHECK(fdhd::exit_code(f.s) == 3);
    CHECK(fdhd::expire(f.s, {99, 0}) == sv::tain{100, 0});
    CHECK(f.s.nfds == 4);
    // The same limit four times: 100.0, then a nanosecond later each time.
    CHECK(fdhd::expire(f.s, {100, 1}) == sv::tain{100, 2});
    CHECK(f.s.nfds == 2);
    fdhd::expire(f.s, {100, 3});
    CHECK(f.s.nfds == 0);
    CHECK(fdhd::exit_code(f.s) == 2);
}

TEST_CASE("s6-fdholderd: a stored limit already held moves on by a nanosecond", "[fdholderd]")
{
    fixture f;
    REQUIRE(f.store("a", 10, {100, 999999999}));
    REQUIRE(f.store("b", 11, {100, 999999999}));
    REQUIRE(f.store("c", 12, {100, 999999999}));
    CHECK(fdhd::find(f.s, "a")->limit == sv::tain{100, 999999999});
    CHECK(fdhd::find(f.s, "b")->limit == sv::tain{101, 0});
    CHECK(fdhd::find(f.s, "c")->limit == sv::tain{101, 1});
}

TEST_CASE("s6-fdholderd: list and getdump", "[fdholderd]")
{
    fixture f;
    REQUIRE(f.store("a", 10));
    REQUIRE(f.store("bb", 11, {5, 6}));
    REQUIRE(f.req("L"sv));
    CHECK(f.last() == "\0\0\0\0\x02" "a\0bb\0"sv);
    outbox.clear();
    REQUIRE(f.req("?"sv));
    REQUIRE(outbox.size() == 2);
    CHECK(outbox[0].data == "\0\0\0\0\x01\0\0\0\x02"sv);
    CHECK(outbox[1].fds == std::vector<int>{10, 11});
    CHECK(outbox[1].data.size() == 2 * 15 + 1);
}

TEST_CASE("s6-fdholderd: a freed slot is reused first, so list keeps stock's order", "[fdholderd]")
{
    fixture f;
    for (auto id : {"a", "b", "c"}) REQUIRE(f.store(id, 10));
    char buf[300];
    REQUIRE(f.req({buf, sv::fdh::pack_delete(buf, "a")}));
    REQUIRE(f.req({buf, sv::fdh::pack_retrieve(buf, "b", true)}));
    REQUIRE(f.store("x", 11)); // takes b's slot, freed last
    REQUIRE(f.store("y", 12)); // then a's
    REQUIRE(f.req("L"sv));
    CHECK(f.last() == "\0\0\0\0\x03" "y\0x\0c\0"sv);
    // Expired fds free their slots earliest limit first.
    REQUIRE(f.store("late", 13, {200, 0}));
    fdhd::expire(f.s, {300, 0});
    REQUIRE(f.req({buf, sv::fdh::pack_delete(buf, "x")}));
    REQUIRE(f.store("z", 14));
    REQUIRE(f.req("L"sv));
    CHECK(f.last() == "\0\0\0\0\x03" "y\0z\0c\0"sv);
}

TEST_CASE("s6-fdholderd: setdump in trips, replacing held ids", "[fdholderd]")
{
    fixture f;
    REQUIRE(f.store("a", 10));
    REQUIRE(f.req("!\0\0\0\x02"sv));
    CHECK(f.last() == "\0\0\0\0\x01"sv);
    std::string data = ".";
    char e[300];
    data.append(e, sv::fdh::pack_entry(e, {7, 0}, "a"));
    REQUIRE(f.req(data, {20}));
    CHECK(f.last() == "\x0b"sv); // EAGAIN: one more expected
    CHECK(closed == std::vector<int>{10});
    data = ".";
    data.append(e, sv::fdh::pack_entry(e, {8, 0}, "c"));
    REQUIRE(f.req(data, {21}));
    CHECK(f.last() == "\0"sv);
    CHECK(f.s.nfds == 2);
    CHECK(fdhd::find(f.s, "a")->fd == 20);
    REQUIRE(f.req("!\0\0\0\x04"sv)); // 2 held + 4 > 4
    CHECK(f.last() == "\x17"sv);
}

TEST_CASE("s6-fdholderd: malformed requests drop the client and close its fds", "[fdholderd]")
{
    fixture f;
    CHECK_FALSE(f.req(""sv));
    CHECK_FALSE(f.req("Z"sv));
    CHECK_FALSE(f.req("L"sv, {30}));
    CHECK(closed == std::vector<int>{30});
    CHECK_FALSE(f.req("S\0\0"sv, {31}));
    CHECK_FALSE(f.req("D\x05" "ab\0"sv));
    CHECK_FALSE(f.req(".\0"sv, {32})); // setdump data without setdump
    char buf[300];
    CHECK_FALSE(f.req({buf, sv::fdh::pack_store(buf, {}, "a")}, {})); // no fd
    CHECK(f.s.nfds == 0);
    send_ok = false;
    CHECK_FALSE(f.req("L"sv)); // an answer that cannot be sent drops the client
}
