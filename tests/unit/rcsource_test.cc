// s6-rc's source format (libsupervise/rcsource.cc): many small source trees, each error
// s6-rc-compile reports, and the graph /init starts.  tests/integration/rcsource_test.cc runs
// the same trees through the real s6-rc-compile where it is installed.
#include <catch2/catch.hpp>

#include "harness.hh"

#include <supervise/rcsource.hh>

#include <algorithm>
#include <initializer_list>
#include <sys/stat.h>
#include <utility>

namespace rc = sv::rc;

namespace {

using files = std::initializer_list<std::pair<char const *, char const *>>;

// A source tree in a temp dir: each pair is a path under it and its content; a path ending
// in '/' is an empty directory.
struct tree {
    h::tempdir dir;
    explicit tree(files fs)
    {
        for (auto const &[p, c] : fs) {
            std::string const path = dir / p;
            if (path.back() == '/') {
                h::mkdirs(path);
                continue;
            }
            h::mkdirs(path.substr(0, path.rfind('/')));
            h::write_file(path, c, 0755);
        }
    }
    // Reads and resolves; the error's message, or "" on success.
    std::string compile(rc::graph &g, int *code = nullptr)
    {
        rc::error err;
        bool const ok = rc::read_source(dir.path(), g, err, {"user", "user2"}) && rc::resolve(g, err);
        if (code) *code = ok ? 0 : err.code;
        return ok ? std::string() : err.message;
    }
    std::string compile_error(int want_code = 1)
    {
        rc::graph g;
        int code = 0;
        std::string m = compile(g, &code);
        CHECK(code == want_code);
        return m;
    }
};

std::vector<std::string> dep_names(rc::graph const &g, std::string const &name)
{
    std::vector<std::string> out;
    int const a = g.atom_of(unsigned(g.find(name)));
    REQUIRE(a >= 0);
    for (unsigned d : g.deps[unsigned(a)]) out.push_back(g.def_of(d).name);
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<std::string> expanded(rc::graph const &g, std::string const &name)
{
    std::vector<unsigned> atoms;
    REQUIRE(g.expand(name, atoms));
    std::vector<std::string> out;
    for (unsigned a : atoms) out.push_back(g.def_of(a).name);
    std::sort(out.begin(), out.end());
    return out;
}

using names = std::vector<std::string>;

} // namespace

TEST_CASE("rcsource: the three types and their files", "[rcsource]")
{
    tree t({{"db/type", "oneshot\n"},
            {"db/up", "sh -c \"echo up\"\n"},
            {"db/down", "rm -f /tmp/x"},
            {"db/timeout-up", "2000\n"},
            {"db/flag-essential", ""},
            {"web/type", "longrun"},
            {"web/run", "#!/bin/sh\nexec httpd\n"},
            {"web/dependencies.d/db", ""},
            {"web/dependencies.d/.hidden", ""},
            {"web/timeout-down", "500"},
            {"app/type", "bundle\n"},
            {"app/contents.d/web", ""},
            {"app/contents.d/db", ""},
            {".ignored/type", "junk"},
            {"plainfile", "not a directory"}});
    rc::graph g;
    REQUIRE(t.compile(g) == "");
    REQUIRE(g.defs.size() == 3);
    auto const &db = g.defs[unsigned(g.find("db"))];
    CHECK(db.type == rc::kind::oneshot);
    CHECK(db.up == names{"sh", "-c", "echo up"});
    CHECK(db.down == names{"rm", "-f", "/tmp/x"});
    CHECK(db.timeout_up == 2000);
    CHECK(db.essential);
    auto const &web = g.defs[unsigned(g.find("web"))];
    CHECK(web.type == rc::kind::longrun);
    CHECK(web.timeout_down == 500);
    CHECK(!web.essential);
    CHECK(dep_names(g, "web") == names{"db"});
    CHECK(dep_names(g, "db").empty());
    CHECK(expanded(g, "app") == names{"db", "web"});
    CHECK(g.atoms.size() == 2);
    auto order = rc::start_order(g);
    REQUIRE(order.size() == 2);
    CHECK(g.def_of(order[0]).name == "db");
}

TEST_CASE("rcsource: list files, and .d directories before them", "[rcsource]")
{
    tree t({{"a/type", "oneshot"},
            {"a/up", ""},
            {"b/type", "oneshot"},
            {"b/up", ""},
            {"c/type", "oneshot"},
            {"c/up", ""},
            {"c/dependencies", "  a\n# b\n\n\ta\nbundle\n"},
            {"d/type", "oneshot"},
            {"d/up", ""},
            {"d/dependencies", "nonexistent\n"},
            {"d/dependencies.d/a", ""},
            {"bundle/type", "bundle"},
            {"bundle/contents", "b\n#c\n"}});
    rc::graph g;
    REQUIRE(t.compile(g) == "");
    CHECK(dep_names(g, "c") == names{"a", "b"});
    CHECK(dep_names(g, "d") == names{"a"});
    CHECK(g.defs[unsigned(g.find("a"))].up.empty());
}

TEST_CASE("rcsource: bundles of bundles, a dependency on a bundle", "[rcsource]")
{
    tree t({{"x/type", "oneshot"},   {"x/up", "true"},
            {"y/type", "longrun"},   {"y/run", ""},
            {"inner/type", "bundle"}, {"inner/contents.d/x", ""},
            {"outer/type", "bundle"}, {"outer/contents.d/inner", ""},
            {"outer/contents.d/y", ""},
            {"z/type", "longrun"},   {"z/run", ""},
            {"z/dependencies.d/outer", ""}});
    rc::graph g;
    REQUIRE(t.compile(g) == "");
    CHECK(expanded(g, "outer") == names{"x", "y"});
    CHECK(!g.defs[unsigned(g.find("x"))].essential);
    tree e({{"x/type", "oneshot"}, {"x/up", ""}, {"y/type", "oneshot"}, {"y/up", ""},
            {"b/type", "bundle"}, {"b/contents.d/x", ""}, {"b/flag-essential", ""}});
    rc::graph ge;
    REQUIRE(e.compile(ge) == "");
    CHECK(ge.defs[unsigned(ge.find("x"))].essential); // a bundle's flag is its members'
    CHECK(!ge.defs[unsigned(ge.find("y"))].essential);
    CHECK(dep_names(g, "z") == names{"x", "y"});
    std::vector<unsigned> none;
    CHECK(!g.expand("nosuch", none));
}

TEST_CASE("rcsource: user and user2 without a type file are bundles", "[rcsource]")
{
    tree t({{"user/contents.d/svc", ""}, {"user2/contents.d/", ""},
            {"svc/type", "longrun"}, {"svc/run", ""}});
    rc::graph g;
    REQUIRE(t.compile(g) == "");
    CHECK(expanded(g, "user") == names{"svc"});
    CHECK(expanded(g, "user2").empty());
}

TEST_CASE("rcsource: a pipeline, its bundle and its dependencies", "[rcsource]")
{
    tree t({{"prod/type", "longrun"},    {"prod/run", ""},
            {"prod/producer-for", "mid\n"},
            {"mid/type", "longrun"},     {"mid/run", ""},
            {"mid/consumer-for", "prod\n"}, {"mid/producer-for", "log"},
            {"mid/pipeline-name", "ignored-here"},
            {"log/type", "longrun"},     {"log/run", ""},
            {"log/consumer-for", "mid\n"}, {"log/pipeline-name", "pipe\n"}});
    rc::graph g;
    REQUIRE(t.compile(g) == "");
    CHECK(expanded(g, "pipe") == names{"log", "mid", "prod"});
    CHECK(g.find("ignored-here") < 0);
    CHECK(dep_names(g, "prod") == names{"mid"});
    CHECK(dep_names(g, "mid") == names{"log"});
    auto const &prod = g.defs[unsigned(g.find("prod"))];
    CHECK(prod.producer_for == "mid");
    CHECK(g.defs[unsigned(g.find("log"))].consumer_for == names{"mid"});
}

TEST_CASE("rcsource: each error s6-rc-compile reports, in its words", "[rcsource]")
{
    SECTION("a bad type")
    {
        tree t({{"a/type", "daemon\n"}});
        CHECK(t.compile_error() ==
              "invalid " + t.dir / "a/type" + ": must be oneshot, longrun, or bundle");
    }
    SECTION("no type")
    {
        tree t({{"a/up", "true"}});
        CHECK(t.compile_error(111) ==
              "unable to read " + t.dir / "a/type" + ": No such file or directory");
    }
    SECTION("a oneshot without up")
    {
        tree t({{"a/type", "oneshot"}});
        CHECK(t.compile_error(111) ==
              "unable to open " + t.dir / "a/up" + ": No such file or directory");
    }
    SECTION("a longrun without run, or with a directory as run")
    {
        tree t({{"a/type", "longrun"}});
        CHECK(t.compile_error() == "unable to find a run script in " + t.dir / "a/run");
        tree u({{"a/type", "longrun"}, {"a/run/", ""}});
        CHECK(u.compile_error() == u.dir / "a/run" + " is not a regular file");
    }
    SECTION("a bundle without contents")
    {
        tree t({{"b/type", "bundle"}});
        CHECK(t.compile_error(111) ==
              "unable to open " + t.dir / "b/contents" + ": No such file or directory");
    }
    SECTION("an unknown dependency")
    {
        tree t({{"a/type", "oneshot"}, {"a/up", "true"}, {"a/dependencies.d/ghost", ""}});
        CHECK(t.compile_error() ==
              "during dependency resolution for service a: undefined service name ghost");
    }
    SECTION("an unknown bundle member")
    {
        tree t({{"b/type", "bundle"}, {"b/contents", "ghost\n"}});
        CHECK(t.compile_error() == "during resolution of bundle b: undefined service name ghost");
    }
    SECTION("a bundle containing itself")
    {
        tree t({{"b/type", "bundle"}, {"b/contents.d/b", ""}});
        CHECK(t.compile_error() ==
              "cyclic bundle definition: resolution of b encountered a cycle involving b");
    }
    SECTION("a cycle of bundles")
    {
        tree t({{"b/type", "bundle"}, {"b/contents.d/c", ""},
                {"c/type", "bundle"}, {"c/contents.d/b", ""}});
        CHECK(t.compile_error() ==
              "cyclic bundle definition: resolution of b encountered a cycle involving b");
    }
    SECTION("a dependency cycle")
    {
        tree t({{"a/type", "oneshot"}, {"a/up", ""}, {"a/dependencies.d/b", ""},
                {"b/type", "oneshot"}, {"b/up", ""}, {"b/dependencies.d/c", ""},
                {"c/type", "longrun"}, {"c/run", ""}, {"c/dependencies.d/a", ""}});
        CHECK(t.compile_error() == "cyclic service dependency reached from a and involving a");
    }
    SECTION("a service depending on itself")
    {
        tree t({{"a/type", "oneshot"}, {"a/up", ""}, {"a/dependencies", "a\n"}});
        CHECK(t.compile_error() == "cyclic service dependency reached from a and involving a");
    }
    SECTION("a reserved prefix")
    {
        tree t({{"s6rc-x/type", "oneshot"}, {"s6rc-x/up", ""}});
        CHECK(t.compile_error() ==
              "in " + t.dir.path() + ": identifier s6rc-x starts with reserved prefix");
        tree u({{"a/type", "oneshot"}, {"a/up", ""}, {"a/dependencies.d/s6-rc-y", ""}});
        CHECK(u.compile_error() == "in a: identifier s6-rc-y starts with reserved prefix");
    }
    SECTION("a bad timeout")
    {
        tree t({{"a/type", "oneshot"}, {"a/up", ""}, {"a/timeout-up", "5s\n"}});
        CHECK(t.compile_error() == "invalid " + t.dir / "a/timeout-up");
        tree u({{"a/type", "oneshot"}, {"a/up", ""}, {"a/timeout-down", ""}});
        CHECK(u.compile_error() == "invalid " + u.dir / "a/timeout-down");
    }
    SECTION("a syntax error in up")
    {
        tree t({{"a/type", "oneshot"}, {"a/up", "echo \"unterminated\n"}});
        CHECK(t.compile_error() == "syntax error in " + t.dir / "a/up");
        tree u({{"a/type", "oneshot"}, {"a/up", "foreground { echo\n"}});
        CHECK(u.compile_error() == "syntax error in " + u.dir / "a/up" + ": unmatched {");
        tree w({{"a/type", "oneshot"}, {"a/up", "true"}, {"a/down", "echo }\n"}});
        CHECK(w.compile_error() == "syntax error in " + w.dir / "a/down" + ": unmatched }");
    }
    SECTION("pipeline inconsistencies")
    {
        tree t({{"p/type", "longrun"}, {"p/run", ""}, {"p/producer-for", "c"},
                {"c/type", "longrun"}, {"c/run", ""}});
        CHECK(t.compile_error() == "longrun service p declares being a producer for a service "
                                   "named c that does not declare it back");
        tree u({{"p/type", "longrun"}, {"p/run", ""},
                {"c/type", "longrun"}, {"c/run", ""}, {"c/consumer-for", "p"}});
        CHECK(u.compile_error() == "longrun service c declares being the consumer for a service "
                                   "named p that does not declare it back");
        tree w({{"p/type", "longrun"}, {"p/run", ""}, {"p/producer-for", "c"},
                {"c/type", "oneshot"}, {"c/up", ""}});
        CHECK(w.compile_error() == "longrun service p declares being a producer for a service "
                                   "named c of type oneshot");
        tree x({{"p/type", "longrun"}, {"p/run", ""}, {"p/producer-for", "a\nb\n"}});
        CHECK(x.compile_error() == x.dir / "p/producer-for" + " should only contain one service name");
        tree y({{"p/type", "longrun"}, {"p/run", ""}, {"p/producer-for", "q"},
                {"q/type", "longrun"}, {"q/run", ""}, {"q/producer-for", "p"},
                {"q/consumer-for", "p"}, {"p/consumer-for", "q"}});
        CHECK(y.compile_error() == "cyclic service dependency reached from p and involving p");
    }
    SECTION("a pipeline whose producer is not a longrun")
    {
        tree t({{"c/type", "longrun"}, {"c/run", ""}, {"c/consumer-for", "o"},
                {"c/pipeline-name", "pl"}, {"o/type", "oneshot"}, {"o/up", ""}});
        CHECK(t.compile_error() == "longrun c declares a producer o of type oneshot");
    }
    SECTION("a pipeline name taken")
    {
        tree t({{"p/type", "longrun"}, {"p/run", ""}, {"p/producer-for", "c"},
                {"c/type", "longrun"}, {"c/run", ""}, {"c/consumer-for", "p"},
                {"c/pipeline-name", "p"}});
        CHECK(t.compile_error() == "duplicate service definition: p defined in s6pp is already "
                                   "defined and has type longrun");
    }
}

TEST_CASE("rcsource: the program's own definitions join the graph", "[rcsource]")
{
    tree t({{"svc/type", "longrun"}, {"svc/run", ""}, {"svc/dependencies.d/base", ""}});
    rc::graph g;
    rc::error err;
    REQUIRE(rc::read_source(t.dir.path(), g, err));
    rc::definition base;
    base.name = "base";
    base.type = rc::kind::oneshot;
    base.builtin = 7;
    REQUIRE(rc::add_definition(g, base, err));
    CHECK(!rc::add_definition(g, base, err));
    CHECK(err.message == "duplicate service definition: base defined in s6pp is already defined "
                         "and has type oneshot");
    REQUIRE(rc::resolve(g, err));
    CHECK(dep_names(g, "svc") == names{"base"});
    rc::graph e;
    CHECK(!rc::read_source(t.dir / "nonexistent", e, err));
    CHECK(err.code == 111);
    CHECK(err.message == "unable to opendir " + t.dir / "nonexistent" +
                             ": No such file or directory");
}
