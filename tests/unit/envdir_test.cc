// Environment directories (libsupervise/envdir.cc), read as s6-envdir 2.11.3.2 reads them.
// Every expectation here was first observed on the stock binary with the same file contents.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <string>
#include <sys/stat.h>
#include <vector>

#include <supervise/envdir.hh>

#include "harness.hh"

using namespace std::string_literals;
namespace f = sv::envdir_flag;

namespace {

// The value for content under flags, or "<unset>".
std::string val(std::string const &content, unsigned flags = 0, char nullis = '\n')
{
    std::string out;
    if (!sv::envdir_value(content, flags, nullis, out)) return "<unset>";
    return out;
}

} // namespace

TEST_CASE("envdir: default mode takes the first line, trailing blanks trimmed", "[envdir]")
{
    CHECK(val("abc") == "abc");
    CHECK(val("abc  \t\r\n2nd\n") == "abc");
    CHECK(val("tr  ") == "tr");
    CHECK(val(" lead\ttab ") == " lead\ttab"); // leading blanks are kept
    CHECK(val("x\n\n") == "x");
    CHECK(val("multi\nline\n") == "multi");
}

TEST_CASE("envdir: empty file unsets, a lone newline sets the empty string", "[envdir]")
{
    for (unsigned fl : {0u, f::nochomp, f::verbatim, f::verbatim | f::nochomp, f::noclamp,
                        f::noclamp | f::verbatim, f::noclamp | f::nochomp}) {
        CAPTURE(fl);
        CHECK(val("", fl) == "<unset>");
    }
    CHECK(val("\n") == "");
    CHECK(val("\r\n") == "");
    CHECK(val("\n", f::verbatim) == "");
    CHECK(val("\n", f::noclamp | f::verbatim) == "");
    CHECK(val("\n", f::verbatim | f::nochomp) == "\n");
}

TEST_CASE("envdir: -n keeps blanks, -f takes the whole file minus one newline", "[envdir]")
{
    CHECK(val("abc  \t\r\n2nd\n", f::nochomp) == "abc  \t\r");
    CHECK(val("abc  \t\r\n2nd\n", f::verbatim) == "abc  \t\r\n2nd");
    CHECK(val("abc  \t\r\n2nd\n", f::verbatim | f::nochomp) == "abc  \t\r\n2nd\n");
    CHECK(val("x\n\n", f::verbatim) == "x\n"); // exactly one newline removed
    CHECK(val("tr  ", f::verbatim) == "tr  "); // -f does not trim blanks
}

TEST_CASE("envdir: NUL bytes become newlines or the -c character", "[envdir]")
{
    std::string const c = "a\0b\nc"s;
    CHECK(val(c) == "a\nb"); // cut at the real newline first, then NUL replaced
    CHECK(val(c, f::verbatim) == "a\nb\nc");
    CHECK(val(c, 0, 'Z') == "aZb");
    CHECK(val(c, f::noclamp | f::verbatim) == "a\nb\nc");
    CHECK(val("\0"s) == "\n");
}

TEST_CASE("envdir: without -L at most 4095 bytes are used", "[envdir]")
{
    std::string big(5000, 'a');
    CHECK(val(big).size() == 4095);
    CHECK(val(big, f::verbatim).size() == 4095);
    CHECK(val(big, f::noclamp | f::verbatim).size() == 5000);
    // 4095 bytes and then a newline: the newline is past the clamp, nothing is cut.
    CHECK(val(std::string(4095, 'b') + "\n", f::verbatim).size() == 4095);
    CHECK(val(std::string(4094, 'b') + "\n", f::verbatim).size() == 4094);
}

TEST_CASE("envdir: the -L first-line quirk of stock s6-envdir", "[envdir]")
{
    // skalibs' line reader hits EOF mid-line and the chomping branch drops the line.
    CHECK(val("abc", f::noclamp) == "");
    CHECK(val("tr  ", f::noclamp) == "");
    CHECK(val("abc", f::noclamp | f::nochomp) == "abc");
    CHECK(val("abc  \t\r\n2nd\n", f::noclamp) == "abc");
    CHECK(val("abc  \t\r\n2nd\n", f::noclamp | f::nochomp) == "abc  \t\r");
}

TEST_CASE("envdir: names starting with a dot or holding '=' are skipped", "[envdir]")
{
    CHECK(sv::envdir_name_ok("PATH"));
    CHECK_FALSE(sv::envdir_name_ok(".hidden"));
    CHECK_FALSE(sv::envdir_name_ok("a=b"));
    CHECK_FALSE(sv::envdir_name_ok(""));

    h::tempdir t;
    h::write_file(t / "A", "one\n");
    h::write_file(t / "EMPTY", "");
    h::write_file(t / ".hid", "x");
    h::write_file(t / "x=y", "x");
    std::vector<sv::env_change> ch;
    REQUIRE(sv::envdir_read(t.c_str(), 0, '\n', ch));
    std::sort(ch.begin(), ch.end(), [](auto &a, auto &b) { return a.name < b.name; });
    REQUIRE(ch.size() == 2);
    CHECK(ch[0].name == "A");
    CHECK(ch[0].value == "one");
    CHECK_FALSE(ch[0].unset);
    CHECK(ch[1].name == "EMPTY");
    CHECK(ch[1].unset);
}

