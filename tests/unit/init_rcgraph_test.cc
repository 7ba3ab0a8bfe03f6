// /init's service graph decisions (tools/init/rcgraph.cc): which atoms may start or stop,
// and when a start or a stop is done or blocked, over graphs built in memory.
#include <catch2/catch.hpp>

#include <algorithm>

#include "../../tools/init/rcgraph.hh"

namespace rc = sv::rc;
using init::progress;
using init::svstate;

namespace {

// A graph from (name, type, deps, contents) rows, resolved.
struct row {
    char const *name;
    rc::kind type;
    std::vector<std::string> deps, contents;
};

void build(init::rc_run &r, std::vector<row> const &rows)
{
    rc::error err;
    for (auto const &x : rows) {
        rc::definition d;
        d.name = x.name;
        d.type = x.type;
        d.deps = x.deps;
        d.contents = x.contents;
        REQUIRE(rc::add_definition(r.g, d, err));
    }
    REQUIRE(rc::resolve(r.g, err));
    init::rc_reset(r);
}

unsigned atom(init::rc_run const &r, char const *name)
{
    return unsigned(r.g.atom_of(unsigned(r.g.find(name))));
}

std::vector<std::string> names(init::rc_run const &r, std::vector<unsigned> const &atoms)
{
    std::vector<std::string> v;
    for (unsigned a : atoms) v.push_back(r.g.def_of(a).name);
    std::sort(v.begin(), v.end());
    return v;
}

using strs = std::vector<std::string>;
constexpr auto oneshot = rc::kind::oneshot;
constexpr auto longrun = rc::kind::longrun;
constexpr auto bundle = rc::kind::bundle;

// base <- a <- c, base <- b, d alone; top = {c, b, d}
void diamond(init::rc_run &r)
{
    build(r, {{"base", oneshot, {}, {}},
              {"a", longrun, {"base"}, {}},
              {"b", oneshot, {"base"}, {}},
              {"c", oneshot, {"a", "b"}, {}},
              {"d", longrun, {}, {}},
              {"top", bundle, {}, {"c", "b", "d"}}});
}

} // namespace

TEST_CASE("rcgraph: what may start, as dependencies come up", "[init_rcgraph]")
{
    init::rc_run r;
    diamond(r);
    std::vector<bool> want;
    REQUIRE(init::rc_select(r, "top", want));
    CHECK(std::count(want.begin(), want.end(), true) == 5); // dependencies are wanted too
    CHECK(names(r, init::rc_startable(r, want)) == strs{"base", "d"});
    CHECK(init::rc_start_progress(r, want) == progress::working);
    r.state[atom(r, "base")] = svstate::up;
    r.state[atom(r, "d")] = svstate::starting;
    CHECK(names(r, init::rc_startable(r, want)) == strs{"a", "b"});
    r.state[atom(r, "a")] = svstate::up;
    CHECK(names(r, init::rc_startable(r, want)) == strs{"b"});
    r.state[atom(r, "b")] = svstate::up;
    CHECK(names(r, init::rc_startable(r, want)) == strs{"c"});
    r.state[atom(r, "c")] = svstate::up;
    CHECK(init::rc_start_progress(r, want) == progress::working); // d still starting
    r.state[atom(r, "d")] = svstate::up;
    CHECK(init::rc_start_progress(r, want) == progress::done);
}

TEST_CASE("rcgraph: a failure blocks what depends on it, nothing else", "[init_rcgraph]")
{
    init::rc_run r;
    diamond(r);
    std::vector<bool> want;
    REQUIRE(init::rc_select(r, "top", want));
    r.state[atom(r, "base")] = svstate::up;
    r.state[atom(r, "b")] = svstate::failed;
    r.state[atom(r, "d")] = svstate::up;
    CHECK(names(r, init::rc_startable(r, want)) == strs{"a"});
    CHECK(init::rc_start_progress(r, want) == progress::working);
    r.state[atom(r, "a")] = svstate::up;
    CHECK(init::rc_startable(r, want).empty()); // c needs b
    CHECK(init::rc_start_progress(r, want) == progress::blocked);
}

TEST_CASE("rcgraph: a selection wants only its own closure", "[init_rcgraph]")
{
    init::rc_run r;
    diamond(r);
    std::vector<bool> want;
    REQUIRE(init::rc_select(r, "a", want));
    CHECK(want[atom(r, "a")]);
    CHECK(want[atom(r, "base")]);
    CHECK(!want[atom(r, "b")]);
    CHECK(!want[atom(r, "d")]);
    CHECK(!init::rc_select(r, "nosuch", want));
}

TEST_CASE("rcgraph: stops go in reverse dependency order", "[init_rcgraph]")
{
    init::rc_run r;
    diamond(r);
    std::vector<bool> const all(r.state.size(), true);
    for (auto &s : r.state) s = svstate::up;
    CHECK(names(r, init::rc_stoppable(r, all)) == strs{"c", "d"});
    r.state[atom(r, "c")] = svstate::stopping;
    CHECK(names(r, init::rc_stoppable(r, all)) == strs{"d"});
    CHECK(init::rc_stop_progress(r, all) == progress::working);
    r.state[atom(r, "c")] = svstate::down;
    CHECK(names(r, init::rc_stoppable(r, all)) == strs{"a", "b", "d"});
    r.state[atom(r, "a")] = svstate::down;
    r.state[atom(r, "d")] = svstate::down;
    CHECK(names(r, init::rc_stoppable(r, all)) == strs{"b"});
    r.state[atom(r, "b")] = svstate::failed; // a failed atom counts as down
    CHECK(names(r, init::rc_stoppable(r, all)) == strs{"base"});
    r.state[atom(r, "base")] = svstate::down;
    CHECK(init::rc_stop_progress(r, all) == progress::done);
}

TEST_CASE("rcgraph: the next deadline of atoms in flight", "[init_rcgraph]")
{
    init::rc_run r;
    diamond(r);
    CHECK(init::rc_next_deadline(r) == -1);
    r.state[atom(r, "a")] = svstate::starting;
    r.deadline[atom(r, "a")] = 500;
    r.state[atom(r, "d")] = svstate::stopping;
    r.deadline[atom(r, "d")] = 300;
    r.deadline[atom(r, "b")] = 100; // not in flight: ignored
    CHECK(init::rc_next_deadline(r) == 300);
}

TEST_CASE("rcgraph: a stop's closure, with essentials spared", "[init_rcgraph]")
{
    init::rc_run r;
    diamond(r);
    // Stopping base takes everything that depends on it: a, b, c.
    auto down = init::rc_closure(r, {atom(r, "base")}, false);
    CHECK(down[atom(r, "a")]);
    CHECK(down[atom(r, "c")]);
    CHECK(!down[atom(r, "d")]);
    // An essential c keeps itself and what it needs (a, b, base) up.
    r.g.defs[unsigned(r.g.find("c"))].essential = true;
    init::rc_spare_essentials(r, down);
    CHECK(std::count(down.begin(), down.end(), true) == 0);
    auto up = init::rc_closure(r, {atom(r, "c")}, true);
    CHECK(std::count(up.begin(), up.end(), true) == 4);
}
