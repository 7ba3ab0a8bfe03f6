// s6-ipcserverd's bookkeeping: the limits as stock normalises them, per-uid admission, and
// forgetting children in any order.
#include <catch2/catch.hpp>

#include "../../tools/s6-ipcserverd/state.hh"

namespace {
struct fixture {
    ipcd::conn conns[ipcd::absolute_maxconn];
    ipcd::table t{};
    fixture(unsigned maxconn, unsigned local, bool lookup = true)
    {
        t.maxconn = maxconn;
        t.localmaxconn = local;
        t.lookup = lookup;
        ipcd::normalise(t);
        t.conns = {conns, t.maxconn};
    }
};
} // namespace

TEST_CASE("s6-ipcserverd: limits are normalised as stock's", "[ipcserverd]")
{
    CHECK(fixture(0, 5).t.maxconn == 1);
    CHECK(fixture(0, 5).t.localmaxconn == 1);
    CHECK(fixture(5000, 40).t.maxconn == ipcd::absolute_maxconn);
    CHECK(fixture(10, 40).t.localmaxconn == 10);
    CHECK(fixture(10, 3).t.localmaxconn == 3);
    CHECK(fixture(10, 3, false).t.localmaxconn == 10); // -P: every client counts as uid 0
}

TEST_CASE("s6-ipcserverd: admission per uid, room overall", "[ipcserverd]")
{
    fixture f(3, 2);
    unsigned n;
    REQUIRE(ipcd::admit(f.t, 1000, n));
    CHECK(n == 0);
    ipcd::add(f.t, 11, 1000);
    REQUIRE(ipcd::admit(f.t, 1000, n));
    CHECK(n == 1);
    ipcd::add(f.t, 12, 1000);
    CHECK_FALSE(ipcd::admit(f.t, 1000, n));
    CHECK(n == 2);
    REQUIRE(ipcd::admit(f.t, 0, n));
    ipcd::add(f.t, 13, 0);
    CHECK_FALSE(ipcd::room(f.t));

    uid_t uid;
    CHECK_FALSE(ipcd::remove(f.t, 99, uid)); // an orphan is not ours
    REQUIRE(ipcd::remove(f.t, 11, uid));
    CHECK(uid == 1000);
    CHECK(ipcd::room(f.t));
    REQUIRE(ipcd::admit(f.t, 1000, n));
    CHECK(n == 1);
    REQUIRE(ipcd::remove(f.t, 13, uid));
    CHECK(uid == 0);
    REQUIRE(ipcd::remove(f.t, 12, uid));
    CHECK(f.t.nconn == 0);
    REQUIRE(ipcd::admit(f.t, 1000, n));
    CHECK(n == 0);
}
