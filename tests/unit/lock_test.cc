// File locks (libsupervise/lock.cc): record locks conflict between processes (never within
// one, since fcntl locks belong to a process), shared locks coexist, a waiting lock wakes when
// the holder lets go, an open-file-description lock passes to children, and both kinds exclude
// skalibs' fd_lock, which is what stock s6 takes.
#include <catch2/catch.hpp>

#include <cerrno>
#include <memory>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <supervise/fd.hh>
#include <supervise/lock.hh>
#include <supervise/tai64n.hh>

#include "harness.hh"

#ifdef HAVE_STOCK_S6
extern "C" {
#include <skalibs/djbunix.h>
}
#endif

using sv::lock_state;

namespace {

// A child that takes a lock with take(), says so on a pipe, and holds it until told to go.
class holder {
public:
    template <class F>
    explicit holder(F take)
    {
        int ready[2], release[2];
        REQUIRE(::pipe2(ready, O_CLOEXEC) == 0);
        REQUIRE(::pipe2(release, O_CLOEXEC) == 0);
        ready_.reset(ready[0]);
        release_.reset(release[1]);
        sv::unique_fd ready_wr(ready[1]), release_rd(release[0]);
        child_ = std::make_unique<h::child>([&] {
            release_.reset();
            if (!take()) return 2;
            if (::write(ready_wr.get(), "L", 1) != 1) return 3;
            char c;
            while (::read(release_rd.get(), &c, 1) < 0 && errno == EINTR) {} // a byte or EOF
            return 0;
        });
    }

    // True once the child holds its lock; false if it failed to take it.
    bool holding()
    {
        if (!h::wait_readable(ready_.get(), sv::mono_ms() + 10000)) return false;
        char c = 0;
        return ::read(ready_.get(), &c, 1) == 1;
    }

    // Tells the child to let go and waits for it; its exit code.  A byte, not only EOF: other
    // children forked meanwhile hold copies of the pipe's write end.
    int release()
    {
        if (::write(release_.get(), "G", 1) != 1) return -1;
        release_.reset();
        return child_->exit_code();
    }

private:
    sv::unique_fd ready_, release_;
    std::unique_ptr<h::child> child_;
};

// Runs fn in a child process (where our own locks are someone else's); its exit code.
template <class F>
int in_child(F fn)
{
    h::child c(fn);
    return c.exit_code();
}

} // namespace

