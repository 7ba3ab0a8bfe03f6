// Waiting on event/ fifodirs (libsupervise/svlisten.cc): the initial state comes from
// supervise/status, event bytes move (up, ready), -a needs every service and -o one, O and x
// count failures as s6 2.11 does, leftover bytes carry over to the next wait, and a deadline
// gives -1.  The service directories are built by hand: a status file and an event fifodir.
#include <catch2/catch.hpp>

#include <cerrno>
#include <string>
#include <vector>

#include <dirent.h>
#include <sys/stat.h>

#include <supervise/fifodir.hh>
#include <supervise/status.hh>
#include <supervise/svlisten.hh>
#include <supervise/tai64n.hh>

#include "harness.hh"

namespace {

using h::make_fake_service;

constexpr sv::wait_target want_u{true, false, false};
constexpr sv::wait_target want_U{true, true, false};
constexpr sv::wait_target want_d{false, false, false};
constexpr sv::wait_target want_D{false, true, false};

// A deadline long enough never to be hit when the events are already queued.
std::int64_t soon() { return sv::mono_ms() + 5000; }
// A deadline that is meant to pass.
std::int64_t brief() { return sv::mono_ms() + 60; }

} // namespace

TEST_CASE("svlisten returns at once when the state already holds", "[svlisten]")
{
    h::tempdir t;
    std::string const a = t / "a";
    make_fake_service(a, true, true);
    char const *dirs[] = {a.c_str()};
    sv::svlisten l;
    REQUIRE(l.init(dirs));
    // A deadline already past: holding states still succeed without reading anything.
    std::int64_t const past = sv::mono_ms();
    CHECK(l.wait(want_u, past) == 0);
    CHECK(l.wait(want_U, past) == 0);
    CHECK(l.wait(want_d, past) == -1);
}

TEST_CASE("svlisten reads the initial state from supervise/status", "[svlisten]")
{
    h::tempdir t;
    std::string const a = t / "a";
    std::int64_t const past = sv::mono_ms();

    SECTION("down, not ready")
    {
        make_fake_service(a, false, false);
        char const *dirs[] = {a.c_str()};
        sv::svlisten l;
        REQUIRE(l.init(dirs));
        CHECK(l.wait(want_d, past) == 0);
        CHECK(l.wait(want_D, past) == -1);
        CHECK(l.wait(want_u, past) == -1);
    }
    SECTION("down and ready")
    {
        make_fake_service(a, false, true);
        char const *dirs[] = {a.c_str()};
        sv::svlisten l;
        REQUIRE(l.init(dirs));
        CHECK(l.wait(want_D, past) == 0);
        CHECK(l.wait(want_d, past) == 0);
    }
    SECTION("up, not ready")
    {
        make_fake_service(a, true, false);
        char const *dirs[] = {a.c_str()};
        sv::svlisten l;
        REQUIRE(l.init(dirs));
        CHECK(l.wait(want_u, past) == 0);
        CHECK(l.wait(want_U, past) == -1);
    }
    SECTION("finishing counts as down")
    {
        REQUIRE(::mkdir(a.c_str(), 0755) == 0);
        REQUIRE(::mkdir((a + "/supervise").c_str(), 0700) == 0);
        sv::status st;
        st.pid = 99;
        st.finishing = true;
        REQUIRE(sv::status_write(a, st));
        char const *dirs[] = {a.c_str()};
        sv::svlisten l;
        REQUIRE(l.init(dirs)); // event/ is created by the subscription
        CHECK(l.wait(want_d, past) == 0);
    }
}

