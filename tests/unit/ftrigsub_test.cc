// One ftrigr subscription (libsupervise/ftrigsub.cc): the regex rules of stock s6-ftrigrd
// (REG_NOTBOL | REG_NOTEOL, events accumulated across reads, the last byte of the match
// reported, "" taken as ".*", an empty match reporting byte 0, a NUL ending all matching,
// repeat mode), the FIFO it keeps in an existing fifodir, and ftrig_wait's -a / -o / deadline.
// The expectations marked "stock" were checked against /usr/bin/s6-ftrig-wait.
#include <catch2/catch.hpp>

#include <cerrno>
#include <dirent.h>
#include <string>
#include <vector>
#include <sys/stat.h>
#include <unistd.h>

#include <supervise/fifodir.hh>
#include <supervise/ftrigr.hh>
#include <supervise/ftrigsub.hh>
#include <supervise/tai64n.hh>

#include "harness.hh"

using namespace std::string_literals;

namespace {

// The path of the one listener FIFO in fifodir, "" if there is none.
std::string the_listener(std::string const &fifodir)
{
    std::string found;
    DIR *d = ::opendir(fifodir.c_str());
    REQUIRE(d);
    while (dirent *e = ::readdir(d))
        if (sv::is_listener_name(e->d_name)) found = fifodir + "/" + e->d_name;
    ::closedir(d);
    return found;
}

void collect(void *ctx, char c) noexcept { static_cast<std::string *>(ctx)->push_back(c); }

// Feeds each chunk in turn; returns the bytes reported, and sets ended if it ended.
std::string run(char const *re, bool repeat, std::vector<std::string> const &chunks,
                bool *ended = nullptr)
{
    sv::ftrig_matcher m;
    REQUIRE(m.compile(re, repeat) == 0);
    std::string got;
    if (ended) *ended = false;
    for (auto const &c : chunks) {
        int r = m.feed(c, collect, &got);
        REQUIRE(r >= 0);
        if (r == 0) {
            if (ended) *ended = true;
            break;
        }
    }
    return got;
}

} // namespace

TEST_CASE("ftrig_matcher: the last byte of the first match", "[ftrigsub]")
{
    bool ended;
    CHECK(run("a.*c", false, {"xabc"}, &ended) == "c");
    CHECK(ended);
    CHECK(run("[ab]", false, {"xaxbxa"}) == "a");
    CHECK(run("b+", false, {"abbbc"}) == "b");
    // Events accumulate across reads: the match may span them.
    CHECK(run("ab", false, {"a", "x", "a", "b"}) == "b");
    CHECK(run("zz", false, {"a", "z", "a"}, &ended).empty());
    CHECK_FALSE(ended);
}

TEST_CASE("ftrig_matcher: ^ and $ never match (REG_NOTBOL | REG_NOTEOL, stock)", "[ftrigsub]")
{
    CHECK(run("^a", false, {"a", "aa"}).empty());
    CHECK(run("a$", false, {"a", "ba"}).empty());
    CHECK(run("^", false, {"abc"}).empty());
}

TEST_CASE("ftrig_matcher: empty regex and empty matches (stock)", "[ftrigsub]")
{
    // skalibs_regcomp takes "" as ".*": the whole history, so its last byte.
    CHECK(run("", false, {"abc"}) == "c");
    // A regex that matches the empty string at the start reports byte 0.
    CHECK(run("x*", false, {"abc"}) == "\0"s);
    CHECK(run("b*", false, {"abc"}) == "\0"s);
    // In repeat mode an empty match is reported once per read, not forever.
    CHECK(run("x*", true, {"ab", "c"}) == "\0\0"s);
}

TEST_CASE("ftrig_matcher: a NUL byte ends all matching (C strings, as stock)", "[ftrigsub]")
{
    CHECK(run("a", false, {"\0a"s, "a"}).empty());
    CHECK(run("a", false, {"a\0"s}) == "a");
}

TEST_CASE("ftrig_matcher: repeat reports every match and drops what it consumed", "[ftrigsub]")
{
    bool ended;
    // s6-svwait's subscription.
    CHECK(run("[DuUdOx]", true, {"sudD", "x"}, &ended) == "udDx");
    CHECK_FALSE(ended);
    CHECK(run("ab", true, {"abab", "a", "b"}) == "bbb");
    // A match is only reported once.
    CHECK(run("a", true, {"a", "b", "b"}) == "a");
}

TEST_CASE("ftrig_matcher: bad expressions, and the history cap", "[ftrigsub]")
{
    sv::ftrig_matcher m;
    CHECK(m.compile("(", false) == EINVAL);
    CHECK(m.compile("a{1", false) == EINVAL);
    REQUIRE(m.compile("q", false) == 0);
    std::string got;
    std::string const block(1000, 'x');
    for (int i = 0; i < 100; i++) REQUIRE(m.feed(block, collect, &got) == 1);
    CHECK(m.history().size() == sv::ftrig_history_max);
    CHECK(m.feed("q", collect, &got) == 0);
    CHECK(got == "q");
}

