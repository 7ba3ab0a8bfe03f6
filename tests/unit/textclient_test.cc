// The skalibs text-client channel (libsupervise/textclient.cc): framing (4-byte big-endian
// length, then the payload) in both directions with partial reads, full buffers and oversized
// messages; the asynchronous fd taken from SKALIBS_CHILD_SPAWN_FDS; and the helper's side of
// the handshake over pipes, with the bytes stock s6-ftrig-wait and s6-ftrigrd exchanged under
// strace as golden vectors.  With the stock libraries, skalibs' own textmessage sender and
// receiver check our bytes too.
#include <catch2/catch.hpp>

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <string>
#include <unistd.h>
#include <vector>

#include <supervise/fd.hh>
#include <supervise/ftrigr.hh>
#include <supervise/tai64n.hh>
#include <supervise/textclient.hh>

#include "harness.hh"

#ifdef HAVE_STOCK_S6
extern "C" { // the stock headers are C
#include <skalibs/textmessage.h>
}
#endif

using namespace std::string_literals;

namespace {

// Captured with strace from stock s6-ftrig-wait (client) and s6-ftrigrd (helper).
std::string const banner1_frame = "\0\0\0\x10"s + "ftrigr v1.0 (b)\n";
std::string const banner2_frame = "\0\0\0\x10"s + "ftrigr v1.0 (a)\n";

// Both ends non-blocking.
struct pipe_pair : h::pipe_pair {
    pipe_pair() : h::pipe_pair(O_CLOEXEC | O_NONBLOCK) {}
};

std::string read_now(int fd)
{
    std::string s;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<std::size_t>(n));
    return s;
}

} // namespace

TEST_CASE("text_header is the payload length, 4 bytes big-endian", "[textclient]")
{
    char h[4];
    sv::text_header(h, 16);
    CHECK(std::string(h, 4) == "\0\0\0\x10"s);
    sv::text_header(h, 0x01020304);
    CHECK(std::string(h, 4) == "\x01\x02\x03\x04"s);
}

TEST_CASE("text_sender frames messages as skalibs does", "[textclient]")
{
    char buf[64];
    sv::text_sender s{buf};
    CHECK(s.empty());
    REQUIRE(s.put(sv::ftrigr_banner1));
    CHECK(s.pending() == banner1_frame);
    REQUIRE(s.put({"ab", "", "c"}));
    CHECK(s.pending() == banner1_frame + "\0\0\0\x03" "abc"s);
    REQUIRE(s.put(""));
    CHECK(s.pending().size() == banner1_frame.size() + 7 + 4);

    SECTION("a message that does not fit is refused whole")
    {
        std::size_t const room = s.room();
        CHECK_FALSE(s.put(std::string(room - 3, 'x')));
        CHECK(errno == ENOBUFS);
        CHECK(s.room() == room);
        CHECK(s.put(std::string(room - 4, 'x'))); // exactly fills it
        CHECK(s.room() == 0);
    }
    SECTION("flush writes everything and empties the queue")
    {
        pipe_pair p;
        s.set_fd(p.w.get());
        std::string const want(s.pending());
        REQUIRE(s.flush());
        CHECK(s.empty());
        CHECK(read_now(p.r.get()) == want);
    }
}

TEST_CASE("text_sender keeps what a full pipe did not take", "[textclient]")
{
    static char big[200000];
    sv::text_sender s{big};
    pipe_pair p;
    s.set_fd(p.w.get());
    std::string const payload(100000, 'z'); // more than a pipe holds (64 KiB)
    REQUIRE(s.put(payload));
    CHECK_FALSE(s.flush());
    CHECK(errno == EAGAIN);
    CHECK_FALSE(s.empty());
    std::string got = read_now(p.r.get());
    REQUIRE(s.flush_until(sv::mono_ms() + 1000));
    got += read_now(p.r.get());
    CHECK(got == "\0\x01\x86\xa0"s + payload);

    SECTION("a flush that cannot finish times out")
    {
        REQUIRE(s.put(payload));
        errno = 0;
        CHECK_FALSE(s.flush_until(sv::mono_ms() + 50));
        CHECK(errno == ETIMEDOUT);
    }
    SECTION("a reader that went away is EPIPE")
    {
        REQUIRE(s.put("x"));
        p.r.reset();
        signal(SIGPIPE, SIG_IGN);
        CHECK_FALSE(s.flush());
        CHECK(errno == EPIPE);
    }
}