TEST_CASE("envdir: errors", "[envdir]")
{
    h::tempdir t;
    std::vector<sv::env_change> ch;
    std::string const missing = t / "missing";
    CHECK_FALSE(sv::envdir_read(missing.c_str(), 0, '\n', ch));
    CHECK(errno == ENOENT);
    CHECK_FALSE(sv::envdir_read(t.c_str(), 0, 0, ch)); // -c ""
    CHECK(errno == EINVAL);
    h::write_file(t / "OK", "v");
    REQUIRE(::mkdir((t / "SUB").c_str(), 0755) == 0);
    CHECK_FALSE(sv::envdir_read(t.c_str(), 0, '\n', ch));
    CHECK(errno == EISDIR);
    CHECK(ch.empty()); // nothing half-read is left behind
}

TEST_CASE("envdir: merging into an environment and applying", "[envdir]")
{
    ::setenv("S6PP_T_KEEP", "k", 1);
    ::setenv("S6PP_T_GONE", "g", 1);
    ::setenv("S6PP_T_CHANGED", "old", 1);
    std::vector<sv::env_change> ch = {
        {"S6PP_T_GONE", "", true},
        {"S6PP_T_CHANGED", "new\nline", false},
        {"S6PP_T_NEW", "with spaces", false},
    };
    auto env = sv::env_merged(ch);
    auto has = [&](std::string const &e) {
        return std::find(env.begin(), env.end(), e) != env.end();
    };
    CHECK(has("S6PP_T_KEEP=k"));
    CHECK(has("S6PP_T_CHANGED=new\nline"));
    CHECK(has("S6PP_T_NEW=with spaces"));
    CHECK_FALSE(has("S6PP_T_CHANGED=old"));
    for (auto const &e : env)
        CHECK(e.rfind("S6PP_T_GONE=", 0) != 0);

    REQUIRE(sv::env_apply(ch));
    CHECK(std::getenv("S6PP_T_GONE") == nullptr);
    CHECK(std::string(std::getenv("S6PP_T_CHANGED")) == "new\nline");
    ::unsetenv("S6PP_T_KEEP");
    ::unsetenv("S6PP_T_CHANGED");
    ::unsetenv("S6PP_T_NEW");
}

TEST_CASE("envdir: the merged environment is in skalibs' order", "[envdir]")
{
    // Stock s6 programs exec with skalibs' env_merge, which takes a changed variable out by
    // moving the last entry into its place: `env -i PROTO=old A=1 B=2 s6-ipcclient S env`
    // prints B=2 A=1 PROTO=IPC IPCLOCALPATH=.
    char e0[] = "PROTO=old", e1[] = "A=1", e2[] = "B=2", e3[] = "NOEQUALS", e4[] = "C=3";
    char *fake[] = {e0, e1, e2, e3, e4, nullptr};
    char **saved = environ;
    environ = fake;
    std::vector<sv::env_change> ch = {
        {"PROTO", "IPC", false}, {"IPCLOCALPATH", "", false}, {"A", "", true},
        {"IPCLOCALPATH", "x", false}, {"NOEQUALS", "", true},
    };
    auto const env = sv::env_merged(ch);
    environ = saved;
    // PROTO out (C=3 into its place), PROTO=IPC in; IPCLOCALPATH= in; A out (IPCLOCALPATH=
    // into its place); IPCLOCALPATH= out (PROTO=IPC into its place), IPCLOCALPATH=x in; an
    // entry without '=' never matches.
    std::vector<std::string> const want = {"C=3", "PROTO=IPC", "B=2", "NOEQUALS",
                                           "IPCLOCALPATH=x"};
    CHECK(env == want);
}

TEST_CASE("envdir: S6_KEEP_ENV values", "[envdir]")
{
    CHECK_FALSE(sv::keep_env(nullptr));
    CHECK_FALSE(sv::keep_env(""));
    CHECK_FALSE(sv::keep_env("0"));
    CHECK_FALSE(sv::keep_env("00"));
    CHECK(sv::keep_env("1"));
    CHECK(sv::keep_env("yes"));
}

TEST_CASE("envdir: the container environment follows S6_RUNTIME_DIR", "[envdir]")
{
    char const *old = std::getenv("S6_RUNTIME_DIR");
    std::string const saved = old ? old : "";
    setenv("S6_RUNTIME_DIR", "/tmp/s6rt", 1);
    CHECK(std::string(sv::container_env_dir()) == "/tmp/s6rt/s6/container_environment");
    setenv("S6_RUNTIME_DIR", "", 1); // empty: as if unset
    std::string const dflt = sv::container_env_dir();
    CHECK((dflt == sv::container_env_path || dflt == sv::container_env_path_v2));
    if (old) setenv("S6_RUNTIME_DIR", saved.c_str(), 1);
    else unsetenv("S6_RUNTIME_DIR");
}
