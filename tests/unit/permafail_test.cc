// s6-permafailon's decision (libsupervise/permafail.cc): the status list parser, with stock
// 2.11.3.2's verdict for each odd input (checked by running the stock binary, and again
// differentially in tests/integration/svextras_test.cc), and the count over the death tally.
#include <catch2/catch.hpp>

#include <csignal>
#include <string>
#include <vector>

#include <supervise/permafail.hh>

namespace {

using err = sv::status_list_error;

err scan(std::string const &s)
{
    sv::status_list l;
    return sv::status_list_scan(s, l);
}

sv::death_record death(std::uint64_t sec, int code, int sig = 0)
{
    sv::death_record r;
    r.stamp = {sv::tai64_base + sec, 0};
    r.exitcode = static_cast<std::uint8_t>(sig ? 128 + sig : code);
    r.sig = static_cast<std::uint8_t>(sig);
    return r;
}

} // namespace

TEST_CASE("status_list_scan: codes, ranges and signals", "[permafail]")
{
    sv::status_list l;
    REQUIRE(sv::status_list_scan("1,3-5;TERM sigkill\tSIG10\n0255,SIGIOT", l) == err::none);
    CHECK(l.codes.count() == 5);
    for (int c : {1, 3, 4, 5, 255})
        CHECK(l.codes.test(c));
    CHECK(!l.codes.test(2));
    CHECK(!l.codes.test(6));
    for (int s : {SIGTERM, SIGKILL, 10, SIGABRT})
        CHECK(sigismember(&l.sigs, s) == 1);
    CHECK(sigismember(&l.sigs, SIGHUP) == 0);

    SECTION("a full range and trailing separators")
    {
        REQUIRE(sv::status_list_scan("0-255,,; ", l) == err::none);
        CHECK(l.codes.all());
    }
    SECTION("the empty list is valid and matches nothing")
    {
        REQUIRE(sv::status_list_scan("", l) == err::none);
        CHECK(l.codes.none());
        CHECK(!sv::status_list_matches(l, death(0, 1)));
    }
    SECTION("a new scan replaces the old list")
    {
        REQUIRE(sv::status_list_scan("7", l) == err::none);
        CHECK(l.codes.count() == 1);
        CHECK(sigismember(&l.sigs, SIGTERM) == 0);
    }
}

TEST_CASE("status_list_scan: the errors stock tells apart", "[permafail]")
{
    struct
    {
        char const *list;
        err want;
    } const cases[] = {
        {"256", err::bad_code},
        {"4294967296", err::bad_code},
        {"1-256", err::bad_code},
        {"1,256", err::bad_code},
        {"1-", err::bad_interval_spec},
        {"1-x", err::bad_interval_spec},
        {"1--2", err::bad_interval_spec},
        {"3-1", err::bad_interval},
        {"x", err::bad_spec},
        {",", err::bad_spec},
        {" 1", err::bad_spec},
        {"1x", err::bad_spec},
        {"-1", err::bad_spec},
        {"1-2-3", err::bad_spec},
        {"TERMx", err::bad_spec},
        {"SIG15x", err::bad_spec},
        {"SIGRTMIN", err::bad_spec},
        {"SIG", err::bad_spec},
        {"SIG4294967296", err::bad_spec},
        {"SIG0", err::bad_signal},
        {"SIG32", err::bad_signal},
        {"SIG33", err::bad_signal},
        {"SIG65", err::bad_signal},
        {"SIG4294967295", err::bad_signal},
        {"SIG64", err::none},
        {"SIG34", err::none},
        {"Sig15", err::none},
        {"CLD", err::none},
    };
    for (auto const &c : cases) {
        INFO('"' << c.list << '"');
        CHECK(scan(c.list) == c.want);
    }
    CHECK(sv::status_list_message(err::bad_code) == "invalid exit code");
    CHECK(sv::status_list_message(err::bad_interval_spec) == "invalid interval specification");
    CHECK(sv::status_list_message(err::bad_interval) == "invalid interval");
    CHECK(sv::status_list_message(err::bad_spec) == "invalid status list specification");
    CHECK(sv::status_list_message(err::bad_signal) == "invalid signal");
    CHECK(sv::status_list_message(err::none).empty());
}

TEST_CASE("status_list_matches: a signal death matches by signal or by 128+signal", "[permafail]")
{
    sv::status_list l;
    REQUIRE(sv::status_list_scan("TERM,2", l) == err::none);
    CHECK(sv::status_list_matches(l, death(0, 0, SIGTERM)));
    CHECK(sv::status_list_matches(l, death(0, 2)));
    CHECK(!sv::status_list_matches(l, death(0, 0, SIGKILL)));
    CHECK(!sv::status_list_matches(l, death(0, 15))); // exit code 15 is not signal 15
    REQUIRE(sv::status_list_scan("137", l) == err::none);
    CHECK(sv::status_list_matches(l, death(0, 0, SIGKILL)));
}

TEST_CASE("permafail_find counts matching deaths inside the window", "[permafail]")
{
    sv::status_list l;
    REQUIRE(sv::status_list_scan("1-255", l) == err::none);
    std::vector<sv::death_record> const d = {death(100, 1), death(195, 0), death(196, 3),
                                             death(198, 0, SIGTERM), death(199, 4)};
    sv::tain const since{sv::tai64_base + 196, 0};
    // 196 (on the edge: counts), 198 and 199 match; 100 is too old, 195 exited 0.
    CHECK(sv::permafail_find(d, l, since, 1) == 2);
    CHECK(sv::permafail_find(d, l, since, 2) == 3);
    CHECK(sv::permafail_find(d, l, since, 3) == 4);
    CHECK(sv::permafail_find(d, l, since, 4) == -1);
    CHECK(sv::permafail_find(d, l, {sv::tai64_base + 196, 1}, 3) == -1); // 196.0 is now out
    CHECK(sv::permafail_find({}, l, since, 1) == -1);
    CHECK(sv::permafail_find(d, l, {sv::tai64_base, 0}, 4) == 4);
}