TEST_CASE("ftrig_sub: subscribes in an existing fifodir only", "[ftrigsub]")
{
    h::tempdir t;
    sv::ftrig_sub s;
    CHECK(s.subscribe((t / "none").c_str(), "a", 0) == ENOENT);
    h::write_file(t / "file", "");
    CHECK(s.subscribe((t / "file").c_str(), "a", 0) == ENOTDIR);
    CHECK(s.subscribe(t.c_str(), "(", 0) == EINVAL);
    CHECK_FALSE(s.active());
    CHECK_FALSE(h::exists(t / "none"));

    REQUIRE(s.subscribe(t.c_str(), "a", 0) == 0);
    REQUIRE(s.active());
    CHECK_FALSE(the_listener(t.path()).empty());
}

TEST_CASE("ftrig_sub: the FIFO, the events, and the end of a subscription", "[ftrigsub]")
{
    h::tempdir t;
    std::string const ev = t / "event";
    REQUIRE(sv::fifodir_make_group(ev.c_str(), static_cast<gid_t>(-1), false));
    sv::ftrig_sub s;
    REQUIRE(s.subscribe(ev.c_str(), "b.*d", 0) == 0);
    // The FIFO: a listener-shaped name, mode 0600 like stock's.
    std::string const fifo = the_listener(ev);
    REQUIRE_FALSE(fifo.empty());
    CHECK(h::mode_of(fifo) == (S_IFIFO | 0600));

    std::string got;
    CHECK(s.read(32, collect, &got) == sv::ftrig_sub::status::drained);
    REQUIRE(sv::fifodir_notify(ev.c_str(), "abc") == 1);
    CHECK(s.read(32, collect, &got) == sv::ftrig_sub::status::drained);
    CHECK(got.empty());
    REQUIRE(sv::fifodir_notify(ev.c_str(), "de") == 1);
    CHECK(s.read(32, collect, &got) == sv::ftrig_sub::status::ended);
    CHECK(got == "d");
    CHECK_FALSE(s.active());
    CHECK_FALSE(h::exists(fifo));

    SECTION("reads are 16 bytes at most, as stock's")
    {
        REQUIRE(s.subscribe(ev.c_str(), "x", sv::ftrigr_repeat) == 0);
        REQUIRE(sv::fifodir_notify(ev.c_str(), std::string(40, 'x')) == 1);
        got.clear();
        CHECK(s.read(2, collect, &got) == sv::ftrig_sub::status::more);
        CHECK(got == std::string(32, 'x'));
        CHECK(s.read(2, collect, &got) == sv::ftrig_sub::status::drained);
        CHECK(got == std::string(40, 'x'));
        s.unsubscribe();
        CHECK(the_listener(ev).empty());
    }
}

TEST_CASE("ftrig_wait: all, any, and the deadline", "[ftrigsub]")
{
    h::tempdir t;
    std::string const a = t / "a", b = t / "b";
    REQUIRE(sv::fifodir_make_group(a.c_str(), static_cast<gid_t>(-1), false));
    REQUIRE(sv::fifodir_make_group(b.c_str(), static_cast<gid_t>(-1), false));
    sv::ftrig_sub subs[2];
    REQUIRE(subs[0].subscribe(a.c_str(), "1", 0) == 0);
    REQUIRE(subs[1].subscribe(b.c_str(), "2", 0) == 0);

    std::int64_t const t0 = sv::mono_ms();
    auto r = sv::ftrig_wait(subs, false, t0 + 60);
    CHECK(r.what == sv::ftrig_wait_result::kind::timed_out);
    CHECK(errno == ETIMEDOUT);
    CHECK(sv::mono_ms() - t0 >= 55);

    REQUIRE(sv::fifodir_notify(b.c_str(), "x2") == 1);
    SECTION("any: one match is enough")
    {
        r = sv::ftrig_wait(subs, true, sv::mono_ms() + 5000);
        CHECK(r.what == sv::ftrig_wait_result::kind::matched);
        CHECK(r.last == '2');
        CHECK(subs[0].active());
        CHECK_FALSE(subs[1].active());
    }
    SECTION("all: every subscription must match")
    {
        r = sv::ftrig_wait(subs, false, sv::mono_ms() + 60);
        CHECK(r.what == sv::ftrig_wait_result::kind::timed_out);
        CHECK_FALSE(subs[1].active());
        REQUIRE(sv::fifodir_notify(a.c_str(), "1") == 1);
        r = sv::ftrig_wait(subs, false, sv::mono_ms() + 5000);
        CHECK(r.what == sv::ftrig_wait_result::kind::matched);
        CHECK(r.last == '1');
    }
}
