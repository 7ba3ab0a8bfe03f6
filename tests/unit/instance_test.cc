// Instanced services (libsupervise/instance.cc): which instance names are accepted, and how
// s6-instance-create, -delete and -list find the inner s6-svscan (exit 1 when it is not
// running: a stock quirk).  The dying checks run in forked children.
#include <catch2/catch.hpp>

#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <supervise/instance.hh>
#include <supervise/lock.hh>

#include "harness.hh"

namespace {

// Runs instance_chdir_or_die(service) in a child; its exit code (0 if it returned).
int chdir_code(std::string const &service)
{
    h::child c([&] {
        int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC); // its messages are not checked here
        if (null >= 0) ::dup2(null, 2);
        sv::instance_chdir_or_die(service);
        return 0;
    });
    int st = c.wait(10000);
    REQUIRE(st != -1);
    REQUIRE(WIFEXITED(st));
    return WEXITSTATUS(st);
}

} // namespace

TEST_CASE("instance_name_ok", "[instance]")
{
    CHECK(sv::instance_name_ok("foo"));
    CHECK(sv::instance_name_ok("a/b")); // stock lets it through; the copy then fails
    CHECK(sv::instance_name_ok("x.y"));
    CHECK_FALSE(sv::instance_name_ok(""));
    CHECK_FALSE(sv::instance_name_ok(".hidden"));
    for (char c : std::string(" \t\f\r\n"))
        CHECK_FALSE(sv::instance_name_ok(std::string("a") + c + "b"));
    CHECK(sv::instance_name_ok("a\vb")); // a vertical tab is not refused
}

TEST_CASE("instance_chdir_or_die requires a running inner s6-svscan", "[instance]")
{
    h::tempdir t;
    std::string const svc = t / "svc";
    CHECK(chdir_code("") == 100);
    CHECK(chdir_code(svc) == 111); // no svc/instance
    h::mkdirs(svc + "/instance/.s6-svscan");
    CHECK(chdir_code(svc) == 111); // no lock file
    std::string const lock = svc + "/instance/.s6-svscan/lock";
    h::write_file(lock, "");
    CHECK(chdir_code(svc) == 1); // nobody holds it

    h::child holder([&] {
        if (sv::lock_take(lock.c_str()) < 0) return 1;
        for (;;) ::pause();
    });
    REQUIRE(h::wait_until([&] { return sv::lock_probe(lock.c_str()) == sv::lock_state::held; }));
    CHECK(chdir_code(svc) == 0);
}

TEST_CASE("instance_chdir_or_die: a FIFO in the lock's place is not waited on", "[instance]")
{
    // Stock opens the lock non-blocking and finds a FIFO unlocked: exit 1, at once.
    h::tempdir t;
    h::mkdirs(t / "svc/instance/.s6-svscan");
    REQUIRE(::mkfifo((t / "svc/instance/.s6-svscan/lock").c_str(), 0600) == 0);
    CHECK(chdir_code(t / "svc") == 1);
}