TEST_CASE("lock_take: created with the given mode, exclusive across processes", "[lock]")
{
    h::tempdir t;
    std::string const lock = t / "supervise-lock";

    int fd;
    {
        h::umask_guard um(0);
        fd = sv::lock_take(lock.c_str());
    }
    REQUIRE(fd >= 0);
    sv::unique_fd held(fd);
    CHECK((h::mode_of(lock) & 07777) == 0644);
    CHECK((::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    struct stat st;
    REQUIRE(::stat(lock.c_str(), &st) == 0);
    CHECK(st.st_size == 0);

    // Our own process may lock again; another one is refused with EWOULDBLOCK.
    sv::unique_fd again(sv::lock_take(lock.c_str()));
    CHECK(again);
    again.reset(); // closing any fd of the file drops a record lock: take it back
    REQUIRE(sv::lock_fd(held.get(), true, false) == 0);
    CHECK(in_child([&] {
              if (sv::lock_take(lock.c_str()) >= 0) return 2;
              return errno == EWOULDBLOCK ? 0 : 1;
          }) == 0);

    // Once the holder lets go, another process gets it.
    held.reset();
    CHECK(in_child([&] { return sv::lock_take(lock.c_str()) >= 0 ? 0 : 1; }) == 0);

    SECTION("another mode, as s6-svscan's .s6-svscan/lock (0600)")
    {
        h::umask_guard um(0);
        sv::unique_fd f(sv::lock_take((t / "other").c_str(), 0600));
        CHECK(f);
        CHECK((h::mode_of(t / "other") & 07777) == 0600);
    }
    SECTION("a missing directory fails with ENOENT")
    {
        errno = 0;
        CHECK(sv::lock_take((t / "no/lock").c_str()) == -1);
        CHECK(errno == ENOENT);
    }
}

TEST_CASE("lock_open: a file we may write but not read is opened write-only, as stock does",
          "[lock]")
{
    h::need_root("to hand a write-only file to another user");
    h::tempdir t;
    REQUIRE(::chmod(t.path().c_str(), 0755) == 0);
    std::string const path = t / "lock";
    h::write_file(path, "");
    REQUIRE(::chown(path.c_str(), 65534, 65534) == 0);
    REQUIRE(::chmod(path.c_str(), 0200) == 0);
    CHECK(in_child([&] {
              if (::setgid(65534) < 0 || ::setuid(65534) < 0) return 3;
              int fd = sv::lock_take(path.c_str());
              if (fd < 0) return 1;
              return (::fcntl(fd, F_GETFL) & O_ACCMODE) == O_WRONLY ? 0 : 2;
          }) == 0);
}

TEST_CASE("lock_fd: shared locks coexist, an exclusive one excludes them", "[lock]")
{
    h::tempdir t;
    std::string const path = t / "lock";
    h::write_file(path, "");

    holder reader([&] {
        int fd = sv::lock_open(path.c_str());
        return fd >= 0 && sv::lock_fd(fd, false, false) == 0;
    });
    REQUIRE(reader.holding());

    sv::unique_fd fd(sv::lock_open(path.c_str()));
    REQUIRE(fd);
    CHECK(sv::lock_fd(fd.get(), false, false) == 0); // a second reader
    REQUIRE(sv::unlock_fd(fd.get()) == 0);
    errno = 0;
    CHECK(sv::lock_fd(fd.get(), true, false) == -1); // a writer, not while a reader holds it
    CHECK(errno == EWOULDBLOCK);
    CHECK(reader.release() == 0);
    CHECK(sv::lock_fd(fd.get(), true, false) == 0);

    SECTION("and a shared lock is refused while the exclusive one is held")
    {
        CHECK(in_child([&] {
                  sv::unique_fd f(sv::lock_open(path.c_str()));
                  if (!f || sv::lock_fd(f.get(), false, false) == 0) return 2;
                  return errno == EWOULDBLOCK ? 0 : 1;
              }) == 0);
    }
    SECTION("unlock_fd lets another process in")
    {
        REQUIRE(sv::unlock_fd(fd.get()) == 0);
        CHECK(in_child([&] { return sv::lock_take(path.c_str()) >= 0 ? 0 : 1; }) == 0);
    }
}

TEST_CASE("lock_fd with wait blocks until the holder lets go", "[lock]")
{
    h::tempdir t;
    std::string const path = t / "lock";
    holder h([&] { return sv::lock_take(path.c_str()) >= 0; });
    REQUIRE(h.holding());

    // The waiter reports on a pipe once it has the lock: not before the holder is gone.
    int p[2];
    REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    sv::unique_fd rd(p[0]), wr(p[1]);
    h::child waiter([&] {
        rd.reset();
        int fd = sv::lock_open(path.c_str());
        if (fd < 0 || sv::lock_fd(fd, true, true) < 0) return 1;
        return ::write(wr.get(), "W", 1) == 1 ? 0 : 1;
    });
    wr.reset();
    CHECK_FALSE(h::wait_readable(rd.get(), sv::mono_ms() + 200));
    CHECK(h.release() == 0);
    REQUIRE(h::wait_readable(rd.get(), sv::mono_ms() + 10000));
    char c = 0;
    CHECK(::read(rd.get(), &c, 1) == 1);
    CHECK(c == 'W');
    CHECK(waiter.exit_code() == 0);
}

TEST_CASE("lock_fd_inherited passes to children and excludes record locks", "[lock]")
{
    h::tempdir t;
    std::string const path = t / "service-lock";
    sv::unique_fd fd(sv::lock_open(path.c_str()));
    REQUIRE(fd);
    REQUIRE(sv::lock_fd_inherited(fd.get(), true, false) == 0);

    // A record lock from another process conflicts with it...
    CHECK(in_child([&] {
              if (sv::lock_take(path.c_str()) >= 0) return 2;
              return errno == EWOULDBLOCK ? 0 : 1;
          }) == 0);
    // ...and so does another open file description's lock, even in our own process.
    sv::unique_fd other(sv::lock_open(path.c_str()));
    REQUIRE(other);
    errno = 0;
    CHECK(sv::lock_fd_inherited(other.get(), true, false) == -1);
    CHECK(errno == EWOULDBLOCK);
    other.reset();

    // A child that inherits fd (by fork here; exec would keep it too) holds the lock on its
    // own once we close our copy, and it goes with the child's last copy.
    holder kid([] { return true; });
    REQUIRE(kid.holding());
    fd.reset();
    CHECK(sv::lock_probe(path.c_str()) == lock_state::held);
    CHECK(kid.release() == 0);
    CHECK(sv::lock_probe(path.c_str()) == lock_state::free);
}

TEST_CASE("lock_probe tells held, free and missing apart", "[lock]")
{
    h::tempdir t;
    std::string const lock = t / "lock";

    CHECK(sv::lock_probe(lock.c_str()) == lock_state::missing);
    h::write_file(lock, "");
    CHECK(sv::lock_probe(lock.c_str()) == lock_state::free);

    // F_GETLK never reports the caller's own locks, so the holder has to be another process.
    holder h([&] { return sv::lock_take(lock.c_str()) >= 0; });
    REQUIRE(h.holding());
    CHECK(sv::lock_probe(lock.c_str()) == lock_state::held);
    CHECK(h.release() == 0); // its exit drops the lock
    CHECK(sv::lock_probe(lock.c_str()) == lock_state::free);

    SECTION("a path that cannot be opened for another reason is an error")
    {
        CHECK(sv::lock_probe((t / "lock/sub").c_str()) == lock_state::error);
    }
}

#ifdef HAVE_STOCK_S6
TEST_CASE("stock: our locks and skalibs' fd_lock exclude each other", "[lock][stock]")
{
    h::tempdir t;
    std::string const path = t / "lock";
    h::write_file(path, "");

    SECTION("we hold it: fd_lock(w, nb) says busy (0), fd_islocked says locked")
    {
        holder h([&] { return sv::lock_take(path.c_str()) >= 0; });
        REQUIRE(h.holding());
        sv::unique_fd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
        REQUIRE(fd);
        CHECK(::fd_islocked(fd.get()) == 1);
        CHECK(::fd_lock(fd.get(), 1, 1) == 0);
        CHECK(::fd_lock(fd.get(), 0, 1) == 0);
        CHECK(h.release() == 0);
        CHECK(::fd_lock(fd.get(), 1, 1) == 1);
    }
    SECTION("skalibs holds it: lock_take fails with EWOULDBLOCK, lock_probe says held")
    {
        holder h([&] {
            int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
            return fd >= 0 && ::fd_lock(fd, 1, 1) == 1;
        });
        REQUIRE(h.holding());
        CHECK(sv::lock_probe(path.c_str()) == lock_state::held);
        errno = 0;
        CHECK(sv::lock_take(path.c_str()) == -1);
        CHECK(errno == EWOULDBLOCK);
        CHECK(h.release() == 0);
        sv::unique_fd fd(sv::lock_take(path.c_str()));
        CHECK(fd);
    }
    SECTION("an inherited (open-file-description) lock of ours also excludes fd_lock")
    {
        sv::unique_fd mine(sv::lock_open(path.c_str()));
        REQUIRE(mine);
        REQUIRE(sv::lock_fd_inherited(mine.get(), true, false) == 0);
        sv::unique_fd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
        CHECK(::fd_lock(fd.get(), 1, 1) == 0);
    }
}
#endif
