// The s6lockd-helper protocol and s6-setlock's open-and-lock (libsupervise/lockhelper.cc).
// The lock kind is checked from this same process with open-file-description locks, which
// (unlike two record locks of one process) conflict with our own record locks.  The protocol's
// bytes are s6 2.11.3.2's: the helper writes '!' once it holds the lock, and lets go on the
// first byte or EOF on its stdin (captured with strace from stock s6-setlock -t and stock
// s6lockd-helper; the integration tests run the two against each other).
#include <catch2/catch.hpp>

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include <supervise/fd.hh>
#include <supervise/lockhelper.hh>
#include <supervise/tai64n.hh>

#include "harness.hh"

namespace {

// Asks, through an open file description of its own, whether a lock of kind want (F_RDLCK or
// F_WRLCK) on the file would be refused now.  Its fd stays open for the prober's lifetime:
// closing any fd of a file drops the record locks this process holds on it.  (F_OFD_GETLK
// does not tell reliably which kind of lock is in the way, so the kind is told by asking for
// both: only an exclusive lock blocks a shared one.)
class prober {
public:
    explicit prober(std::string const &path) : fd_(::open(path.c_str(), O_RDWR | O_CLOEXEC))
    {
        REQUIRE(fd_);
    }
    bool blocks(short want)
    {
        struct flock fl {};
        fl.l_type = want;
        fl.l_whence = SEEK_SET;
        REQUIRE(fcntl(fd_.get(), F_OFD_GETLK, &fl) == 0);
        return fl.l_type != F_UNLCK;
    }

private:
    sv::unique_fd fd_;
};

// Takes an open-file-description lock on path (no waiting); the fd holds it.
sv::unique_fd ofd_lock(std::string const &path, short type)
{
    sv::unique_fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    REQUIRE(fd);
    struct flock fl {};
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    REQUIRE(fcntl(fd.get(), F_OFD_SETLK, &fl) == 0);
    return fd;
}

// Both ends non-blocking.
struct pipe_pair : h::pipe_pair {
    pipe_pair() : h::pipe_pair(O_CLOEXEC | O_NONBLOCK) {}
};

} // namespace

TEST_CASE("lockfile_open: exclusive creates the file write-only and write-locks it",
          "[lockhelper]")
{
    h::tempdir d;
    h::umask_guard um(022);
    std::string const f = d / "lock";
    sv::lockfile_step step;
    sv::unique_fd fd(sv::lockfile_open(f.c_str(), true, true, step));
    REQUIRE(fd);
    CHECK((h::mode_of(f) & 07777) == 0644); // 0666 minus the umask, as s6's open_create
    int const fl = fcntl(fd.get(), F_GETFL);
    CHECK((fl & O_ACCMODE) == O_WRONLY);
    CHECK((fl & O_NONBLOCK) != 0);
    // Deliberately inheritable: s6-setlock execs into its program with it.
    CHECK((fcntl(fd.get(), F_GETFD) & FD_CLOEXEC) == 0);
    prober other(f);
    CHECK(other.blocks(F_RDLCK));
    fd.reset();
    CHECK_FALSE(other.blocks(F_WRLCK));
}

TEST_CASE("lockfile_open: shared opens read-only, creating a missing file first", "[lockhelper]")
{
    h::tempdir d;
    std::string const f = d / "lock";
    sv::lockfile_step step;
    sv::unique_fd fd(sv::lockfile_open(f.c_str(), false, true, step));
    REQUIRE(fd);
    CHECK(h::exists(f));
    CHECK((fcntl(fd.get(), F_GETFL) & O_ACCMODE) == O_RDONLY);
    prober other(f);
    CHECK_FALSE(other.blocks(F_RDLCK)); // another shared lock coexists
    CHECK(other.blocks(F_WRLCK));       // an exclusive one does not
}

TEST_CASE("lockfile_open: a busy lock without waiting is EBUSY at the lock step",
          "[lockhelper]")
{
    h::tempdir d;
    std::string const f = d / "lock";
    sv::lockfile_step step;
    SECTION("held exclusively: neither kind")
    {
        auto other = ofd_lock(f, F_WRLCK);
        for (bool ex : {true, false}) {
            errno = 0;
            CHECK(sv::lockfile_open(f.c_str(), ex, false, step) == -1);
            CHECK(errno == EBUSY);
            CHECK(step == sv::lockfile_step::lock);
        }
    }
    SECTION("held shared: a shared lock still comes, an exclusive one does not")
    {
        auto other = ofd_lock(f, F_RDLCK);
        sv::unique_fd shared(sv::lockfile_open(f.c_str(), false, false, step));
        CHECK(shared);
        errno = 0;
        CHECK(sv::lockfile_open(f.c_str(), true, false, step) == -1);
        CHECK(errno == EBUSY);
    }
}

