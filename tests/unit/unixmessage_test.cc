// The unixmessage framing: headers, fds passed with their message, several messages per
// read, messages split across reads, short writes, the limits, and (with the stock
// libraries) both directions against skalibs' own sender and receiver.
#include <catch2/catch.hpp>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>
#include <thread>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <supervise/fd.hh>
#include <supervise/tai64n.hh>
#include <supervise/unixmessage.hh>

#ifdef HAVE_STOCK_S6
extern "C" {
#include <skalibs/unixmessage.h>
}
#endif

namespace {

struct pair_fds {
    sv::unique_fd a, b;
    pair_fds()
    {
        int sv_[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv_) == 0);
        a.reset(sv_[0]);
        b.reset(sv_[1]);
    }
};

bool same_file(int x, int y)
{
    struct stat s1, s2;
    return ::fstat(x, &s1) == 0 && ::fstat(y, &s2) == 0 && s1.st_ino == s2.st_ino &&
           s1.st_dev == s2.st_dev;
}

std::int64_t soon() { return sv::mono_ms() + 5000; }

} // namespace

TEST_CASE("unixmessage: the header is length and fd count, big-endian", "[unixmessage]")
{
    char h[6];
    sv::umsg_header(h, 0x01020304, 0x0506);
    CHECK(std::string(h, 6) == "\x01\x02\x03\x04\x05\x06");
}