TEST_CASE("svlisten follows u U d D events", "[svlisten]")
{
    h::tempdir t;
    std::string const a = t / "a";

    SECTION("u and U")
    {
        make_fake_service(a, false, false);
        char const *dirs[] = {a.c_str()};
        sv::svlisten l;
        REQUIRE(l.init(dirs));
        CHECK(h::listeners(a) == 1);
        h::notify(a, "u");
        CHECK(l.wait(want_u, soon()) == 0);
        // Up but not ready: -U waits on.
        CHECK(l.wait(want_U, brief()) == -1);
        h::notify(a, "U");
        CHECK(l.wait(want_U, soon()) == 0);
    }
    SECTION("d and D")
    {
        make_fake_service(a, true, true);
        char const *dirs[] = {a.c_str()};
        sv::svlisten l;
        REQUIRE(l.init(dirs));
        h::notify(a, "d");
        CHECK(l.wait(want_d, soon()) == 0);
        CHECK(l.wait(want_D, brief()) == -1);
        h::notify(a, "D");
        CHECK(l.wait(want_D, soon()) == 0);
    }
    SECTION("bytes that are not events are ignored")
    {
        make_fake_service(a, false, false);
        char const *dirs[] = {a.c_str()};
        sv::svlisten l;
        REQUIRE(l.init(dirs));
        h::notify(a, "sTbz");
        CHECK(l.wait(want_u, brief()) == -1);
        h::notify(a, "s");
        h::notify(a, "u");
        CHECK(l.wait(want_u, soon()) == 0);
    }
    SECTION("no deadline (-1) still returns on the event")
    {
        make_fake_service(a, false, false);
        char const *dirs[] = {a.c_str()};
        sv::svlisten l;
        REQUIRE(l.init(dirs));
        h::notify(a, "U");
        CHECK(l.wait(want_U, -1) == 0);
    }
}

TEST_CASE("svlisten keeps bytes read past the goal for the next wait", "[svlisten]")
{
    h::tempdir t;
    std::string const a = t / "a";
    make_fake_service(a, true, false);
    char const *dirs[] = {a.c_str()};
    sv::svlisten l;
    REQUIRE(l.init(dirs));
    h::notify(a, "dU"); // one write, so one read: the 'U' comes in with the 'd'
    CHECK(l.wait(want_d, soon()) == 0);
    // No more events: the kept 'U' alone must satisfy -U, even with the deadline passed.
    CHECK(l.wait(want_U, sv::mono_ms()) == 0);
}

TEST_CASE("svlisten -a needs every service, -o one", "[svlisten]")
{
    h::tempdir t;
    std::string const a = t / "a", b = t / "b";
    make_fake_service(a, false, false);
    make_fake_service(b, false, false);
    char const *dirs[] = {a.c_str(), b.c_str()};
    sv::svlisten l;
    REQUIRE(l.init(dirs));
    CHECK(h::listeners(a) == 1);
    CHECK(h::listeners(b) == 1);

    h::notify(a, "u");
    CHECK(l.wait(want_u, brief()) == -1); // -a: b is still down
    CHECK(l.wait({true, false, true}, soon()) == 0); // -o: a is enough
    CHECK(l.wait({true, true, true}, brief()) == -1); // -o -U: nobody is ready
    h::notify(b, "u");
    CHECK(l.wait(want_u, soon()) == 0);
    h::notify(b, "U");
    CHECK(l.wait({true, true, true}, soon()) == 0);
    CHECK(l.wait(want_U, brief()) == -1); // a is up but not ready

    l.clear();
    CHECK(h::listeners(a) == 0);
    CHECK(h::listeners(b) == 0);
}

