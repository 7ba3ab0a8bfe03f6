// The option parser (libsupervise/opts.cc), which must behave like skalibs' subgetopt: grouped
// flags, attached or detached arguments, "--", no permutation (stop at the first operand),
// '?' for an unknown option or a missing argument; and the strict decimal scanners.
#include <catch2/catch.hpp>

#include <initializer_list>
#include <string>
#include <vector>

#include <supervise/opts.hh>

namespace {

// One parse: the (letter, argument) pairs returned, in order, then the operands.
struct parsed {
    std::vector<std::string> opts; // "a", "T=5000", "?z"
    std::vector<std::string> operands;
};

parsed parse(std::initializer_list<char const *> words, char const *spec)
{
    std::vector<char const *> argv = {"prog"};
    argv.insert(argv.end(), words.begin(), words.end());
    int const argc = static_cast<int>(argv.size());
    argv.push_back(nullptr);
    sv::opt_parser p(argc, argv.data(), spec);
    parsed r;
    int guard = 0;
    while (int c = p.next()) {
        REQUIRE(++guard < 100);
        if (c == '?')
            r.opts.push_back(std::string("?") + p.bad());
        else if (p.arg())
            r.opts.push_back(std::string(1, static_cast<char>(c)) + "=" + p.arg());
        else
            r.opts.push_back(std::string(1, static_cast<char>(c)));
    }
    for (char const *o : p.operands()) r.operands.push_back(o);
    return r;
}

using strs = std::vector<std::string>;

} // namespace

TEST_CASE("opt_parser: no options at all", "[opts]")
{
    auto r = parse({}, "ab");
    CHECK(r.opts.empty());
    CHECK(r.operands.empty());

    r = parse({"svc"}, "ab");
    CHECK(r.opts.empty());
    CHECK(r.operands == strs{"svc"});
}

TEST_CASE("opt_parser: grouped and separate flags", "[opts]")
{
    CHECK(parse({"-abc", "dir"}, "abc").opts == strs{"a", "b", "c"});
    CHECK(parse({"-a", "-b", "-c", "dir"}, "abc").opts == strs{"a", "b", "c"});
    CHECK(parse({"-ab", "-a"}, "abc").opts == strs{"a", "b", "a"});
    auto r = parse({"-ca", "x", "y"}, "abc");
    CHECK(r.opts == strs{"c", "a"});
    CHECK(r.operands == strs{"x", "y"});
}

TEST_CASE("opt_parser: attached and detached arguments", "[opts]")
{
    SECTION("attached")
    {
        auto r = parse({"-T5000", "svc"}, "T:a");
        CHECK(r.opts == strs{"T=5000"});
        CHECK(r.operands == strs{"svc"});
    }
    SECTION("detached")
    {
        auto r = parse({"-T", "5000", "svc"}, "T:a");
        CHECK(r.opts == strs{"T=5000"});
        CHECK(r.operands == strs{"svc"});
    }
    SECTION("after grouped flags the rest of the word is the argument")
    {
        // "-uwU" is -u then -w with argument "U" (s6-svc -uwU).
        auto r = parse({"-uwU", "svc"}, "uw:");
        CHECK(r.opts == strs{"u", "w=U"});
        CHECK(r.operands == strs{"svc"});
        r = parse({"-aT5", "-a"}, "aT:");
        CHECK(r.opts == strs{"a", "T=5", "a"});
    }
    SECTION("a detached argument is taken whatever it looks like")
    {
        auto r = parse({"-T", "-a", "svc"}, "T:a");
        CHECK(r.opts == strs{"T=-a"});
        CHECK(r.operands == strs{"svc"});
        r = parse({"-T", "--", "svc"}, "T:a");
        CHECK(r.opts == strs{"T=--"});
        CHECK(r.operands == strs{"svc"});
    }
    SECTION("an empty detached argument")
    {
        auto r = parse({"-T", "", "svc"}, "T:");
        CHECK(r.opts == strs{"T="});
        CHECK(r.operands == strs{"svc"});
    }
    SECTION("several options with arguments")
    {
        auto r = parse({"-t", "100", "-T200", "-a", "x"}, "t:T:a");
        CHECK(r.opts == strs{"t=100", "T=200", "a"});
        CHECK(r.operands == strs{"x"});
    }
}

