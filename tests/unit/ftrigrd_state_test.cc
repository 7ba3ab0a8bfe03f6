// s6-ftrigrd's decisions (tools/s6-ftrigrd/state.cc, compiled into this test as into the
// helper): each request's answer byte, the events queued when a FIFO delivers, removal and
// duplicate handles in stock's array order, the ENFILE limit, and the back-pressure that keeps
// the queues bounded.  The queues are plain text_senders without an fd: what they hold is
// exactly what the helper would write.  Expected bytes are those stock s6-ftrigrd 2.11.3.2
// answered to the same requests.
#include <catch2/catch.hpp>

#include <cerrno>
#include <string>

#include <supervise/fifodir.hh>
#include <supervise/ftrigr.hh>

#include "../../tools/s6-ftrigrd/state.hh"
#include "harness.hh"

using namespace std::string_literals;

namespace {

std::string subscribe_msg(std::uint16_t id, std::uint32_t options, std::string const &path,
                          std::string const &re)
{
    char h[sv::ftrigr_subscribe_header];
    sv::ftrigr_pack_subscribe(h, id, options, static_cast<std::uint32_t>(path.size()),
                              static_cast<std::uint32_t>(re.size()));
    return std::string(h, sizeof h) + path + '\0' + re + '\0';
}

std::string unsubscribe_msg(std::uint16_t id)
{
    char u[sv::ftrigr_unsubscribe_size];
    sv::ftrigr_pack_unsubscribe(u, id);
    return {u, sizeof u};
}

struct fixture {
    char abuf[64 * ftd::answer_cost];
    char ebuf[1024];
    sv::text_sender answers{abuf};
    sv::text_sender events{ebuf};
    ftd::helper h;
    h::tempdir t;
    std::string ev = t / "event";
    fixture()
    {
        ftd::init(h, answers, events);
        REQUIRE(sv::fifodir_make_group(ev.c_str(), static_cast<gid_t>(-1), false));
    }
    ~fixture() { ftd::clear(h); }

    // Handles one request and returns the answer frame it queued.
    std::string request(std::string const &msg)
    {
        REQUIRE(ftd::handle_request(h, msg) == ftd::outcome::ok);
        std::string a(answers.pending());
        answers = sv::text_sender{abuf}; // as if written out
        return a;
    }
    // Lets every readable FIFO deliver; returns the event frames queued.
    std::string pump()
    {
        for (std::size_t i = 0; i < h.n; i++)
            if (ftd::handle_fifo(h, i)) i--;
        std::string e(events.pending());
        events = sv::text_sender{ebuf};
        return e;
    }
};

std::string const ok = "\0\0\0\x01\0"s;

} // namespace

TEST_CASE("s6-ftrigrd: subscribe, events, end of a one-shot subscription", "[ftrigrd]")
{
    fixture f;
    CHECK(f.request(subscribe_msg(5, sv::ftrigr_repeat, f.ev, "[ab]")) == ok);
    CHECK(f.request(subscribe_msg(6, 0, f.ev, "x.*y")) == ok);
    CHECK(f.h.n == 2);
    CHECK(h::listeners(f.t.path()) == 2);
    REQUIRE(sv::fifodir_notify(f.ev.c_str(), "xaxbxa") == 2);
    // Stock sent exactly these frames for the same requests and notification.
    CHECK(f.pump() == "\0\0\0\x04\0\x05!a\0\0\0\x04\0\x05!b\0\0\0\x04\0\x05!a"s);
    REQUIRE(sv::fifodir_notify(f.ev.c_str(), "y") == 2);
    CHECK(f.pump() == "\0\0\0\x04\0\x06!y"s);
    // The one-shot subscription has ended: its FIFO is gone, its handle unknown.
    CHECK(f.h.n == 1);
    CHECK(h::listeners(f.t.path()) == 1);
    CHECK(f.request(unsubscribe_msg(6)) == "\0\0\0\x01\x16"s); // EINVAL
    CHECK(f.request(unsubscribe_msg(5)) == ok);
    CHECK(f.h.n == 0);
    CHECK(h::listeners(f.t.path()) == 0);
}

