// Control FIFOs (libsupervise/control.cc): how send_control classifies each failure the way
// s6 2.11's s6_svc_writectl does, and how control_listen sets up the supervisor's side and
// names the step that failed.  The supervisor lock has its own test (lock_test.cc).
#include <catch2/catch.hpp>

#include <cerrno>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <supervise/control.hh>
#include <supervise/fd.hh>
#include <supervise/tai64n.hh>

#include "harness.hh"

using sv::control_result;

TEST_CASE("send_control writes the whole command to a listening FIFO", "[control]")
{
    h::tempdir t;
    REQUIRE(::mkdir((t / "supervise").c_str(), 0700) == 0);
    sv::unique_fd rd, wr;
    REQUIRE(sv::control_listen((t / "supervise/control").c_str(), rd, wr));

    CHECK(sv::send_control(t.path(), "supervise", "dx") == control_result::ok);
    CHECK(h::drain(rd.get()) == "dx");

    SECTION("an empty command only checks that someone listens")
    {
        CHECK(sv::send_control(t.path(), "supervise", "") == control_result::ok);
        CHECK(h::drain(rd.get()).empty());
    }
    SECTION("the same works for .s6-svscan")
    {
        REQUIRE(::mkdir((t / ".s6-svscan").c_str(), 0700) == 0);
        sv::unique_fd rd2, wr2;
        REQUIRE(sv::control_listen((t / ".s6-svscan/control").c_str(), rd2, wr2));
        CHECK(sv::send_control(t.path(), ".s6-svscan", "h") == control_result::ok);
        CHECK(h::drain(rd2.get()) == "h");
        CHECK(h::drain(rd.get()).empty());
    }
}

TEST_CASE("send_control: a FIFO with no reader is not_listening", "[control]")
{
    h::tempdir t;
    REQUIRE(::mkdir((t / "supervise").c_str(), 0700) == 0);
    REQUIRE(::mkfifo((t / "supervise/control").c_str(), 0600) == 0);
    CHECK(sv::send_control(t.path(), "supervise", "u") == control_result::not_listening);

    SECTION("and once the supervisor has gone, its FIFO is not_listening again")
    {
        {
            sv::unique_fd rd, wr;
            REQUIRE(sv::control_listen((t / "supervise/control").c_str(), rd, wr));
            CHECK(sv::send_control(t.path(), "supervise", "u") == control_result::ok);
        }
        CHECK(sv::send_control(t.path(), "supervise", "u") == control_result::not_listening);
    }
}

TEST_CASE("send_control: a missing service directory is no_dir", "[control]")
{
    h::tempdir t;
    errno = 0;
    CHECK(sv::send_control(t / "nonexistent", "supervise", "u") == control_result::no_dir);
    CHECK(errno == ENOENT);
}

TEST_CASE("send_control: a service directory without supervise/ is not_listening", "[control]")
{
    h::tempdir t;
    CHECK(sv::send_control(t.path(), "supervise", "u") == control_result::not_listening);

    SECTION("a dangling supervise symlink counts as missing too")
    {
        REQUIRE(::symlink("elsewhere", (t / "supervise").c_str()) == 0);
        CHECK(sv::send_control(t.path(), "supervise", "u") == control_result::not_listening);
    }
}

TEST_CASE("send_control: a broken control directory is bad_ctldir", "[control]")
{
    h::tempdir t;

    SECTION("supervise is a regular file")
    {
        h::write_file(t / "supervise", "");
        errno = 0;
        CHECK(sv::send_control(t.path(), "supervise", "u") == control_result::bad_ctldir);
        CHECK(errno == ENOTDIR);
    }
    SECTION("supervise/ exists but has no control FIFO")
    {
        REQUIRE(::mkdir((t / "supervise").c_str(), 0700) == 0);
        errno = 0;
        CHECK(sv::send_control(t.path(), "supervise", "u") == control_result::bad_ctldir);
        CHECK(errno == ENOENT);
    }
    SECTION("supervise/control is a directory")
    {
        REQUIRE(::mkdir((t / "supervise").c_str(), 0700) == 0);
        REQUIRE(::mkdir((t / "supervise/control").c_str(), 0700) == 0);
        errno = 0;
        CHECK(sv::send_control(t.path(), "supervise", "u") == control_result::bad_ctldir);
        CHECK(errno == EISDIR);
    }
}