TEST_CASE("svlisten counts O and x as failures", "[svlisten]")
{
    h::tempdir t;
    std::string const a = t / "a", b = t / "b";

    SECTION("O while waiting for up: one failure, and the service counts as up")
    {
        make_fake_service(a, false, false);
        char const *dirs[] = {a.c_str()};
        sv::svlisten l;
        REQUIRE(l.init(dirs));
        h::notify(a, "O");
        CHECK(l.wait(want_U, soon()) == 1);
    }
    SECTION("O for two services under -a: two failures")
    {
        make_fake_service(a, false, false);
        make_fake_service(b, false, false);
        char const *dirs[] = {a.c_str(), b.c_str()};
        sv::svlisten l;
        REQUIRE(l.init(dirs));
        h::notify(a, "O");
        h::notify(b, "O");
        CHECK(l.wait(want_u, soon()) == 2);
    }
    SECTION("O and a clean up under -a: one failure")
    {
        make_fake_service(a, false, false);
        make_fake_service(b, false, false);
        char const *dirs[] = {a.c_str(), b.c_str()};
        sv::svlisten l;
        REQUIRE(l.init(dirs));
        h::notify(a, "O");
        h::notify(b, "u");
        CHECK(l.wait(want_u, soon()) == 1);
    }
    SECTION("O is ignored while waiting for down")
    {
        make_fake_service(a, true, false);
        char const *dirs[] = {a.c_str()};
        sv::svlisten l;
        REQUIRE(l.init(dirs));
        h::notify(a, "O");
        CHECK(l.wait(want_d, brief()) == -1);
        h::notify(a, "d");
        CHECK(l.wait(want_d, soon()) == 0);
    }
    SECTION("x while not in the wanted state: one failure")
    {
        make_fake_service(a, true, true);
        char const *dirs[] = {a.c_str()};
        sv::svlisten l;
        REQUIRE(l.init(dirs));
        h::notify(a, "x");
        CHECK(l.wait(want_d, soon()) == 1);
    }
    SECTION("x compares readiness exactly, even for -d (s6 2.11)")
    {
        make_fake_service(a, false, true); // down and ready: already fine for -d
        make_fake_service(b, true, false);
        char const *dirs[] = {a.c_str(), b.c_str()};
        sv::svlisten l;
        REQUIRE(l.init(dirs));
        h::notify(a, "x"); // (0,1) differs from (0,0): counted
        h::notify(b, "d");
        CHECK(l.wait(want_d, soon()) == 1);
    }
    SECTION("x in exactly the wanted state: no failure")
    {
        make_fake_service(a, false, false);
        make_fake_service(b, true, false);
        char const *dirs[] = {a.c_str(), b.c_str()};
        sv::svlisten l;
        REQUIRE(l.init(dirs));
        h::notify(a, "x");
        h::notify(b, "d");
        CHECK(l.wait(want_d, soon()) == 0);
    }
}

TEST_CASE("svlisten times out with -1 at the deadline", "[svlisten]")
{
    h::tempdir t;
    std::string const a = t / "a";
    make_fake_service(a, false, false);
    char const *dirs[] = {a.c_str()};
    sv::svlisten l;
    REQUIRE(l.init(dirs));
    std::int64_t const start = sv::mono_ms();
    CHECK(l.wait(want_u, start + 100) == -1);
    std::int64_t const took = sv::mono_ms() - start;
    CHECK(took >= 100);
    CHECK(took < 3000);
}

TEST_CASE("svlisten init reports which service and which step failed", "[svlisten]")
{
    h::tempdir t;
    std::string const a = t / "a", b = t / "b";
    make_fake_service(a, false, false);

    SECTION("missing supervise/status: the status step")
    {
        REQUIRE(::mkdir(b.c_str(), 0755) == 0);
        char const *dirs[] = {a.c_str(), b.c_str()};
        sv::svlisten l;
        errno = 0;
        CHECK_FALSE(l.init(dirs));
        CHECK(errno == ENOENT);
        CHECK(l.failed_index() == 1);
        CHECK_FALSE(l.failed_subscribe());
        // Subscribing came first: b/event was created and holds our FIFO.
        CHECK(h::exists(b + "/event"));
        l.clear();
        CHECK(h::listeners(a) == 0);
        CHECK(h::listeners(b) == 0);
    }
    SECTION("short status file: EPIPE")
    {
        REQUIRE(::mkdir(b.c_str(), 0755) == 0);
        REQUIRE(::mkdir((b + "/supervise").c_str(), 0700) == 0);
        h::write_file(b + "/supervise/status", "short");
        char const *dirs[] = {a.c_str(), b.c_str()};
        sv::svlisten l;
        errno = 0;
        CHECK_FALSE(l.init(dirs));
        CHECK(errno == EPIPE);
        CHECK(l.failed_index() == 1);
        CHECK_FALSE(l.failed_subscribe());
    }
    SECTION("missing service directory: the subscribe step")
    {
        std::string const missing = t / "nope";
        char const *dirs[] = {missing.c_str(), a.c_str()};
        sv::svlisten l;
        errno = 0;
        CHECK_FALSE(l.init(dirs));
        CHECK(errno == ENOENT);
        CHECK(l.failed_index() == 0);
        CHECK(l.failed_subscribe());
        CHECK_FALSE(h::exists(missing));
    }
}
