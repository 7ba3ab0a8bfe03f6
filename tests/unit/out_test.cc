// The fixed-buffer writer (libsupervise/out.cc): nothing reaches the fd before a flush or a
// full buffer, writes longer than the 4 KiB buffer arrive whole and in order, integers are
// formatted in decimal, and a failed write makes every later flush() false.
#include <catch2/catch.hpp>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <string>

#include <fcntl.h>
#include <unistd.h>

#include <supervise/fd.hh>
#include <supervise/out.hh>
#include <supervise/tai64n.hh>

#include "harness.hh"

namespace {

// A pipe whose read end does not block, so that h::drain returns what is there.
struct pipe_pair : h::pipe_pair {
    pipe_pair() { REQUIRE(sv::set_nonblock(r.get(), true)); }
};

// A deterministic pattern, so a reordered or lost chunk shows.
std::string pattern(std::size_t n)
{
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; i++) s[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
    return s;
}

} // namespace

TEST_CASE("out_buf keeps small writes until flush", "[out]")
{
    pipe_pair p;
    sv::out_buf o(p.w.get());
    o.put("abc").put('d').put(std::string_view("ef"));
    CHECK(h::drain(p.r.get()).empty());
    CHECK(o.flush());
    CHECK(h::drain(p.r.get()) == "abcdef");
    // A flush with nothing buffered writes nothing and still succeeds.
    CHECK(o.flush());
    CHECK(h::drain(p.r.get()).empty());
}

TEST_CASE("out_buf flushes on destruction", "[out]")
{
    pipe_pair p;
    {
        sv::out_buf o(p.w.get());
        o.put("bye\n");
        CHECK(h::drain(p.r.get()).empty());
    }
    CHECK(h::drain(p.r.get()) == "bye\n");
}

TEST_CASE("out_buf writes a full buffer out only when more comes", "[out]")
{
    pipe_pair p;
    sv::out_buf o(p.w.get());
    std::string const s = pattern(10000);
    o.put(s);
    // Two full 4096-byte buffers went out; the last 1808 bytes wait for the flush.
    std::string got = h::drain(p.r.get());
    CHECK(got.size() == 8192);
    CHECK(o.flush());
    got += h::drain(p.r.get());
    CHECK(got == s);

    // Exactly 4096 bytes fill the buffer but do not write it.
    o.put(pattern(4096));
    CHECK(h::drain(p.r.get()).empty());
    o.put('!');
    CHECK(h::drain(p.r.get()) == pattern(4096));
    CHECK(o.flush());
    CHECK(h::drain(p.r.get()) == "!");
}

TEST_CASE("out_buf writes more than a pipe holds, in order", "[out]")
{
    // 300 KB is more than the default 64 KiB pipe, so the writer blocks until we read.
    std::string const s = pattern(300000);
    int p[2];
    REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    sv::unique_fd rd(p[0]), wr(p[1]);
    h::child writer([&] {
        rd.reset();
        sv::out_buf o(wr.get());
        // Mixed chunk sizes, so chunks straddle buffer boundaries.
        std::size_t i = 0, step = 1;
        while (i < s.size()) {
            std::size_t n = std::min(step, s.size() - i);
            o.put(std::string_view(s).substr(i, n));
            i += n;
            step = step * 3 % 9001 + 1;
        }
        return o.flush() ? 0 : 1;
    });
    wr.reset();
    REQUIRE(sv::set_nonblock(rd.get(), true));
    std::string got;
    std::int64_t const deadline = sv::mono_ms() + 10000;
    for (;;) {
        REQUIRE(h::wait_readable(rd.get(), deadline));
        char buf[65536];
        ssize_t r = ::read(rd.get(), buf, sizeof buf);
        if (r == 0) break;
        if (r < 0) {
            REQUIRE(errno == EAGAIN);
            continue;
        }
        got.append(buf, static_cast<std::size_t>(r));
    }
    REQUIRE(writer.exit_code() == 0);
    CHECK(got.size() == s.size());
    CHECK(got == s);
}

TEST_CASE("out_buf formats integers in decimal", "[out]")
{
    pipe_pair p;
    sv::out_buf o(p.w.get());
    o.num(0).put(' ').num(7).put(' ').num(-42).put(' ');
    o.num(std::uint64_t(UINT64_MAX)).put(' ').num(std::int64_t(INT64_MIN)).put(' ');
    o.num(static_cast<unsigned char>(255)).put(' ').num(static_cast<short>(-32768)).put(' ');
    o.num(pid_t(12345)).put(' ').num(std::uint16_t(65535));
    REQUIRE(o.flush());
    CHECK(h::drain(p.r.get()) ==
          "0 7 -42 18446744073709551615 -9223372036854775808 255 -32768 12345 65535");
}

TEST_CASE("out_buf reports a failed write from flush", "[out]")
{
    SECTION("write error at flush (ENOSPC on /dev/full)")
    {
        sv::unique_fd full(::open("/dev/full", O_WRONLY | O_CLOEXEC));
        REQUIRE(full);
        sv::out_buf o(full.get());
        o.put("x");
        errno = 0;
        CHECK_FALSE(o.flush());
        CHECK(errno == ENOSPC);
        // Sticky: later flushes stay false even with nothing buffered.
        CHECK_FALSE(o.flush());
        o.put("y");
        CHECK_FALSE(o.flush());
    }
    SECTION("write error while spilling a full buffer (EBADF)")
    {
        sv::unique_fd ro(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        REQUIRE(ro);
        sv::out_buf o(ro.get());
        // Far more than the buffer: the spills fail and put must not spin.
        o.put(pattern(50000));
        errno = 0;
        CHECK_FALSE(o.flush());
        CHECK(errno == EBADF);
    }
    SECTION("a good fd succeeds")
    {
        sv::unique_fd null(::open("/dev/null", O_WRONLY | O_CLOEXEC));
        REQUIRE(null);
        sv::out_buf o(null.get());
        o.put(pattern(50000));
        CHECK(o.flush());
    }
}
