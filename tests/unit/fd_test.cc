// libsupervise/fd.cc: writev_full on a non-blocking pipe that fills up (it waits, as a
// blocking write would, and loses nothing), and its failure on a pipe with no reader.
#include <catch2/catch.hpp>

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <string>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <supervise/fd.hh>

TEST_CASE("writev_full: a full non-blocking pipe is waited for, in order", "[fd]")
{
    int p[2];
    REQUIRE(pipe2(p, O_CLOEXEC) == 0);
    REQUIRE(sv::set_nonblock(p[1], true));
    // Three pieces, far more than a pipe holds (64 KiB), so writev meets EAGAIN and short
    // writes that end inside a piece.
    std::string a(300000, 'a'), b(1, 'b'), c(500001, 'c');
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (!pid) {
        close(p[1]);
        std::string got;
        char buf[4096];
        for (ssize_t r; (r = read(p[0], buf, sizeof buf)) != 0;) {
            if (r < 0) _exit(2);
            got.append(buf, static_cast<std::size_t>(r));
            if (got.size() % (64 * 1024) < sizeof buf) usleep(1000); // a slow reader
        }
        _exit(got == a + b + c ? 0 : 1);
    }
    close(p[0]);
    iovec v[3] = {{a.data(), a.size()}, {b.data(), b.size()}, {c.data(), c.size()}};
    CHECK(sv::writev_full(p[1], v, 3));
    close(p[1]);
    int st = 0;
    REQUIRE(waitpid(pid, &st, 0) == pid);
    CHECK(WIFEXITED(st));
    CHECK(WEXITSTATUS(st) == 0);
}

TEST_CASE("writev_full: no reader is EPIPE", "[fd]")
{
    int p[2];
    REQUIRE(pipe2(p, O_CLOEXEC) == 0);
    close(p[0]);
    sigset_t s, old;
    sigemptyset(&s);
    sigaddset(&s, SIGPIPE);
    sigprocmask(SIG_BLOCK, &s, &old);
    char x[] = "x";
    iovec v[1] = {{x, 1}};
    errno = 0;
    CHECK_FALSE(sv::writev_full(p[1], v, 1));
    CHECK(errno == EPIPE);
    // The pending SIGPIPE is taken before the mask comes back.
    timespec zero{};
    sigtimedwait(&s, nullptr, &zero);
    sigprocmask(SIG_SETMASK, &old, nullptr);
    close(p[1]);
}
