// s6lockd's decisions (tools/s6lockd/state.cc) with a fake system seam: a "helper" is a pair of
// pipes the test holds the other ends of, so it can say '!', die (close), or watch for its
// release (EOF on its stdin) without any process running.
#include <catch2/catch.hpp>

#include <cerrno>
#include <fcntl.h>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

#include <supervise/fd.hh>
#include <supervise/s6lock.hh>
#include <supervise/tai64n.hh>
#include <supervise/textclient.hh>

#include "../../tools/s6lockd/state.hh"
#include "harness.hh"

using namespace std::string_literals;

namespace {

// The helper's ends of a fake helper's pipes.
struct fake_helper {
    std::string path;
    bool exclusive = false;
    sv::unique_fd say;    // write '!' here (the helper's stdout)
    sv::unique_fd listen; // EOF here once the daemon let go (the helper's stdin)
};

struct fake_system {
    std::int64_t now = 10000;
    sv::tain wall{sv::tai64_base + 1700000000, 0};
    pid_t next_pid = 500;
    int fail_errno = 0; // non-zero: start_helper fails with it
    std::map<pid_t, fake_helper> helpers;
    std::vector<pid_t> stopped;
} fake;

} // namespace

namespace lkd::sys {
std::int64_t now_ms() noexcept { return fake.now; }
sv::tain now_tain() noexcept { return fake.wall; }
bool start_helper(char const *path, bool exclusive, sv::lockhelper_child &out) noexcept
{
    if (fake.fail_errno) return errno = fake.fail_errno, false;
    int a[2], b[2];
    if (::pipe2(a, O_CLOEXEC | O_NONBLOCK) < 0) return false;
    if (::pipe2(b, O_CLOEXEC | O_NONBLOCK) < 0) return false;
    pid_t const pid = fake.next_pid++;
    fake_helper &h = fake.helpers[pid];
    h.path = path;
    h.exclusive = exclusive;
    h.listen.reset(a[0]);
    h.say.reset(b[1]);
    out.pid = pid;
    out.hold.reset(a[1]);
    out.ack.reset(b[0]);
    return true;
}
void stop_helper(pid_t pid) noexcept { fake.stopped.push_back(pid); }
} // namespace lkd::sys

namespace {

// A daemon over fresh queues; the senders have no fd, so what is queued stays visible.
struct rig {
    char answer_buf[8 * lkd::answer_cost];
    char event_buf[4 * lkd::event_cost];
    sv::text_sender answers{answer_buf};
    sv::text_sender events{event_buf};
    std::allocator<lkd::slot> alloc;
    lkd::slot *tab = alloc.allocate(lkd::max_locks); // as main.cc reserves it
    lkd::table t;

    rig()
    {
        fake = fake_system{};
        lkd::init(t, tab, answers, events);
    }
    ~rig()
    {
        lkd::clear(t);
        alloc.deallocate(tab, lkd::max_locks);
    }

    // Handles one request; returns the answer byte (and takes it off the queue).
    int request(std::string_view msg)
    {
        REQUIRE(lkd::handle_request(t, msg) == lkd::outcome::ok);
        return take_answer();
    }
    int take_answer()
    {
        std::string_view q = answers.pending();
        REQUIRE(q.size() == lkd::answer_cost);
        REQUIRE(q.substr(0, 4) == "\0\0\0\1"s);
        int c = static_cast<unsigned char>(q[4]);
        answers = sv::text_sender{answer_buf};
        return c;
    }
    // The events queued so far as "id:code" words, and the queue emptied.
    std::string take_events()
    {
        std::string out;
        std::string_view q = events.pending();
        while (q.size() >= lkd::event_cost) {
            std::uint16_t id;
            unsigned char code;
            REQUIRE(q.substr(0, 4) == "\0\0\0\3"s);
            REQUIRE(sv::s6lock_parse_event(q.substr(4, 3), id, code));
            out += (out.empty() ? "" : " ") + std::to_string(id) + ":" + std::to_string(code);
            q.remove_prefix(lkd::event_cost);
        }
        REQUIRE(q.empty());
        events = sv::text_sender{event_buf};
        return out;
    }
    // Lets helper pid's ack fd be read, wherever its slot is now.
    bool helper_said(pid_t pid)
    {
        for (std::size_t i = 0; i < t.n; i++)
            if (t.tab[i].pid == pid) return lkd::handle_helper(t, i);
        FAIL("no slot for pid " << pid);
        return false;
    }
};

std::string acquire(std::uint16_t id, bool ex, std::string_view path, sv::tain limit = {})
{
    char head[sv::s6lock_acquire_head];
    sv::s6lock_pack_acquire(head, id, ex, limit, static_cast<std::uint32_t>(path.size()));
    return std::string(head, sizeof head) + std::string(path) + '\0';
}

std::string release(std::uint16_t id)
{
    char m[sv::s6lock_release_size];
    sv::s6lock_pack_release(m, id);
    return std::string(m, sizeof m);
}

bool released(pid_t pid)
{
    char c;
    return ::read(fake.helpers.at(pid).listen.get(), &c, 1) == 0;
}

} // namespace

TEST_CASE("s6lockd: acquire starts a helper, '!' makes the lock held", "[s6lockd]")
{
    rig r;
    CHECK(r.request(acquire(7, true, "db")) == 0);
    REQUIRE(r.t.n == 1);
    auto &h = fake.helpers.at(500);
    CHECK(h.path == "./db"); // relative to the lock directory, as stock
    CHECK(h.exclusive);
    CHECK(r.t.tab[0].deadline == -1); // no limit
    CHECK_FALSE(r.helper_said(500));  // nothing yet
    CHECK(r.take_events().empty());
    REQUIRE(sv::write_full(h.say.get(), "!"));
    CHECK_FALSE(r.helper_said(500));
    CHECK(r.take_events() == "7:0");
    CHECK(r.t.tab[0].held);
    CHECK_FALSE(released(500) );

    CHECK(r.request(acquire(8, false, "/abs")) == 0);
    CHECK(fake.helpers.at(501).path == ".//abs"); // a leading '/' stays inside the directory
    CHECK_FALSE(fake.helpers.at(501).exclusive);
}