TEST_CASE("lockfile_open: each failing step is told apart for s6's messages", "[lockhelper]")
{
    h::tempdir d;
    sv::lockfile_step step;
    std::string const missing = d / "no/such/lock";
    errno = 0;
    CHECK(sv::lockfile_open(missing.c_str(), true, true, step) == -1);
    CHECK(errno == ENOENT);
    CHECK(step == sv::lockfile_step::open_write); // "unable to open F for writing"
    errno = 0;
    CHECK(sv::lockfile_open(missing.c_str(), false, true, step) == -1);
    CHECK(errno == ENOENT);
    CHECK(step == sv::lockfile_step::create); // "unable to create F"
    errno = 0;
    CHECK(sv::lockfile_open(d.c_str(), true, true, step) == -1);
    CHECK(errno == EISDIR);
    CHECK(step == sv::lockfile_step::open_write);
    // A directory opens read-only and takes a shared lock, as it does for stock.
    sv::unique_fd dir(sv::lockfile_open(d.c_str(), false, true, step));
    CHECK(dir);
}

TEST_CASE("lockhelper_read: the one-byte answers", "[lockhelper]")
{
    pipe_pair p;
    CHECK(sv::lockhelper_read(p.r.get()) == sv::lockhelper_answer::pending);
    REQUIRE(sv::write_full(p.w.get(), "!x"));
    CHECK(sv::lockhelper_ack == '!');
    CHECK(sv::lockhelper_read(p.r.get()) == sv::lockhelper_answer::acquired);
    CHECK(sv::lockhelper_read(p.r.get()) == sv::lockhelper_answer::garbage);
    p.w.reset();
    errno = 0;
    CHECK(sv::lockhelper_read(p.r.get()) == sv::lockhelper_answer::closed);
    CHECK(errno == EPIPE); // s6-setlock: "unable to read ack from helper: Broken pipe"
    CHECK(sv::lockhelper_read(-1) == sv::lockhelper_answer::error);
}

TEST_CASE("lockhelper_wait: deadlines", "[lockhelper]")
{
    pipe_pair p;
    SECTION("nothing by the deadline: timed out")
    {
        std::int64_t const t0 = sv::mono_ms();
        errno = 0;
        CHECK(sv::lockhelper_wait(p.r.get(), t0 + 50) == sv::lockhelper_answer::timed_out);
        CHECK(errno == ETIMEDOUT);
        CHECK(sv::mono_ms() - t0 >= 50);
    }
    SECTION("a past deadline still reads an answer already there")
    {
        REQUIRE(sv::write_full(p.w.get(), "!"));
        CHECK(sv::lockhelper_wait(p.r.get(), sv::mono_ms() - 1000) ==
              sv::lockhelper_answer::acquired);
    }
    SECTION("EOF ends the wait at once")
    {
        p.w.reset();
        CHECK(sv::lockhelper_wait(p.r.get(), -1) == sv::lockhelper_answer::closed);
    }
}

TEST_CASE("lockhelper_hold: ack, then any byte or EOF lets go", "[lockhelper]")
{
    pipe_pair in, out;
    bool wrote = false;
    SECTION("a byte")
    {
        REQUIRE(sv::write_full(in.w.get(), "garbage"));
        CHECK(sv::lockhelper_hold(in.r.get(), out.w.get(), wrote) == 0);
        CHECK(h::drain(in.r.get()) == "arbage"); // exactly one byte read
    }
    SECTION("EOF")
    {
        in.w.reset();
        CHECK(sv::lockhelper_hold(in.r.get(), out.w.get(), wrote) == 0);
    }
    CHECK(wrote);
    CHECK(h::drain(out.r.get()) == "!");
}

TEST_CASE("lockhelper_hold: a failed ack is reported as such", "[lockhelper]")
{
    pipe_pair in;
    bool wrote = true;
    errno = 0;
    CHECK(sv::lockhelper_hold(in.r.get(), in.r.get(), wrote) == -1); // not writable
    CHECK(errno == EBADF);
    CHECK_FALSE(wrote);
}