TEST_CASE("opt_parser: -- ends the options", "[opts]")
{
    auto r = parse({"-a", "--", "-b", "svc"}, "ab");
    CHECK(r.opts == strs{"a"});
    CHECK(r.operands == strs{"-b", "svc"});

    r = parse({"--"}, "ab");
    CHECK(r.opts.empty());
    CHECK(r.operands.empty());

    r = parse({"--", "--"}, "ab");
    CHECK(r.operands == strs{"--"});
}

TEST_CASE("opt_parser: parsing stops at the first operand", "[opts]")
{
    auto r = parse({"-a", "svc", "-b"}, "ab");
    CHECK(r.opts == strs{"a"});
    CHECK(r.operands == strs{"svc", "-b"});

    SECTION("a lone - is an operand")
    {
        r = parse({"-", "-a"}, "ab");
        CHECK(r.opts.empty());
        CHECK(r.operands == strs{"-", "-a"});
    }
    SECTION("once done, next() keeps returning 0")
    {
        char const *argv[] = {"prog", "-a", "x", nullptr};
        sv::opt_parser p(3, argv, "a");
        CHECK(p.next() == 'a');
        CHECK(p.next() == 0);
        CHECK(p.next() == 0);
        REQUIRE(p.operands().size() == 1);
        CHECK(std::string(p.operands()[0]) == "x");
    }
}

TEST_CASE("opt_parser: unknown options", "[opts]")
{
    auto r = parse({"-z", "svc"}, "ab");
    CHECK(r.opts == strs{"?z"});
    CHECK(r.operands == strs{"svc"});

    SECTION("inside a group, parsing goes on with the next letter")
    {
        r = parse({"-azb", "svc"}, "ab");
        CHECK(r.opts == strs{"a", "?z", "b"});
        CHECK(r.operands == strs{"svc"});
    }
    SECTION("':' is never an option letter")
    {
        r = parse({"-:", "svc"}, "a:");
        CHECK(r.opts == strs{"?:"});
        CHECK(r.operands == strs{"svc"});
    }
    SECTION("--word is not an end marker: it is refused with '-' as the bad letter")
    {
        // Every s6 tool stops at the first '?', so only that first answer matters (skalibs
        // 2.13 goes on to report the '-' a second time; we report it once).
        char const *argv[] = {"prog", "--help", "svc", nullptr};
        sv::opt_parser p(3, argv, "h");
        CHECK(p.next() == '?');
        CHECK(p.bad() == '-');
    }
}

TEST_CASE("opt_parser: a missing argument", "[opts]")
{
    auto r = parse({"-T"}, "T:a");
    CHECK(r.opts == strs{"?T"});
    CHECK(r.operands.empty());

    r = parse({"-aT"}, "T:a");
    CHECK(r.opts == strs{"a", "?T"});
    CHECK(r.operands.empty());

    SECTION("arg() is null for flags")
    {
        char const *argv[] = {"prog", "-a", "-T", "1", nullptr};
        sv::opt_parser p(4, argv, "aT:");
        CHECK(p.next() == 'a');
        CHECK(p.arg() == nullptr);
        CHECK(p.next() == 'T');
        REQUIRE(p.arg() != nullptr);
        CHECK(std::string(p.arg()) == "1");
        CHECK(p.next() == 0);
        CHECK(p.operands().empty());
    }
}

TEST_CASE("scan_uint and scan_uint64 accept only a whole decimal number", "[opts]")
{
    unsigned u = 7;
    CHECK(sv::scan_uint("0", u));
    CHECK(u == 0);
    CHECK(sv::scan_uint("5000", u));
    CHECK(u == 5000);
    CHECK(sv::scan_uint("007", u));
    CHECK(u == 7);
    CHECK(sv::scan_uint("4294967295", u));
    CHECK(u == 4294967295u);
    u = 9;
    for (char const *bad : {"", " 1", "1 ", "+1", "-1", "0x10", "1.5", "12a", "4294967296",
                            "99999999999999999999"}) {
        INFO(bad);
        CHECK_FALSE(sv::scan_uint(bad, u));
    }

    unsigned long long v = 0;
    CHECK(sv::scan_uint64("18446744073709551615", v));
    CHECK(v == 18446744073709551615ull);
    CHECK(sv::scan_uint64("4294967296", v));
    CHECK(v == 4294967296ull);
    for (char const *bad : {"", " 1", "1\n", "-0", "18446744073709551616"}) {
        INFO(bad);
        CHECK_FALSE(sv::scan_uint64(bad, v));
    }
}
