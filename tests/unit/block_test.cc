// Execline blocks on the command line (libsupervise/block.cc), as s6-svlisten reads its
// servicedir block: the quoting space goes, the first empty word ends the block, unquoted
// words are judged by EXECLINE_STRICT.  The messages themselves are checked against stock
// s6-svlisten in tests/integration/svextras_test.cc.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>
#include <vector>

#include <supervise/block.hh>

namespace {

// argv for block_scan: the words, then a NULL.
struct words
{
    std::vector<std::string> store;
    std::vector<char const *> argv;
    explicit words(std::vector<std::string> w) : store(std::move(w))
    {
        for (auto const &s : store)
            argv.push_back(s.c_str());
        argv.push_back(nullptr);
    }
};

// Sets EXECLINE_STRICT (or unsets it) for one scope.
struct strict_env
{
    explicit strict_env(char const *v)
    {
        if (v)
            setenv("EXECLINE_STRICT", v, 1);
        else
            unsetenv("EXECLINE_STRICT");
    }
    ~strict_env() { unsetenv("EXECLINE_STRICT"); }
};

} // namespace

TEST_CASE("block_scan: quoted words lose their space, the empty word ends the block", "[block]")
{
    words w({" a", " b c", "", "prog", "arg"});
    REQUIRE(sv::block_scan(w.argv.data(), 1, 0) == 2);
    CHECK(std::string(w.argv[0]) == "a");
    CHECK(std::string(w.argv[1]) == "b c");
    CHECK(std::string(w.argv[3]) == "prog"); // words after the block are left alone
}

TEST_CASE("block_scan: unquoted words are taken as they are", "[block]")
{
    words w({"a", "  two spaces", "", "prog"});
    REQUIRE(sv::block_scan(w.argv.data(), 1, 0) == 2);
    CHECK(std::string(w.argv[0]) == "a");
    CHECK(std::string(w.argv[1]) == " two spaces"); // only one space is the quote
}

TEST_CASE("block_scan: empty block and unterminated block", "[block]")
{
    words empty({"", "prog"});
    CHECK(sv::block_scan(empty.argv.data(), 1, 0) == 0);
    words open({" a", " b"});
    CHECK(sv::block_scan(open.argv.data(), 1, 0) == -1);
    words none({});
    CHECK(sv::block_scan(none.argv.data(), 1, 0) == -1);
}

TEST_CASE("block_scan: strictness 1 warns and goes on", "[block]")
{
    // The warning goes to stderr; here only the outcome is checked.
    words w({"a", " b", "c", "", "prog"});
    CHECK(sv::block_scan(w.argv.data(), 1, 1) == 3);
    CHECK(std::string(w.argv[1]) == "b");
}

TEST_CASE("block_strictness reads the leading digits of EXECLINE_STRICT", "[block]")
{
    struct
    {
        char const *value;
        unsigned want;
    } const cases[] = {
        {nullptr, 0}, {"", 0},   {"0", 0},  {"1", 1},   {"2", 2},
        {"02", 2},    {"2x", 2}, {" 2", 0}, {"abc", 0}, {"99999999999999", 100001},
    };
    for (auto const &c : cases) {
        INFO((c.value ? c.value : "(unset)"));
        strict_env e(c.value);
        if (c.want > 100000)
            CHECK(sv::block_strictness() >= 2); // huge values only need to stay strict
        else
            CHECK(sv::block_strictness() == c.want);
    }
}
