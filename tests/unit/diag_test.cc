// Diagnostics (libsupervise/diag.cc): the exact line each function writes to fd 2, and that
// fatal_line writes die's line but returns.
#include <catch2/catch.hpp>

#include <cerrno>
#include <string>

#include <fcntl.h>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/fd.hh>

namespace {

// Runs fn with fd 2 sent into a pipe and sv::prog set to "prog"; what fn wrote there.
template <class F>
std::string captured(F fn)
{
    int p[2];
    REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    sv::unique_fd rd(p[0]);
    sv::unique_fd saved(::fcntl(2, F_DUPFD_CLOEXEC, 3));
    REQUIRE(saved);
    REQUIRE(::dup2(p[1], 2) == 2);
    ::close(p[1]);
    std::string_view const old_prog = sv::prog;
    sv::prog = "prog";
    fn();
    sv::prog = old_prog;
    ::dup2(saved.get(), 2);
    std::string out;
    sv::read_all(rd.get(), out);
    return out;
}

} // namespace

TEST_CASE("warn and warn_sys write one warning line", "[diag]")
{
    CHECK(captured([] { sv::warn("unable to read ", "x", ": ", sv::dec(42)); }) ==
          "prog: warning: unable to read x: 42\n");
    CHECK(captured([] {
              errno = ENOENT;
              sv::warn_sys("unable to open ", "y");
          }) == "prog: warning: unable to open y: No such file or directory\n");
}

TEST_CASE("fatal_line writes die's line and returns, errno intact", "[diag]")
{
    int e = 0;
    CHECK(captured([&] {
              errno = EACCES;
              sv::fatal_line_sys("unable to exec ", "run");
              e = errno;
          }) == "prog: fatal: unable to exec run: Permission denied\n");
    CHECK(e == EACCES);
    CHECK(captured([] { sv::fatal_line("service ", "a", " failed"); }) ==
          "prog: fatal: service a failed\n");
}

TEST_CASE("child_fatal_line_sys speaks as the forked child s6 would have", "[diag]")
{
    CHECK(captured([] {
              errno = ENOENT;
              sv::child_fatal_line_sys("unable to exec ", "./run");
          }) == "prog (child): fatal: unable to exec ./run: No such file or directory\n");
}
