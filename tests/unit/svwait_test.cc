// The user-facing wait (libsupervise/svwait.cc): goal letters, deadlines, and the exits and
// messages of s6-svwait and s6-svlisten1, including the two-phase -r wait, whose first phase
// differs between the two tools.  Everything that can exit runs in a forked child, with its
// events queued by the child itself right after it subscribed.
#include <catch2/catch.hpp>

#include <cerrno>
#include <string>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/fifodir.hh>
#include <supervise/status.hh>
#include <supervise/svwait.hh>
#include <supervise/tai64n.hh>

#include "harness.hh"

namespace {

using h::make_fake_service;

struct outcome {
    int code; // exit code, or -1 if the child did not exit normally in time
    std::string err;
};

struct events {
    std::string dir;
    std::string bytes;
};

// In a child: stderr to a file, init (dying like the tools on failure), queue the events,
// then wait_goal_run; a clean success returns 0.
outcome run_wait(h::tempdir const &t, std::vector<std::string> const &dirs, char goal,
                 bool any, sv::wait_style style, unsigned timeout_ms,
                 std::vector<events> const &evs)
{
    std::string const errfile = t / "stderr";
    h::child c([&] {
        int fd = ::open(errfile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || ::dup2(fd, 2) < 0) return 120;
        sv::prog = "tool";
        std::vector<char const *> v;
        for (auto const &d : dirs) v.push_back(d.c_str());
        sv::wait_goal g;
        if (!sv::wait_goal_scan(goal, g)) return 121;
        sv::svlisten l;
        sv::wait_init_or_die(l, v);
        for (auto const &e : evs) sv::fifodir_notify((e.dir + "/event").c_str(), e.bytes);
        sv::wait_goal_run(l, v, g, any, style, sv::wait_deadline(timeout_ms));
        return 0;
    });
    outcome o{c.exit_code(), {}};
    o.err = h::read_existing(errfile);
    return o;
}

constexpr auto svwait = sv::wait_style::svwait;
constexpr auto svlisten1 = sv::wait_style::svlisten1;
constexpr auto svlisten = sv::wait_style::svlisten;
constexpr unsigned long_wait = 5000;

} // namespace

TEST_CASE("wait_goal_scan maps the six letters", "[svwait]")
{
    struct row {
        char c;
        bool up, ready, restart;
    };
    row const rows[] = {
        {'u', true, false, false},  {'U', true, true, false}, {'d', false, false, false},
        {'D', false, true, false},  {'r', true, false, true}, {'R', true, true, true},
    };
    for (auto const &r : rows) {
        INFO("letter " << r.c);
        sv::wait_goal g{false, true, true}; // every field differs from some row
        REQUIRE(sv::wait_goal_scan(r.c, g));
        CHECK(g.up == r.up);
        CHECK(g.ready == r.ready);
        CHECK(g.restart == r.restart);
    }
    for (char c : std::string("aoxtO0 ")) {
        INFO("letter " << c);
        sv::wait_goal g;
        CHECK_FALSE(sv::wait_goal_scan(c, g));
    }
}

TEST_CASE("wait_deadline: 0 is none, else now plus the timeout", "[svwait]")
{
    CHECK(sv::wait_deadline(0) == -1);
    std::int64_t const before = sv::mono_ms();
    std::int64_t const d = sv::wait_deadline(1500);
    std::int64_t const after = sv::mono_ms();
    CHECK(d >= before + 1500);
    CHECK(d <= after + 1500);
}

TEST_CASE("wait_goal_run returns when the goal is reached", "[svwait]")
{
    h::tempdir t;
    std::string const a = t / "a", b = t / "b";
    make_fake_service(a, false, false);
    make_fake_service(b, false, false);

    SECTION("already there")
    {
        auto o = run_wait(t, {a, b}, 'd', false, svwait, long_wait, {});
        CHECK(o.code == 0);
        CHECK(o.err.empty());
    }
    SECTION("-U on two services")
    {
        auto o = run_wait(t, {a, b}, 'U', false, svwait, long_wait, {{a, "uU"}, {b, "U"}});
        CHECK(o.code == 0);
        CHECK(o.err.empty());
    }
    SECTION("-o -u with one service up")
    {
        auto o = run_wait(t, {a, b}, 'u', true, svwait, long_wait, {{b, "u"}});
        CHECK(o.code == 0);
    }
    // The child's FIFOs are gone either way.
    CHECK(h::listeners(a) == 0);
    CHECK(h::listeners(b) == 0);
}

TEST_CASE("wait_goal_run exits like s6-svwait on failures and timeouts", "[svwait]")
{
    h::tempdir t;
    std::string const a = t / "a", b = t / "b";
    make_fake_service(a, false, false);
    make_fake_service(b, false, false);
    std::string const failmsg =
        "tool: fatal: some services reported permanent failure or their supervisor died\n";

    SECTION("the exit code is the failure count")
    {
        auto o = run_wait(t, {a, b}, 'u', false, svwait, long_wait, {{a, "O"}, {b, "O"}});
        CHECK(o.code == 2);
        CHECK(o.err == failmsg);
    }
    SECTION("one failure")
    {
        auto o = run_wait(t, {a, b}, 'U', false, svwait, long_wait, {{a, "x"}, {b, "U"}});
        CHECK(o.code == 1);
        CHECK(o.err == failmsg);
    }
    SECTION("timeout: 99")
    {
        auto o = run_wait(t, {a, b}, 'u', false, svwait, 80, {{a, "u"}});
        CHECK(o.code == 99);
        CHECK(o.err == "tool: fatal: timed out\n");
    }
    CHECK(h::listeners(a) == 0);
    CHECK(h::listeners(b) == 0);
}

