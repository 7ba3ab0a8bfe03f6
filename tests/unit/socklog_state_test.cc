// s6-socklog's decisions (tools/s6-socklog/state.cc): when to read and write, the lame-duck
// deadline, draining after SIGTERM, cut datagrams, and a full output buffer.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "../../tools/s6-socklog/state.hh"

namespace {
struct fixture
{
    std::vector<char> line, out;
    socklog::state s;
    explicit fixture(std::size_t linelen = 1024, std::size_t outsz = 0)
    {
        s.linelen = linelen;
        line.resize(linelen + 1);
        out.resize(outsz ? outsz : socklog::out_size(linelen));
        s.line = {line.data(), line.size()};
        s.out = {out.data(), out.size()};
    }
    void datagram(std::string_view d, std::string_view from = "")
    {
        std::memcpy(line.data(), d.data(), d.size());
        socklog::on_datagram(s, line.data(), d.size(), from);
    }
    std::string pending() const { return {out.data(), s.len}; }
};
} // namespace

TEST_CASE("s6-socklog: the output buffer is four lines and at least 64 KiB", "[syslog]")
{
    CHECK(socklog::out_size(1024) == 65536);
    CHECK(socklog::out_size(1048576) == 4 * 1048576);
}

TEST_CASE("s6-socklog: reads are batched within the output buffer's room", "[syslog]")
{
    CHECK(socklog::batch_size(1024) == 32);
    CHECK(socklog::batch_size(76) == 32);
    CHECK(socklog::batch_size(65536) == 3);
    CHECK(socklog::batch_size(1048576) == 1);
    fixture f(1024, 0);
    f.s.batch = 32;
    CHECK(socklog::read_count(f.s) == 32);
    f.s.len = f.s.out.size() - 3 * socklog::line_room(f.s);
    CHECK(socklog::read_count(f.s) == 3);
    f.s.len = f.s.out.size() - socklog::line_room(f.s) + 1;
    CHECK(socklog::read_count(f.s) == 0);
    f.s.len = 0;
    socklog::on_term(f.s, 0);
    f.s.drain = 5;
    CHECK(socklog::read_count(f.s) == 5);
    f.s.drain = 0;
    CHECK(socklog::read_count(f.s) == 0);
}

TEST_CASE("s6-socklog: stdout is written first once a whole batch no longer fits", "[syslog]")
{
    fixture f(1024, 0);
    f.s.batch = 32;
    CHECK(!socklog::flush_first(f.s)); // nothing to write
    f.s.len = f.s.out.size() - 32 * socklog::line_room(f.s);
    CHECK(!socklog::flush_first(f.s)); // a whole batch still fits
    ++f.s.len;
    CHECK(socklog::flush_first(f.s));
    CHECK(socklog::read_count(f.s) == 31); // without a write, the next read takes fewer
}

TEST_CASE("s6-socklog: datagrams become lines, in order, until written", "[syslog]")
{
    fixture f;
    CHECK(socklog::read_count(f.s) > 0);
    CHECK(!socklog::want_write(f.s));
    f.datagram("<13>one\n");
    f.datagram("two");
    f.datagram("<4>x", "10.0.0.1_514: ");
    CHECK(f.pending() == "user.notice: one\ntwo\n10.0.0.1_514: kern.warn: x\n");
    CHECK(socklog::want_write(f.s));
    socklog::on_written(f.s, 5);
    CHECK(f.pending() == "notice: one\ntwo\n10.0.0.1_514: kern.warn: x\n");
    socklog::on_written(f.s, f.s.len);
    CHECK(!socklog::want_write(f.s));
}

TEST_CASE("s6-socklog: a datagram that fills the buffer is marked cut", "[syslog]")
{
    fixture f(76);
    std::string const full(77, 'a');
    f.datagram(full);
    CHECK(f.pending() == full + "...\n");
    socklog::on_written(f.s, f.s.len);
    f.datagram(std::string(76, 'b'));
    CHECK(f.pending() == std::string(76, 'b') + "\n");
}

TEST_CASE("s6-socklog: reading stops while the buffer lacks room for a line", "[syslog]")
{
    fixture f(100, 400);
    while (socklog::read_count(f.s) > 0)
        f.datagram(std::string(101, 'x'));
    CHECK(f.s.out.size() - f.s.len < socklog::line_room(f.s));
    CHECK(f.s.len <= f.s.out.size());
    socklog::on_written(f.s, f.s.len);
    CHECK(socklog::read_count(f.s) > 0);
}

TEST_CASE("s6-socklog: SIGTERM drains the queue, flushes, then finishes", "[syslog]")
{
    fixture f;
    f.s.lameduck_ms = 500;
    f.datagram("before");
    socklog::on_term(f.s, 1000);
    CHECK(f.s.deadline == 1500);
    CHECK(socklog::read_count(f.s) > 0); // what is already queued is still read
    f.datagram("queued");
    CHECK(f.s.drain == socklog::drain_max - 1);
    socklog::on_term(f.s, 1400); // a second TERM changes nothing
    CHECK(f.s.deadline == 1500);
    socklog::on_empty(f.s);
    CHECK(!socklog::read_count(f.s) > 0);
    CHECK(!socklog::finished(f.s));
    CHECK(socklog::poll_timeout(f.s, 1200) == 300);
    CHECK(socklog::poll_timeout(f.s, 1600) == 0);
    socklog::on_written(f.s, f.s.len);
    CHECK(socklog::finished(f.s));
}

TEST_CASE("s6-socklog: draining after SIGTERM is bounded", "[syslog]")
{
    fixture f;
    socklog::on_term(f.s, 0);
    CHECK(f.s.deadline == -1);
    CHECK(socklog::poll_timeout(f.s, 0) == -1);
    for (unsigned i = 0; i < socklog::drain_max; ++i) {
        REQUIRE(f.s.drain > 0);
        f.datagram("m");
        socklog::on_written(f.s, f.s.len);
    }
    CHECK(!socklog::read_count(f.s) > 0);
    CHECK(socklog::finished(f.s));
}

TEST_CASE("s6-socklog: an empty socket while running changes nothing", "[syslog]")
{
    fixture f;
    socklog::on_empty(f.s);
    CHECK(f.s.cont);
    CHECK(socklog::read_count(f.s) > 0);
    CHECK(!socklog::finished(f.s));
    CHECK(socklog::poll_timeout(f.s, 0) == -1);
}
