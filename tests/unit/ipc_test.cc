// libsupervise/ipc: sockets made as asked, binding over a stale path behind PATH.lock (and
// refused while another binder holds it), connecting with a deadline, the local and peer
// paths, and the peer's credentials.
#include <catch2/catch.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <supervise/fd.hh>
#include <supervise/ipc.hh>
#include <supervise/tai64n.hh>

#include "harness.hh"

namespace {

sv::unique_fd listener(std::string const &path, unsigned perms = 0)
{
    sv::unique_fd s(sv::ipc_socket(false, true, true));
    REQUIRE(s.get() >= 0);
    int lk = -1;
    REQUIRE(sv::ipc_bind_reuse(s.get(), path.c_str(), perms, &lk) == 0);
    ::close(lk);
    REQUIRE(::listen(s.get(), 8) == 0);
    return s;
}

} // namespace

TEST_CASE("ipc_socket: stream or datagram, non-blocking and close-on-exec as asked", "[ipc]")
{
    for (bool dgram : {false, true}) {
        for (bool nb : {false, true}) {
            for (bool cx : {false, true}) {
                sv::unique_fd s(sv::ipc_socket(dgram, nb, cx));
                REQUIRE(s.get() >= 0);
                int type = 0;
                socklen_t len = sizeof type;
                REQUIRE(::getsockopt(s.get(), SOL_SOCKET, SO_TYPE, &type, &len) == 0);
                CHECK(type == (dgram ? SOCK_DGRAM : SOCK_STREAM));
                CHECK(((::fcntl(s.get(), F_GETFL) & O_NONBLOCK) != 0) == nb);
                CHECK(((::fcntl(s.get(), F_GETFD) & FD_CLOEXEC) != 0) == cx);
            }
        }
    }
}

TEST_CASE("ipc_bind and ipc_connect: a path too long is EPROTO", "[ipc]")
{
    std::string const longpath = "/tmp/" + std::string(sv::ipc_path_max, 'x');
    sv::unique_fd s(sv::ipc_socket(false, false, true));
    errno = 0;
    CHECK(sv::ipc_bind(s.get(), longpath.c_str()) == -1);
    CHECK(errno == EPROTO);
    errno = 0;
    CHECK_FALSE(sv::ipc_connect(s.get(), longpath.c_str()));
    CHECK(errno == EPROTO);
}

TEST_CASE("ipc_bind_reuse: PATH.lock, a stale file replaced, perms, EBUSY while held", "[ipc]")
{
    h::tempdir td;
    std::string const path = td / "s";
    h::write_file(path, "stale\n");
    sv::unique_fd s(sv::ipc_socket(false, false, true));
    int lk = -1;
    REQUIRE(sv::ipc_bind_reuse(s.get(), path.c_str(), 0600, &lk) == 0);
    sv::unique_fd lock(lk);
    CHECK(S_ISSOCK(h::mode_of(path)));
    CHECK((h::mode_of(path) & 0777) == 0600);
    CHECK(h::mode_of(path + ".lock") == (S_IFREG | 0600));
    CHECK((::fcntl(lk, F_GETFD) & FD_CLOEXEC) != 0);
    // Another process cannot bind while the lock is held...
    h::child other([&] {
        sv::unique_fd s2(sv::ipc_socket(false, false, true));
        int lk2 = -1;
        if (sv::ipc_bind_reuse(s2.get(), path.c_str(), 0, &lk2) == 0) return 1;
        return errno == EBUSY ? 0 : 2;
    });
    CHECK(other.exit_code() == 0);
    // ...and can once it is gone, over the socket left behind.
    lock.reset();
    s.reset();
    h::child again([&] {
        sv::unique_fd s2(sv::ipc_socket(false, false, true));
        int lk2 = -1;
        return sv::ipc_bind_reuse(s2.get(), path.c_str(), 0, &lk2) == 0 ? 0 : 1;
    });
    CHECK(again.exit_code() == 0);
}

TEST_CASE("ipc_connect_until, ipc_accept, ipc_local, ipc_peer: both ends see each other", "[ipc]")
{
    h::tempdir td;
    std::string const path = td / "s";
    auto const l = listener(path);
    // The client binds its own path, so that the server has a peer path to report.
    sv::unique_fd c(sv::ipc_socket(false, false, true));
    REQUIRE(sv::ipc_bind(c.get(), (td / "c").c_str()) == 0);
    REQUIRE(sv::ipc_connect(c.get(), path.c_str()));
    char peer[sv::ipc_path_max + 1];
    REQUIRE(h::wait_until([&] {
        int fd = sv::ipc_accept(l.get(), peer, sizeof peer, true, true);
        if (fd < 0) return false;
        sv::unique_fd a(fd);
        CHECK(std::string(peer) == td / "c");
        CHECK((::fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
        CHECK((::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
        uid_t u = 1234;
        gid_t g = 1234;
        pid_t p = 0;
        CHECK(sv::ipc_peer(fd, u, g, &p));
        CHECK(u == ::geteuid());
        CHECK(g == ::getegid());
        CHECK(p == ::getpid());
        char local[sv::ipc_path_max + 1];
        CHECK(sv::ipc_local(fd, local, sizeof local) == 0);
        CHECK(std::string(local) == path);
        return true;
    }));
    char local[sv::ipc_path_max + 1];
    CHECK(sv::ipc_local(c.get(), local, sizeof local) == 0);
    CHECK(std::string(local) == td / "c");
    // A cut buffer still gets a terminated string.
    char small[4];
    CHECK(sv::ipc_local(c.get(), small, sizeof small) == 0);
    CHECK(std::strlen(small) == 3);

    int fd = sv::ipc_connect_until(path.c_str(), sv::mono_ms() + 2000);
    REQUIRE(fd >= 0);
    sv::unique_fd held(fd);
    CHECK((::fcntl(fd, F_GETFL) & O_NONBLOCK) == 0);
    CHECK((::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    // Nobody listening: refused at once, not after the deadline.
    errno = 0;
    CHECK(sv::ipc_connect_until((td / "nothing").c_str(), sv::mono_ms() + 2000) == -1);
    CHECK(errno == ENOENT);
}