TEST_CASE("s6-ftrigrd: answers to failing and malformed requests", "[ftrigrd]")
{
    fixture f;
    CHECK(f.request(subscribe_msg(1, 0, f.t / "none", "a")) == "\0\0\0\x01\x02"s); // ENOENT
    CHECK(f.request(subscribe_msg(1, 0, f.ev, "(")) == "\0\0\0\x01\x16"s);         // EINVAL
    CHECK(f.request("\0\x07L123"s) == "\0\0\0\x01G"s);                              // EPROTO
    std::string bad = subscribe_msg(1, 0, f.ev, "a");
    bad[14] = 9; // relen that does not add up
    CHECK(f.request(bad) == "\0\0\0\x01G"s);
    CHECK(f.h.n == 0);
    CHECK(h::listeners(f.t.path()) == 0);
    // Not ftrigr at all: the helper must die.
    CHECK(ftd::handle_request(f.h, "\0"s) == ftd::outcome::invalid);
    CHECK(ftd::handle_request(f.h, "\0\x05Z"s) == ftd::outcome::invalid);
}

TEST_CASE("s6-ftrigrd: duplicate handles and removal order are stock's", "[ftrigrd]")
{
    fixture f;
    // Three subscriptions, two sharing handle 7.
    CHECK(f.request(subscribe_msg(7, 0, f.ev, "a")) == ok);
    CHECK(f.request(subscribe_msg(8, 0, f.ev, "b")) == ok);
    CHECK(f.request(subscribe_msg(7, 0, f.ev, "c")) == ok);
    // 'U' 7 removes the first one found ("a"); the last moves into its place.
    CHECK(f.request(unsubscribe_msg(7)) == ok);
    REQUIRE(f.h.n == 2);
    CHECK(f.h.subs[0]->id == 7);
    CHECK(f.h.subs[1]->id == 8);
    REQUIRE(sv::fifodir_notify(f.ev.c_str(), "abc") == 2);
    CHECK(f.pump() == "\0\0\0\x04\0\x07!c\0\0\0\x04\0\x08!b"s);
    CHECK(f.h.n == 0);
}

TEST_CASE("s6-ftrigrd: no more than 1000 subscriptions (ENFILE)", "[ftrigrd]")
{
    fixture f;
    for (std::size_t i = 0; i < sv::ftrigr_max; i++) {
        auto const id = static_cast<std::uint16_t>(i);
        REQUIRE(ftd::handle_request(f.h, subscribe_msg(id, 0, f.ev, "z")) == ftd::outcome::ok);
        f.answers = sv::text_sender{f.abuf};
    }
    CHECK(f.request(subscribe_msg(1000, 0, f.ev, "z")) == "\0\0\0\x01\x17"s); // ENFILE
    CHECK(h::listeners(f.t.path()) == 1000);
    ftd::clear(f.h);
    CHECK(h::listeners(f.t.path()) == 0);
}

TEST_CASE("s6-ftrigrd: full queues hold back requests and FIFO reads", "[ftrigrd]")
{
    fixture f;
    CHECK(ftd::can_take_request(f.h));
    CHECK(ftd::can_read_fifo(f.h));
    REQUIRE(ftd::handle_request(f.h, subscribe_msg(1, sv::ftrigr_repeat, f.ev, "e")) ==
            ftd::outcome::ok);

    SECTION("answers")
    {
        while (f.answers.room() >= ftd::answer_cost) REQUIRE(f.answers.put("x"));
        CHECK_FALSE(ftd::can_take_request(f.h));
        CHECK(ftd::handle_request(f.h, unsubscribe_msg(1)) == ftd::outcome::no_room);
        CHECK(f.h.n == 1); // not handled
    }
    SECTION("events: the FIFO keeps what the queue cannot take")
    {
        REQUIRE(sv::fifodir_notify(f.ev.c_str(), std::string(200, 'e')) == 1);
        // 1024 bytes of queue: room for 128 events, read 16 bytes at a time while a whole
        // read's worth of events (17) still fits.
        CHECK_FALSE(ftd::handle_fifo(f.h, 0));
        std::size_t const queued = f.events.pending().size() / ftd::event_cost;
        CHECK(queued == 112);
        CHECK_FALSE(ftd::can_read_fifo(f.h));
        f.events = sv::text_sender{f.ebuf}; // the client read its events
        CHECK_FALSE(ftd::handle_fifo(f.h, 0));
        CHECK(f.events.pending().size() / ftd::event_cost == 200 - 112);
    }
}
