// s6-log's stdin (tools/s6-log/input.cc) over a pipe: 2.11's line splitting, a buffer that
// stops taking input while its lines wait for the outputs, the last line at the end of the
// input, and SIGTERM's byte-at-a-time last line (reference/s6-log.md §8, §9).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <string>
#include <unistd.h>
#include <vector>

#include <supervise/fd.hh>

#include "../../tools/s6-log/input.hh"

namespace {

// A pipe whose read end is the input's fd, non-blocking as s6-log makes stdin.
struct pipe_in
{
    int r = -1, w = -1;
    pipe_in()
    {
        int p[2];
        REQUIRE(pipe2(p, O_CLOEXEC) == 0);
        r = p[0];
        w = p[1];
        REQUIRE(sv::set_nonblock(r, true));
        REQUIRE(sv::set_nonblock(w, true)); // one thread writes and reads
    }
    ~pipe_in()
    {
        close(r);
        if (w >= 0) close(w);
    }
    void send(std::string const &s)
    {
        REQUIRE(write(w, s.data(), s.size()) == static_cast<ssize_t>(s.size()));
    }
    void end()
    {
        close(w);
        w = -1;
    }
};

// Every line next() gives now, popped.
std::vector<std::string> take(s6log::input &in)
{
    std::vector<std::string> v;
    char *line;
    std::size_t len;
    while (in.next(line, len)) {
        v.emplace_back(line, len);
        in.pop();
    }
    return v;
}

using lines = std::vector<std::string>;

} // namespace

TEST_CASE("s6-log input: lines end at a newline or a NUL, and are cut at the limit", "[s6log]")
{
    pipe_in p;
    s6log::input in;
    REQUIRE(in.init(48));
    p.send(std::string("one\ntwo") + '\0' + "three\n" + std::string(100, 'x') + "\npart");
    CHECK(in.fill(p.r) == s6log::input::got::data);
    CHECK(take(in) == lines{"one", "two", "three", std::string(48, 'x'), std::string(48, 'x'),
                            "xxxx"});
    CHECK(in.pending()); // "part" waits for the rest of its line
    CHECK_FALSE(in.lines_pending());
    CHECK(in.fill(p.r) == s6log::input::got::again);
    p.send("ial\n");
    CHECK(in.fill(p.r) == s6log::input::got::data);
    CHECK(take(in) == lines{"partial"});
    CHECK_FALSE(in.pending());
}

TEST_CASE("s6-log input: at the end of the input, the partial line is the last", "[s6log]")
{
    pipe_in p;
    s6log::input in;
    REQUIRE(in.init(8192));
    p.send("full\nno newline");
    p.end();
    CHECK(in.fill(p.r) == s6log::input::got::data);
    CHECK(in.fill(p.r) == s6log::input::got::eof);
    CHECK(in.ended());
    CHECK_FALSE(in.can_fill());
    CHECK(take(in) == lines{"full", "no newline"});
    CHECK_FALSE(in.pending());
}

TEST_CASE("s6-log input: a buffer full of waiting lines takes no more", "[s6log]")
{
    pipe_in p;
    s6log::input in;
    REQUIRE(in.init(100));
    std::size_t cap = s6log::input_capacity(100);
    std::string line(99, 'y');
    line += '\n';
    std::string all;
    while (all.size() < 2 * cap)
        all += line;
    std::size_t sent = 0;
    // Nothing is popped: the lines wait, as they do when the outputs are full.
    for (int i = 0; i < 1000 && in.can_fill(); i++) {
        if (sent < all.size()) {
            ssize_t w = write(p.w, all.data() + sent, std::min<std::size_t>(65536, all.size() - sent));
            if (w > 0) sent += static_cast<std::size_t>(w);
        }
        in.fill(p.r);
    }
    CHECK_FALSE(in.can_fill());
    CHECK(in.lines_pending());
    // The buffer holds cap - 1 bytes, one spare: once its lines have run, reading goes on.
    CHECK(take(in).size() == (cap - 1) / 100);
    CHECK(in.can_fill());
}

TEST_CASE("s6-log input: after SIGTERM, the line in progress is read a byte at a time",
          "[s6log]")
{
    pipe_in p;
    s6log::input in;
    REQUIRE(in.init(48));
    p.send("first\nabc");
    CHECK(in.fill(p.r) == s6log::input::got::data);
    CHECK(take(in) == lines{"first"});

    SECTION("up to its newline; what follows stays in the pipe")
    {
        CHECK(in.fill_last(p.r) == s6log::input::got::again);
        p.send("def\nghi\n");
        CHECK(in.fill_last(p.r) == s6log::input::got::data);
        CHECK(in.ended());
        CHECK(take(in) == lines{"abcdef"});
        char rest[16];
        CHECK(read(p.r, rest, sizeof rest) == 4); // "ghi\n" is left for the next reader
    }
    SECTION("or its end, which gives it a newline")
    {
        p.send("def");
        p.end();
        CHECK(in.fill_last(p.r) == s6log::input::got::eof);
        CHECK(take(in) == lines{"abcdef"});
    }
    SECTION("or one byte past the limit: the line is kept whole, with a warning")
    {
        p.send(std::string(60, 'z') + "\n");
        int saved = dup(2), null = open("/dev/null", O_WRONLY | O_CLOEXEC);
        dup2(null, 2); // the warning: "input line too long, stopping before the end"
        auto r = in.fill_last(p.r);
        dup2(saved, 2);
        close(saved);
        close(null);
        CHECK(r == s6log::input::got::data);
        CHECK(take(in) == lines{"abc" + std::string(46, 'z')}); // 49 bytes: limit + 1
    }
}

TEST_CASE("s6-log input: with -l 0 the buffer grows for a long line", "[s6log]")
{
    pipe_in p;
    s6log::input in;
    REQUIRE(in.init(0));
    std::size_t cap = s6log::input_capacity(0);
    std::string big(cap * 2, 'q');
    std::size_t sent = 0;
    for (int i = 0; i < 1000 && sent < big.size(); i++) {
        ssize_t w = write(p.w, big.data() + sent, std::min<std::size_t>(65536, big.size() - sent));
        if (w > 0) sent += static_cast<std::size_t>(w);
        CHECK(in.can_fill());
        in.fill(p.r);
    }
    p.send("\n");
    while (in.fill(p.r) == s6log::input::got::data) {
    }
    CHECK(take(in) == lines{big});
}
