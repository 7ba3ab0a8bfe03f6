// s6-rc's source format, ours against the real thing: the execline lexer against execlineb
// (Debian's execline), and the source reader's verdicts against s6-rc-compile 0.5.4.1 (built
// from ../shared/oracles by h::s6rc_prefix, cached across runs).  Each side gets the same
// text or tree; accepting, refusing, the exit code and the message must match.
#include <catch2/catch.hpp>

#include "harness.hh"

#include <supervise/execlex.hh>
#include <supervise/rcsource.hh>

#include <unistd.h>
#include <utility>
#include <vector>

namespace {

using tree_files = std::vector<std::pair<std::string, std::string>>;

std::string lex_with_execlineb(std::string const &text, int &code)
{
    // A prefix that prints each word of the lexed script followed by "|".
    std::string const dump = "/bin/sh -c \"printf '%s|' \\\"$@\\\"\" x ";
    h::run_opts o;
    o.timeout_ms = 5000;
    auto r = h::run({"/usr/bin/execlineb", "-Pc", dump + text}, o);
    code = r.code;
    return r.out;
}

void write_tree(std::string const &root, tree_files const &files)
{
    for (auto const &[p, c] : files) {
        std::string const path = root + "/" + p;
        if (path.back() == '/') {
            h::mkdirs(path);
            continue;
        }
        h::mkdirs(path.substr(0, path.rfind('/')));
        h::write_file(path, c, 0755);
    }
}

} // namespace

TEST_CASE("rcsource: the lexer splits words as execlineb does", "[rcsource]")
{
    if (access("/usr/bin/execlineb", X_OK) != 0) h::skip("no /usr/bin/execlineb");
    std::vector<std::string> const texts = {
        "echo hello world",
        "a#b # comment\nc",
        "sh -c \"echo 'a b'; exit 3\"",
        "a\"b c\"d \"\" e",
        "\"\\a\\b\\f\\n\\r\\t\\v\"",
        "\"\\\"\\\\\\q\\x\"",
        "\"a\\\nb\" \"a\nb\"",
        "a\\ b \\\"c",
        "a \\\nb",
        "a\\\nb",
        "\"\\65\\066\\0101\\0x41\\0x4a\"",
        "\"\\1234\" \"\\0x414\" \"\\12x\" \"\\0x4\"",
        "foreground { echo a } echo b",
        "if { if { true } } x",
        "a {b c} d x { \"{\" }",
        "x {\n y\n}\n",
        "x { \\q }",
        "x { {\\q } }",
        "x { \\\n y }",
        "x }\\q {\"a\" y",
        "\"abc",
        "abc\\",
        "x {",
        "x { y",
        "x }",
        "\"\\08\"",
        "\"\\0\"",
        "\"\\256\"",
        "\"\\0x\"",
        "\"\\01",
        "tab\there\x01" "ctl",
    };
    for (auto const &t : texts) {
        INFO("text: " << t);
        int code = 0;
        std::string const theirs = lex_with_execlineb(t, code);
        std::vector<std::string> argv;
        sv::lex_status const st = sv::execline_lex(t, argv);
        CHECK((st == sv::lex_status::ok) == (code == 0));
        if (st != sv::lex_status::ok) continue;
        std::string mine;
        for (auto const &w : argv) mine += w + "|";
        CHECK(mine == theirs);
    }
}