TEST_CASE("text_receiver cuts a byte stream into messages", "[textclient]")
{
    char buf[32];
    sv::text_receiver r{buf};
    std::string_view m;
    std::string const stream = banner2_frame + "\0\0\0\x01\0"s + "\0\0\0\0"s;

    SECTION("one byte at a time")
    {
        std::vector<std::string> got;
        for (char c : stream) {
            REQUIRE(r.feed({&c, 1}) == 1);
            while (r.next(m) == sv::text_receiver::result::message) got.emplace_back(m);
        }
        REQUIRE(got.size() == 3);
        CHECK(got[0] == sv::ftrigr_banner2);
        CHECK(got[1] == "\0"s);
        CHECK(got[2].empty());
        CHECK(r.buffered() == 0);
    }
    SECTION("all at once")
    {
        REQUIRE(r.feed(stream) == stream.size());
        REQUIRE(r.next(m) == sv::text_receiver::result::message);
        CHECK(m == sv::ftrigr_banner2);
        REQUIRE(r.next(m) == sv::text_receiver::result::message);
        CHECK(m == "\0"s);
        REQUIRE(r.next(m) == sv::text_receiver::result::message);
        CHECK(m.empty());
        CHECK(r.next(m) == sv::text_receiver::result::incomplete);
    }
    SECTION("a length that cannot fit is too_big, at once")
    {
        REQUIRE(r.feed("\0\0\0\x1d"s) == 4); // 29 > 32 - 4
        CHECK(r.next(m) == sv::text_receiver::result::too_big);
    }
    SECTION("a length above skalibs' limit is too_big")
    {
        static char huge[0x01000010];
        sv::text_receiver h{huge};
        REQUIRE(h.feed("\x01\0\0\x01"s) == 4);
        CHECK(h.next(m) == sv::text_receiver::result::too_big);
    }
    SECTION("fill reads from the fd, keeping a partial message across reads")
    {
        pipe_pair p;
        r.set_fd(p.r.get());
        CHECK(r.fill() == -1);
        CHECK(errno == EAGAIN);
        REQUIRE(sv::write_full(p.w.get(), banner2_frame.substr(0, 7)));
        CHECK(r.fill() == 7);
        CHECK(r.next(m) == sv::text_receiver::result::incomplete);
        REQUIRE(sv::write_full(p.w.get(), banner2_frame.substr(7)));
        CHECK(r.fill() == static_cast<ssize_t>(banner2_frame.size() - 7));
        REQUIRE(r.next(m) == sv::text_receiver::result::message);
        CHECK(m == sv::ftrigr_banner2);
        p.w.reset();
        CHECK(r.fill() == 0); // EOF
    }
}

TEST_CASE("text_receive_until: deadline and end of stream", "[textclient]")
{
    char buf[64];
    pipe_pair p;
    sv::text_receiver r{buf, p.r.get()};
    std::string_view m;
    REQUIRE(sv::write_full(p.w.get(), "\0\0\0\x05"s + "ab"));
    std::int64_t const t0 = sv::mono_ms();
    CHECK_FALSE(sv::text_receive_until(r, m, t0 + 60));
    CHECK(errno == ETIMEDOUT);
    CHECK(sv::mono_ms() - t0 >= 55);
    REQUIRE(sv::write_full(p.w.get(), "cde"));
    REQUIRE(sv::text_receive_until(r, m, sv::mono_ms() + 1000));
    CHECK(m == "abcde");
    p.w.reset();
    CHECK_FALSE(sv::text_receive_until(r, m, sv::mono_ms() + 1000));
    CHECK(errno == EPIPE);
}

TEST_CASE("text_async_fd reads SKALIBS_CHILD_SPAWN_FDS", "[textclient]")
{
    char const *good[] = {"PATH=/bin", "SKALIBS_CHILD_SPAWN_FDS=8", nullptr};
    CHECK(sv::text_async_fd(good) == 8);
    char const *more[] = {"SKALIBS_CHILD_SPAWN_FDSX=3", "SKALIBS_CHILD_SPAWN_FDS=12,13", nullptr};
    CHECK(sv::text_async_fd(more) == 12);
    char const *none[] = {"PATH=/bin", nullptr};
    CHECK(sv::text_async_fd(none) == -1);
    CHECK(errno == EPROTONOSUPPORT);
    char const *empty[] = {nullptr};
    CHECK(sv::text_async_fd(empty) == -1);
    char const *bad[] = {"SKALIBS_CHILD_SPAWN_FDS=x", nullptr};
    CHECK(sv::text_async_fd(bad) == -1);
    CHECK(errno == EINVAL);
}

