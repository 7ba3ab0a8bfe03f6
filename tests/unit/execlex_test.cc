// execline's lexer (libsupervise/execlex.cc): the argv execlineb would exec for a script.
// tests/integration/rcsource_test.cc runs the same texts through the real execlineb.
#include <catch2/catch.hpp>

#include <supervise/execlex.hh>

using sv::lex_status;
using v = std::vector<std::string>;

namespace {
v lex(std::string_view t, lex_status want = lex_status::ok)
{
    v out;
    CHECK(sv::execline_lex(t, out) == want);
    return out;
}
} // namespace

TEST_CASE("execlex: words, blanks, comments", "[execlex]")
{
    CHECK(lex("") == v{});
    CHECK(lex("  \n\t ") == v{});
    CHECK(lex("echo hello world\n") == v{"echo", "hello", "world"});
    CHECK(lex("echo a#b # comment\nc") == v{"echo", "a#b", "c"});
    CHECK(lex("# only a comment") == v{});
    CHECK(lex("a\x01" "b") == v{"a", "b"});
    CHECK(lex(std::string_view("a\0b", 3)) == v{"a"}); // a NUL ends the script
    CHECK(lex("/etc/s6-overlay/scripts/init-db") == v{"/etc/s6-overlay/scripts/init-db"});
}

TEST_CASE("execlex: quotes and backslashes", "[execlex]")
{
    CHECK(lex(R"(sh -c "echo 'a b'; exit 3")") == v{"sh", "-c", "echo 'a b'; exit 3"});
    CHECK(lex(R"(a"b c"d)") == v{"ab cd"});
    CHECK(lex(R"("")") == v{""});
    CHECK(lex(R"("\a\b\f\n\r\t\v")") == v{"\a\b\f\n\r\t\v"});
    CHECK(lex(R"("\"\\\q\x")") == v{"\"\\qx"});
    CHECK(lex("\"a\\\nb\"") == v{"ab"});   // backslash-newline in quotes: nothing
    CHECK(lex("\"a\nb\"") == v{"a\nb"});   // a newline in quotes is kept
    CHECK(lex(R"(a\ b \"c)") == v{"a b", "\"c"});
    CHECK(lex("a \\\nb") == v{"a", "b"});  // continuation where a word starts
    CHECK(lex("a\\\nb") == v{"a\nb"});     // inside a word: the newline itself
    CHECK(lex(R"("\65\066\0101\0x41\0x4a")") == v{"A6AAJ"});
    CHECK(lex(R"("\1234")") == v{"{4"});  // three decimal digits at most
    CHECK(lex(R"("\0x414")") == v{"A4"}); // two hex digits at most
}

TEST_CASE("execlex: blocks", "[execlex]")
{
    CHECK(lex("foreground { echo a } echo b") ==
          v{"foreground", " echo", " a", "", "echo", "b"});
    CHECK(lex("if { if { true } } x") == v{"if", " if", "  true", " ", "", "x"});
    CHECK(lex("a {b c} d") == v{"a", "{b", "c}", "d"});
    CHECK(lex("x {\n y\n}\n") == v{"x", " y", ""});
    CHECK(lex("x { \"{\" }") == v{"x", " {", ""});
}

TEST_CASE("execlex: errors", "[execlex]")
{
    v out;
    CHECK(sv::execline_lex("\"abc", out) == lex_status::syntax_error);
    CHECK(sv::execline_lex("abc\\", out) == lex_status::syntax_error);
    CHECK(sv::execline_lex("x {", out) == lex_status::syntax_error);
    CHECK(sv::execline_lex("x { y", out) == lex_status::unmatched_open);
    CHECK(sv::execline_lex("x }", out) == lex_status::unmatched_close);
    CHECK(sv::execline_lex("\"\\08\"", out) == lex_status::syntax_error);
    CHECK(sv::execline_lex("\"\\0\"", out) == lex_status::syntax_error);
    CHECK(sv::execline_lex("\"\\256\"", out) == lex_status::syntax_error);
    CHECK(sv::execline_lex("\"\\0x\"", out) == lex_status::syntax_error);
}