TEST_CASE("rcsource: trees accepted and refused as s6-rc-compile does", "[rcsource]")
{
    std::string const compiler = h::s6rc_prefix() + "/bin/s6-rc-compile"; // or skips
    std::vector<tree_files> const trees = {
        {{"db/type", "oneshot\n"}, {"db/up", "sh -c \"echo up\"\n"}, {"db/timeout-up", "20\n"},
         {"web/type", "longrun\n"}, {"web/run", "#!/bin/sh\n"}, {"web/dependencies.d/db", ""},
         {"app/type", "bundle\n"}, {"app/contents.d/web", ""}, {".x/type", "junk"}},
        {{"c/type", "oneshot"}, {"c/up", ""}, {"c/dependencies", "  a\n# b\n\nb\n"},
         {"a/type", "oneshot"}, {"a/up", ""}, {"b/type", "bundle"}, {"b/contents", "a\n"}},
        {{"prod/type", "longrun"}, {"prod/run", ""}, {"prod/producer-for", "log\n"},
         {"log/type", "longrun"}, {"log/run", ""}, {"log/consumer-for", "prod\n"},
         {"log/pipeline-name", "pipe\n"}},
        {{"a/type", "daemon\n"}},
        {{"a/up", "true"}},
        {{"a/type", "oneshot"}},
        {{"a/type", "longrun"}},
        {{"a/type", "longrun"}, {"a/run/", ""}},
        {{"b/type", "bundle"}},
        {{"a/type", "oneshot"}, {"a/up", ""}, {"a/dependencies.d/ghost", ""}},
        {{"b/type", "bundle"}, {"b/contents", "ghost\n"}},
        {{"b/type", "bundle"}, {"b/contents.d/b", ""}},
        {{"a/type", "oneshot"}, {"a/up", ""}, {"a/dependencies", "a\n"}},
        {{"a/type", "oneshot"}, {"a/up", ""}, {"a/dependencies.d/b", ""},
         {"b/type", "longrun"}, {"b/run", ""}, {"b/dependencies.d/a", ""}},
        {{"s6rc-x/type", "oneshot"}, {"s6rc-x/up", ""}},
        {{"a/type", "oneshot"}, {"a/up", ""}, {"a/timeout-up", "5s\n"}},
        {{"a/type", "oneshot"}, {"a/up", "echo \"unterminated\n"}},
        {{"a/type", "oneshot"}, {"a/up", "foreground { echo\n"}},
        {{"a/type", "oneshot"}, {"a/up", "true"}, {"a/down", "echo }\n"}},
        {{"p/type", "longrun"}, {"p/run", ""}, {"p/producer-for", "c"},
         {"c/type", "longrun"}, {"c/run", ""}},
        {{"p/type", "longrun"}, {"p/run", ""}, {"c/type", "longrun"}, {"c/run", ""},
         {"c/consumer-for", "p"}},
        {{"p/type", "longrun"}, {"p/run", ""}, {"p/producer-for", "c"},
         {"c/type", "oneshot"}, {"c/up", ""}},
        {{"p/type", "longrun"}, {"p/run", ""}, {"p/producer-for", "a\nb\n"}},
    };
    for (auto const &files : trees) {
        h::tempdir d;
        std::string const src = d / "src";
        h::mkdirs(src);
        write_tree(src, files);
        std::string listing;
        for (auto const &f : files) listing += f.first + " ";
        INFO("tree: " << listing);
        h::run_opts o;
        o.timeout_ms = 10000;
        auto r = h::run({compiler, d / "compiled", src}, o);
        sv::rc::graph g;
        sv::rc::error err;
        bool const ok = sv::rc::read_source(src, g, err) && sv::rc::resolve(g, err);
        CHECK(ok == (r.code == 0));
        if (ok) continue;
        CHECK(err.code == r.code);
        // Cycles are reported from wherever each search happens to start: the kind only.
        // s6-rc-compile says "fatal: : unable to find a run script": an empty word of its.
        std::string theirs = r.err, mine = "s6-rc-compile: fatal: " + err.message + "\n";
        if (auto p = theirs.find("fatal: : "); p != std::string::npos) theirs.erase(p + 6, 2);
        for (auto *s : {&theirs, &mine}) {
            auto const p = s->find(" reached from ");
            if (p != std::string::npos) *s = s->substr(0, p);
            auto const q = s->find(": resolution of ");
            if (q != std::string::npos) *s = s->substr(0, q);
        }
        CHECK(mine == theirs);
    }
}