TEST_CASE("unixmessage: data and fds arrive together, in order", "[unixmessage]")
{
    pair_fds p;
    sv::unique_fd f1(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    int pipefd[2];
    REQUIRE(::pipe2(pipefd, O_CLOEXEC) == 0);
    sv::unique_fd pr(pipefd[0]), pw(pipefd[1]);
    int const fds1[] = {f1.get()};
    int const fds2[] = {pr.get(), pw.get()};
    REQUIRE(sv::umsg_send(p.a.get(), "first", fds1, soon()));
    REQUIRE(sv::umsg_send(p.a.get(), "", {}, soon()));
    std::string_view const parts[] = {"sec", "ond"};
    REQUIRE(sv::umsg_send(p.a.get(), parts, fds2, soon()));

    char buf[256];
    int fdbuf[8];
    sv::umsg_receiver r(buf, fdbuf, p.b.get());
    sv::umsg m;
    REQUIRE(sv::umsg_receive_until(r, m, soon()));
    CHECK(m.data == "first");
    REQUIRE(m.fds.size() == 1);
    CHECK(same_file(m.fds[0], f1.get()));
    CHECK((::fcntl(m.fds[0], F_GETFD) & FD_CLOEXEC));
    ::close(m.fds[0]);
    REQUIRE(sv::umsg_receive_until(r, m, soon()));
    CHECK(m.data.empty());
    CHECK(m.fds.empty());
    REQUIRE(sv::umsg_receive_until(r, m, soon()));
    CHECK(m.data == "second");
    REQUIRE(m.fds.size() == 2);
    CHECK(same_file(m.fds[0], pr.get()));
    CHECK(same_file(m.fds[1], pw.get()));
    for (int fd : m.fds) ::close(fd);
    CHECK(r.fds_held() == 2); // given out, dropped at the next call
    CHECK(r.next(m) == sv::umsg_receiver::result::incomplete);
    CHECK(r.fds_held() == 0);
}

TEST_CASE("unixmessage: a message split across reads is put back together", "[unixmessage]")
{
    pair_fds p;
    char buf[64];
    int fdbuf[4];
    sv::umsg_receiver r(buf, fdbuf, p.b.get());
    std::string const wire = std::string("\0\0\0\x05\0\0", 6) + "hello";
    sv::umsg m;
    for (std::size_t i = 0; i < wire.size(); i++) {
        REQUIRE(::write(p.a.get(), &wire[i], 1) == 1);
        REQUIRE(r.fill() == 1);
        auto const res = r.next(m);
        if (i + 1 < wire.size()) REQUIRE(res == sv::umsg_receiver::result::incomplete);
        else REQUIRE(res == sv::umsg_receiver::result::message);
    }
    CHECK(m.data == "hello");
    // EOF: no more messages, and receive says EPIPE.
    p.a.reset();
    CHECK_FALSE(sv::umsg_receive_until(r, m, soon()));
    CHECK(errno == EPIPE);
}

TEST_CASE("unixmessage: a message larger than the socket buffer goes through", "[unixmessage]")
{
    pair_fds p;
    int const small = 4096;
    ::setsockopt(p.a.get(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    std::string big(300000, 'x');
    for (std::size_t i = 0; i < big.size(); i++) big[i] = static_cast<char>('a' + i % 26);
    sv::unique_fd f(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    static char buf[400000];
    int fdbuf[4];
    sv::umsg_receiver r(buf, fdbuf, p.b.get());
    sv::umsg m;
    bool got = false;
    std::thread reader([&] { got = sv::umsg_receive_until(r, m, soon()); });
    int const fds[] = {f.get()};
    bool const sent = sv::umsg_send(p.a.get(), big, fds, soon());
    reader.join();
    REQUIRE(sent);
    REQUIRE(got);
    CHECK(m.data == big);
    REQUIRE(m.fds.size() == 1);
    CHECK(same_file(m.fds[0], f.get()));
    ::close(m.fds[0]);
}

TEST_CASE("unixmessage: 255 fds, more than one sendmsg may pass, in one message", "[unixmessage]")
{
    for (std::size_t len : {std::size_t{1}, std::size_t{4000}}) {
        INFO(len << " bytes of data");
        pair_fds p;
        sv::unique_fd f(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        std::vector<int> fds(sv::umsg_max_fds, f.get());
        std::string const data(len, 'd');
        REQUIRE(sv::umsg_send(p.a.get(), data, fds, soon()));
        REQUIRE(sv::umsg_send(p.a.get(), "next", {}, soon()));
        static char buf[8192];
        int fdbuf[sv::umsg_max_fds + 1];
        sv::umsg_receiver r(buf, fdbuf, p.b.get());
        sv::umsg m;
        REQUIRE(sv::umsg_receive_until(r, m, soon()));
        CHECK(m.data == data);
        REQUIRE(m.fds.size() == sv::umsg_max_fds);
        CHECK((same_file(m.fds[0], f.get()) && same_file(m.fds[254], f.get())));
        for (int fd : m.fds) ::close(fd);
        REQUIRE(sv::umsg_receive_until(r, m, soon()));
        CHECK(m.data == "next");
        CHECK(m.fds.empty());
    }
}

TEST_CASE("unixmessage: limits and broken streams", "[unixmessage]")
{
    pair_fds p;
    char buf[32];
    int fdbuf[2];
    sv::umsg_receiver r(buf, fdbuf, p.b.get());
    sv::umsg m;
    SECTION("a length over the buffer is invalid")
    {
        REQUIRE(::write(p.a.get(), "\0\0\0\x40\0\0", 6) == 6);
        CHECK_FALSE(sv::umsg_receive_until(r, m, soon()));
        CHECK(errno == EPROTO);
    }
    SECTION("a length over skalibs' maximum is invalid")
    {
        REQUIRE(::write(p.a.get(), "\x10\0\0\x01\0\0", 6) == 6);
        CHECK_FALSE(sv::umsg_receive_until(r, m, soon()));
        CHECK(errno == EPROTO);
    }
    SECTION("announced fds that never came make the stream invalid")
    {
        REQUIRE(::write(p.a.get(), "\0\0\0\x01\0\x01z", 7) == 7);
        CHECK_FALSE(sv::umsg_receive_until(r, m, soon()));
        CHECK(errno == EPROTO);
    }
    SECTION("more fds than the receiver holds are closed and refused")
    {
        sv::unique_fd f(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        int const fds[] = {f.get(), f.get(), f.get()};
        REQUIRE(sv::umsg_send(p.a.get(), "x", fds, soon()));
        CHECK(r.fill() == -1);
        CHECK(errno == ENOBUFS);
        CHECK(r.fds_held() == 0);
    }
    SECTION("sending: too many fds, and a peer that is gone")
    {
        int many[256];
        for (int &x : many) x = 0;
        CHECK_FALSE(sv::umsg_send(p.a.get(), "x", many, soon()));
        CHECK(errno == EMSGSIZE);
        p.b.reset();
        r.set_fd(-1);
        CHECK_FALSE(sv::umsg_send(p.a.get(), "x", {}, soon()));
        CHECK(errno == EPIPE);
    }
    SECTION("a full peer makes send time out")
    {
        std::string chunk(65536, 'y');
        bool ok = true;
        while (ok) ok = sv::umsg_send(p.a.get(), chunk, {}, sv::mono_ms() + 50);
        CHECK(errno == ETIMEDOUT);
    }
}

#ifdef HAVE_STOCK_S6
TEST_CASE("unixmessage: skalibs reads what we send, and we read what skalibs sends",
          "[unixmessage][stock]")
{
    pair_fds p;
    sv::unique_fd f(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    SECTION("ours to skalibs")
    {
        int const fds[] = {f.get(), f.get()};
        REQUIRE(sv::umsg_send(p.a.get(), "to skalibs", fds, soon()));
        REQUIRE(sv::umsg_send(p.a.get(), "again", {}, soon()));
        char mainbuf[1024], auxbuf[UNIXMESSAGE_AUXBUFSIZE];
        unixmessage_receiver rcv;
        REQUIRE(unixmessage_receiver_init(&rcv, p.b.get(), mainbuf, sizeof mainbuf, auxbuf,
                                          sizeof auxbuf));
        unixmessage m;
        REQUIRE(unixmessage_receive(&rcv, &m) == 1);
        CHECK(std::string(m.s, m.len) == "to skalibs");
        REQUIRE(m.nfds == 2);
        CHECK(same_file(m.fds[0], f.get()));
        ::close(m.fds[0]);
        ::close(m.fds[1]);
        REQUIRE(unixmessage_receive(&rcv, &m) == 1);
        CHECK(std::string(m.s, m.len) == "again");
        CHECK(m.nfds == 0);
        unixmessage_receiver_free(&rcv);
    }
    SECTION("skalibs to ours")
    {
        unixmessage_sender snd;
        unixmessage_sender_init(&snd, p.a.get());
        int fds[] = {f.get()};
        unixmessage m1{const_cast<char *>("from skalibs"), 12, fds, 1};
        unixmessage m2{const_cast<char *>("two"), 3, nullptr, 0};
        REQUIRE(unixmessage_put(&snd, &m1));
        REQUIRE(unixmessage_put(&snd, &m2));
        REQUIRE(unixmessage_sender_flush(&snd));
        unixmessage_sender_free(&snd);
        char buf[256];
        int fdbuf[4];
        sv::umsg_receiver r(buf, fdbuf, p.b.get());
        sv::umsg m;
        REQUIRE(sv::umsg_receive_until(r, m, soon()));
        CHECK(m.data == "from skalibs");
        REQUIRE(m.fds.size() == 1);
        CHECK(same_file(m.fds[0], f.get()));
        ::close(m.fds[0]);
        REQUIRE(sv::umsg_receive_until(r, m, soon()));
        CHECK(m.data == "two");
    }
}
#endif
