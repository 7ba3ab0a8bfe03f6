// Readiness notification (libsupervise/notify.cc): one newline, then the fd is closed, so the
// reader sees "\n" and EOF; a reader that went away is reported.
#include <catch2/catch.hpp>

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <unistd.h>

#include <supervise/fd.hh>
#include <supervise/notify.hh>

TEST_CASE("notify_ready writes one newline and closes the fd", "[notify]")
{
    int p[2];
    REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    sv::unique_fd rd(p[0]);
    CHECK(sv::notify_ready(p[1]));
    errno = 0;
    CHECK(::fcntl(p[1], F_GETFD) == -1); // closed
    CHECK(errno == EBADF);
    char buf[4];
    CHECK(::read(rd.get(), buf, sizeof buf) == 1);
    CHECK(buf[0] == '\n');
    CHECK(::read(rd.get(), buf, sizeof buf) == 0); // EOF: the only writer is gone
}

TEST_CASE("notify_ready reports a reader that went away, and still closes", "[notify]")
{
    struct sigaction ign {}, old {};
    ign.sa_handler = SIG_IGN;
    REQUIRE(::sigaction(SIGPIPE, &ign, &old) == 0);
    int p[2];
    REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    ::close(p[0]);
    errno = 0;
    CHECK_FALSE(sv::notify_ready(p[1]));
    CHECK(errno == EPIPE);
    CHECK(::fcntl(p[1], F_GETFD) == -1);
    ::sigaction(SIGPIPE, &old, nullptr);
}