TEST_CASE("s6lockd: release stops the helper and closes its stdin", "[s6lockd]")
{
    rig r;
    CHECK(r.request(acquire(1, true, "a")) == 0);
    CHECK(r.request(acquire(2, true, "b")) == 0);
    CHECK(r.request(acquire(3, true, "c")) == 0);
    CHECK(r.request(release(1)) == 0);
    CHECK(fake.stopped == std::vector<pid_t>{500});
    CHECK(released(500));
    // The last slot moved into the hole, as in stock's array.
    REQUIRE(r.t.n == 2);
    CHECK(r.t.tab[0].id == 3);
    CHECK(r.t.tab[1].id == 2);
    CHECK(r.request(release(1)) == ENOENT);
    // A pending lock can be released too (the helper stops waiting).
    CHECK(r.request(release(2)) == 0);
    CHECK(fake.stopped == std::vector<pid_t>{500, 501});
    CHECK(r.take_events().empty());
}

TEST_CASE("s6lockd: refusals answered with an errno byte", "[s6lockd]")
{
    rig r;
    CHECK(r.request(acquire(1, true, "a")) == 0);
    CHECK(r.request(acquire(1, false, "b")) == EEXIST);
    std::string bad = acquire(2, true, "a");
    bad.pop_back(); // stock s6lockd's own idea of the length: not libs6's
    CHECK(r.request(bad) == EPROTO);
    CHECK(r.request(acquire(3, true, std::string(5000, 'x'))) == ENAMETOOLONG);
    fake.fail_errno = EMFILE;
    CHECK(r.request(acquire(4, true, "a")) == EMFILE);
    CHECK(r.t.n == 1);
    CHECK(lkd::handle_request(r.t, "\0\1"s) == lkd::outcome::invalid);
    CHECK(lkd::handle_request(r.t, "\0\1?"s) == lkd::outcome::invalid);
}

TEST_CASE("s6lockd: a limit that passes first kills the helper with ETIMEDOUT", "[s6lockd]")
{
    rig r;
    sv::tain const in_2s{fake.wall.sec + 2, 0};
    sv::tain const in_1s{fake.wall.sec + 1, 0};
    CHECK(r.request(acquire(1, true, "a", in_2s)) == 0);
    CHECK(r.request(acquire(2, true, "a", in_1s)) == 0);
    CHECK(r.request(acquire(3, true, "a")) == 0);
    CHECK(lkd::next_deadline(r.t) == 11000);
    lkd::expire(r.t, 10999);
    CHECK(r.take_events().empty());
    lkd::expire(r.t, 11000);
    CHECK(r.take_events() == "2:110");
    CHECK(fake.stopped == std::vector<pid_t>{501});
    CHECK(lkd::next_deadline(r.t) == 12000);

    // Held in time: the limit no longer counts.
    REQUIRE(sv::write_full(fake.helpers.at(500).say.get(), "!"));
    r.helper_said(500);
    CHECK(r.take_events() == "1:0");
    CHECK(lkd::next_deadline(r.t) == -1);
    lkd::expire(r.t, 99999);
    CHECK(r.take_events().empty());
    CHECK(r.t.n == 2);
}

TEST_CASE("s6lockd: a helper that dies or misbehaves loses its lock", "[s6lockd]")
{
    rig r;
    for (std::uint16_t id : {1, 2, 3}) CHECK(r.request(acquire(id, true, "a")) == 0);
    fake.helpers.at(500).say.reset(); // died before the lock came
    CHECK(r.helper_said(500));
    REQUIRE(sv::write_full(fake.helpers.at(501).say.get(), "?"));
    CHECK(r.helper_said(501));
    REQUIRE(sv::write_full(fake.helpers.at(502).say.get(), "!"));
    CHECK_FALSE(r.helper_said(502));
    fake.helpers.at(502).say.reset(); // died while holding it
    CHECK(r.helper_said(502));
    CHECK(r.take_events() == "1:32 2:71 3:0 3:32"); // EPIPE, EPROTO, held, EPIPE
    CHECK(r.t.n == 0);
}

TEST_CASE("s6lockd: events wait when the client does not read them", "[s6lockd]")
{
    rig r; // room for 4 events
    for (std::uint16_t id = 1; id <= 5; id++)
        CHECK(r.request(acquire(id, true, "a", {fake.wall.sec + 1, 0})) == 0);
    CHECK(lkd::can_send_event(r.t));
    lkd::expire(r.t, 20000);
    CHECK_FALSE(lkd::can_send_event(r.t));
    CHECK(r.t.n == 1); // the fifth waits for room
    CHECK(r.take_events().size() > 0);
    lkd::expire(r.t, 20000);
    CHECK(r.t.n == 0);
}

TEST_CASE("s6lockd: clear stops every helper", "[s6lockd]")
{
    rig r;
    for (std::uint16_t id : {1, 2}) CHECK(r.request(acquire(id, false, "a")) == 0);
    lkd::clear(r.t);
    CHECK(r.t.n == 0);
    CHECK(fake.stopped.size() == 2);
    CHECK(released(500));
    CHECK(released(501));
    CHECK(lkd::can_take_request(r.t));
}