TEST_CASE("wait_goal_run exits like s6-svlisten1 on failures", "[svwait]")
{
    h::tempdir t;
    std::string const a = t / "a";
    make_fake_service(a, false, false);

    SECTION("O: exit 1 naming the service")
    {
        auto o = run_wait(t, {a}, 'u', false, svlisten1, long_wait, {{a, "O"}});
        CHECK(o.code == 1);
        CHECK(o.err == "tool: fatal: " + a + " failed permanently or its supervisor died\n");
    }
    SECTION("timeout: 99")
    {
        auto o = run_wait(t, {a}, 'U', false, svlisten1, 80, {{a, "u"}});
        CHECK(o.code == 99);
        CHECK(o.err == "tool: fatal: timed out\n");
    }
}

TEST_CASE("-r waits for down first, as each tool defines it", "[svwait]")
{
    h::tempdir t;
    std::string const a = t / "a", b = t / "b";
    make_fake_service(a, true, false);

    SECTION("s6-svwait: plain down is enough for the first phase")
    {
        auto o = run_wait(t, {a}, 'r', false, svwait, long_wait, {{a, "du"}});
        CHECK(o.code == 0);
    }
    SECTION("s6-svwait: an up that comes first does not count")
    {
        // Already up: -r must still see a down before the up.
        auto o = run_wait(t, {a}, 'r', false, svwait, 100, {{a, "u"}});
        CHECK(o.code == 99);
    }
    SECTION("s6-svwait: the first phase needs every service down, even with -o")
    {
        make_fake_service(b, true, false);
        auto o = run_wait(t, {a, b}, 'r', true, svwait, 100, {{a, "du"}});
        CHECK(o.code == 99);
        auto o2 = run_wait(t, {a, b}, 'r', true, svwait, long_wait, {{a, "d"}, {b, "du"}});
        CHECK(o2.code == 0);
    }
    SECTION("s6-svwait -R: up and ready after the down")
    {
        auto o = run_wait(t, {a}, 'R', false, svwait, long_wait, {{a, "duU"}});
        CHECK(o.code == 0);
    }
    SECTION("s6-svlisten1: the first phase needs down and ready")
    {
        auto o = run_wait(t, {a}, 'r', false, svlisten1, 100, {{a, "du"}});
        CHECK(o.code == 99);
        auto o2 = run_wait(t, {a}, 'r', false, svlisten1, long_wait, {{a, "dDu"}});
        CHECK(o2.code == 0);
    }
}

TEST_CASE("s6-svlisten's style: -r needs down and ready, failures are counted", "[svwait]")
{
    h::tempdir t;
    std::string const a = t / "a", b = t / "b";
    make_fake_service(a, true, false);
    make_fake_service(b, true, false);

    SECTION("the first phase of -r needs down and ready")
    {
        auto o = run_wait(t, {a}, 'r', false, svlisten, 100, {{a, "du"}});
        CHECK(o.code == 99);
        auto o2 = run_wait(t, {a}, 'r', false, svlisten, long_wait, {{a, "dDu"}});
        CHECK(o2.code == 0);
    }
    SECTION("... for every service")
    {
        auto o = run_wait(t, {a, b}, 'r', false, svlisten, 100, {{a, "dD"}, {b, "d"}});
        CHECK(o.code == 99);
    }
    SECTION("each failure counts, with s6-svwait's message")
    {
        auto o = run_wait(t, {a, b}, 'd', false, svlisten, long_wait, {{a, "x"}, {b, "x"}});
        CHECK(o.code == 2);
        CHECK(o.err ==
              "tool: fatal: some services reported permanent failure or their supervisor died\n");
    }
}

TEST_CASE("wait_init_or_die exits 111 with s6's messages", "[svwait]")
{
    h::tempdir t;
    std::string const a = t / "a", b = t / "b";
    make_fake_service(a, false, false);

    SECTION("subscription failure names the directory")
    {
        auto o = run_wait(t, {a, b}, 'u', false, svwait, long_wait, {});
        CHECK(o.code == 111);
        CHECK(o.err == "tool: fatal: unable to subscribe to events for " + b +
                           ": No such file or directory\n");
    }
    SECTION("status failure names the library call")
    {
        REQUIRE(::mkdir(b.c_str(), 0755) == 0);
        auto o = run_wait(t, {a, b}, 'u', false, svwait, long_wait, {});
        CHECK(o.code == 111);
        CHECK(o.err == "tool: fatal: unable to s6_svstatus_read: No such file or directory\n");
        CHECK(h::listeners(b) == 0);
    }
    CHECK(h::listeners(a) == 0);
}