TEST_CASE("control_listen creates and reuses the FIFO", "[control]")
{
    h::tempdir t;
    std::string const fifo = t / "control";

    SECTION("a fresh FIFO has mode 0600 and the reader never sees EOF")
    {
        sv::unique_fd rd, wr;
        {
            h::umask_guard um(0);
            REQUIRE(sv::control_listen(fifo.c_str(), rd, wr));
        }
        mode_t m = h::mode_of(fifo);
        CHECK(S_ISFIFO(m));
        CHECK((m & 07777) == 0600);
        CHECK(rd);
        CHECK(wr);
        char c;
        errno = 0;
        CHECK(::read(rd.get(), &c, 1) == -1); // not 0 (EOF): our own write end keeps it open
        CHECK(errno == EAGAIN);
        CHECK((::fcntl(rd.get(), F_GETFD) & FD_CLOEXEC) != 0);
    }
    SECTION("an existing FIFO is reused")
    {
        REQUIRE(::mkfifo(fifo.c_str(), 0620) == 0);
        REQUIRE(::chmod(fifo.c_str(), 0620) == 0); // as s6-svperms might have set it
        sv::unique_fd rd, wr;
        REQUIRE(sv::control_listen(fifo.c_str(), rd, wr));
        CHECK((h::mode_of(fifo) & 07777) == 0620);
        REQUIRE(sv::write_full(wr.get(), "u"));
        char c = 0;
        CHECK(::read(rd.get(), &c, 1) == 1);
        CHECK(c == 'u');
    }
    SECTION("an existing non-FIFO is refused with EEXIST")
    {
        h::write_file(fifo, "not a fifo");
        sv::unique_fd rd, wr;
        errno = 0;
        CHECK_FALSE(sv::control_listen(fifo.c_str(), rd, wr));
        CHECK(errno == EEXIST);
        CHECK_FALSE(rd);
        CHECK(h::read_existing(fifo) == "not a fifo");
    }
    SECTION("an existing directory is refused with EEXIST")
    {
        REQUIRE(::mkdir(fifo.c_str(), 0700) == 0);
        sv::unique_fd rd, wr;
        errno = 0;
        sv::listen_error why = sv::listen_error::none;
        CHECK_FALSE(sv::control_listen(fifo.c_str(), rd, wr, &why));
        CHECK(errno == EEXIST);
        CHECK(why == sv::listen_error::not_fifo);
    }
}

TEST_CASE("control_listen names the step that failed, for s6's messages", "[control]")
{
    h::tempdir t;
    sv::unique_fd rd, wr;
    sv::listen_error why = sv::listen_error::mkfifo;

    SECTION("success: none")
    {
        REQUIRE(sv::control_listen((t / "control").c_str(), rd, wr, &why));
        CHECK(why == sv::listen_error::none);
    }
    SECTION("no such directory: mkfifo")
    {
        why = sv::listen_error::none;
        CHECK_FALSE(sv::control_listen((t / "none/control").c_str(), rd, wr, &why));
        CHECK(why == sv::listen_error::mkfifo);
        CHECK(errno == ENOENT);
    }
    SECTION("a dangling symlink: mkfifo says EEXIST, stat says ENOENT")
    {
        REQUIRE(::symlink("nowhere", (t / "control").c_str()) == 0);
        CHECK_FALSE(sv::control_listen((t / "control").c_str(), rd, wr, &why));
        CHECK(why == sv::listen_error::stat);
        CHECK(errno == ENOENT);
    }
    SECTION("a regular file: not_fifo")
    {
        h::write_file(t / "control", "");
        CHECK_FALSE(sv::control_listen((t / "control").c_str(), rd, wr, &why));
        CHECK(why == sv::listen_error::not_fifo);
    }
}