namespace {

// A helper's channels over three pipes: the test plays the client.
struct server_fixture {
    pipe_pair req, ans, asy;
    char in[256], out[64], ev[64];
    sv::text_server s{sv::text_receiver{in}, sv::text_sender{out}, sv::text_sender{ev}};
    std::string env = "SKALIBS_CHILD_SPAWN_FDS=" + std::to_string(asy.w.get());
    char const *envp[2] = {env.c_str(), nullptr};
    server_fixture()
    {
        s.in.set_fd(req.r.get());
        s.sync.set_fd(ans.w.get());
    }
    bool init(std::int64_t ms = 1000)
    {
        return sv::text_server_init(s, envp, sv::ftrigr_banner1, sv::ftrigr_banner2,
                                    sv::mono_ms() + ms);
    }
};

} // namespace

TEST_CASE("text_server_init: the helper's side of the handshake", "[textclient]")
{
    server_fixture f;

    SECTION("the right banner: banner2 goes out on both channels")
    {
        // The client may send its first request right behind the banner.
        REQUIRE(sv::write_full(f.req.w.get(), banner1_frame + "\0\0\0\x03\0\x01U"s));
        REQUIRE(f.init());
        CHECK(read_now(f.asy.r.get()) == banner2_frame);
        CHECK(read_now(f.ans.r.get()) == banner2_frame);
        CHECK(f.s.async.fd() == f.asy.w.get());
        std::string_view m;
        REQUIRE(f.s.in.next(m) == sv::text_receiver::result::message);
        CHECK(m == "\0\x01U"s);
    }
    SECTION("another banner is EPROTO")
    {
        REQUIRE(sv::write_full(f.req.w.get(), "\0\0\0\x10"s + "ftrigr v1.0 (c)\n"));
        CHECK_FALSE(f.init());
        CHECK(errno == EPROTO);
        CHECK(read_now(f.ans.r.get()).empty());
    }
    SECTION("silence is ETIMEDOUT")
    {
        CHECK_FALSE(f.init(50));
        CHECK(errno == ETIMEDOUT);
    }
    SECTION("a client that closes is EPIPE")
    {
        f.req.w.reset();
        CHECK_FALSE(f.init());
        CHECK(errno == EPIPE);
    }
    SECTION("a closed asynchronous fd is EBADF")
    {
        REQUIRE(sv::write_full(f.req.w.get(), banner1_frame));
        f.env = "SKALIBS_CHILD_SPAWN_FDS=1000";
        f.envp[0] = f.env.c_str();
        CHECK_FALSE(f.init());
        CHECK(errno == EBADF);
    }
    SECTION("no SKALIBS_CHILD_SPAWN_FDS: socket mode, which we do not serve")
    {
        f.envp[0] = nullptr;
        CHECK_FALSE(f.init());
        CHECK(errno == EPROTONOSUPPORT);
    }
}

#ifdef HAVE_STOCK_S6
TEST_CASE("our framing is skalibs' textmessage framing", "[textclient][stock]")
{
    pipe_pair p;
    textmessage_sender ts = TEXTMESSAGE_SENDER_ZERO;
    textmessage_sender_init(&ts, p.w.get());
    std::string const payload = "\0\x07L"s + std::string(300, 'q');
    REQUIRE(textmessage_put(&ts, payload.data(), payload.size()));
    REQUIRE(textmessage_sender_flush(&ts));
    textmessage_sender_free(&ts);
    std::string const theirs = read_now(p.r.get());

    char buf[512];
    sv::text_sender ours{buf};
    REQUIRE(ours.put(payload));
    CHECK(std::string(ours.pending()) == theirs);

    // And skalibs' receiver takes our bytes.
    REQUIRE(sv::write_full(p.w.get(), ours.pending()));
    char rbuf[1024];
    textmessage_receiver tr = TEXTMESSAGE_RECEIVER_ZERO;
    REQUIRE(textmessage_receiver_init(&tr, p.r.get(), rbuf, sizeof rbuf, TEXTMESSAGE_MAXLEN));
    struct iovec v;
    REQUIRE(textmessage_receive(&tr, &v) > 0);
    CHECK(std::string(static_cast<char *>(v.iov_base), v.iov_len) == payload);
    textmessage_receiver_free(&tr);
}
#endif
