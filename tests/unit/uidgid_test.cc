// The s6-envuidgid / s6-applyuidgid engines (libsupervise/uidgid.cc): skalibs-style number
// and gid-list scanning, -D's "uid:gid:gidlist" (expected values checked against stock
// s6-envuidgid 2.11.3.2), account resolution against hand-made passwd and group files, and
// envuidgid_main's environment and exits in forked children.
#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/uidgid.hh>

#include "harness.hh"

using gids = std::vector<gid_t>;

TEST_CASE("scan_u32_prefix scans leading decimal digits like uint32_scan", "[uidgid]")
{
    struct row {
        char const *s;
        std::size_t used;
        std::uint32_t v;
    };
    row const rows[] = {
        {"0", 1, 0},
        {"123abc", 3, 123},
        {"00012", 5, 12},
        {"4294967295", 10, 4294967295u},
        {"4294967296", 9, 429496729u}, // stops before the digit that would overflow
        {"99999999999", 9, 999999999u},
        {"7:8", 1, 7},
    };
    for (auto const &r : rows) {
        INFO(r.s);
        std::uint32_t v = 77;
        CHECK(sv::scan_u32_prefix(r.s, v) == r.used);
        CHECK(v == r.v);
    }
    for (char const *s : {"", "abc", "-1", "+1", " 1", ":5"}) {
        INFO(s);
        std::uint32_t v = 77;
        CHECK(sv::scan_u32_prefix(s, v) == 0);
        CHECK(v == 77); // untouched
    }
}

TEST_CASE("scan_u32 accepts exactly one whole number", "[uidgid]")
{
    std::uint32_t v = 5;
    CHECK(sv::scan_u32("0", v));
    CHECK(v == 0);
    CHECK(sv::scan_u32("4294967295", v));
    CHECK(v == 4294967295u);
    for (char const *s : {"", "12x", " 12", "12 ", "-1", "4294967296", "0x10"}) {
        INFO(s);
        v = 9;
        CHECK_FALSE(sv::scan_u32(s, v));
        CHECK(v == 9);
    }
}

TEST_CASE("scan_gid_list takes numbers between runs of separators", "[uidgid]")
{
    struct row {
        char const *s;
        std::size_t used;
        gids g;
    };
    row const rows[] = {
        {"1,2,3", 5, {1, 2, 3}},
        {"1 ,: ;\t\r\n2", 10, {1, 2}},
        {"3;;4", 4, {3, 4}},
        {"9x", 1, {9}},
        {"9,x", 2, {9}},
        {"1,2,", 4, {1, 2}},
        {"0", 1, {0}},
        {"4294967295", 10, {4294967295u}},
        {",9", 0, {}},
        {"", 0, {}},
        {"x1", 0, {}},
        {" 1", 0, {}},
    };
    for (auto const &r : rows) {
        INFO('"' << r.s << '"');
        gids out{42, 43}; // replaced, not appended to
        CHECK(sv::scan_gid_list(r.s, out) == r.used);
        CHECK(out == r.g);
    }
}

TEST_CASE("scan_gid_list stops at max entries", "[uidgid]")
{
    gids out;
    sv::scan_gid_list("1,2,3,4", out, 2);
    CHECK(out == gids{1, 2});
    std::string big;
    for (std::size_t i = 0; i < sv::gid_list_max + 5; i++) big += "7,";
    sv::scan_gid_list(big, out);
    CHECK(out.size() == sv::gid_list_max);
}

TEST_CASE("fmt_gid_list joins with commas", "[uidgid]")
{
    CHECK(sv::fmt_gid_list(gids{}) == "");
    CHECK(sv::fmt_gid_list(gids{0}) == "0");
    CHECK(sv::fmt_gid_list(gids{1, 20, 300}) == "1,20,300");
    CHECK(sv::fmt_gid_list(gids{4294967295u, 0}) == "4294967295,0");
    gids round;
    sv::scan_gid_list(sv::fmt_gid_list(gids{5, 6, 7}), round);
    CHECK(round == gids{5, 6, 7});
}

TEST_CASE("scan_uidgid_defaults parses -D like s6-envuidgid 2.11", "[uidgid]")
{
    // Each accepted row was run through the stock binary: s6-envuidgid -D ARG unknownuser env.
    struct row {
        char const *arg;
        uid_t uid;
        gid_t gid;
        gids g;
    };
    row const good[] = {
        {"7", 7, 0, {}},
        {"32761:32761:", 32761, 32761, {}},
        {"1:2:3,4", 1, 2, {3, 4}},
        {":", 0, 0, {}},
        {"::", 0, 0, {}},
        {":5", 0, 5, {}},
        {"1::3", 1, 0, {3}},
        {"1:2:3x", 1, 2, {3}},
        {"1:2:3;;4", 1, 2, {3, 4}},
        {"1:2:3:4", 1, 2, {3, 4}},
    };
    for (auto const &r : good) {
        INFO(r.arg);
        sv::uidgid_spec spec;
        spec.uid = 99;
        spec.gid = 99;
        spec.gids = {99};
        REQUIRE(sv::scan_uidgid_defaults(r.arg, spec));
        CHECK(spec.uid == r.uid);
        CHECK(spec.gid == r.gid);
        CHECK(spec.gids == r.g);
    }
    // Usage errors (exit 100) for stock.
    for (char const *arg : {"", "x", "1x", "1:x", "1:2:x", "1:2: 3", "1:2:,3", "4294967296"}) {
        INFO('"' << arg << '"');
        sv::uidgid_spec spec;
        CHECK_FALSE(sv::scan_uidgid_defaults(arg, spec));
    }
}

namespace {

struct account_files : h::account_files {
    account_files()
        : h::account_files("root:x:0:0:root:/root:/bin/sh\n"
                           "alice:x:1000:100:Alice:/home/alice:/bin/sh\n"
                           "bob:x:1001:1001::/home/bob:/bin/sh\n",
                           "root:x:0:\n"
                           "wheel:x:10:bob,alice\n"
                           "users:x:100:\n"
                           "staff:x:50:alice\n"
                           "bob:x:1001:\n")
    {
    }
    sv::uidgid_status resolve(std::string_view account, sv::uidgid_spec &spec, std::string &bad)
    {
        return sv::resolve_uidgid(account, spec, bad, passwd.c_str(), group.c_str());
    }
};

} // namespace

TEST_CASE("resolve_uidgid resolves accounts as s6-envuidgid does", "[uidgid]")
{
    account_files f;
    sv::uidgid_spec spec;
    std::string bad;

    SECTION("default: uid, primary gid, and the groups naming the user")
    {
        REQUIRE(f.resolve("alice", spec, bad) == sv::uidgid_status::ok);
        CHECK(spec.uid == 1000);
        CHECK(spec.gid == 100);
        CHECK(spec.gids == gids{10, 50}); // the primary group is not added
    }
    SECTION("a user in no group gets the empty list")
    {
        REQUIRE(f.resolve("root", spec, bad) == sv::uidgid_status::ok);
        CHECK(spec.uid == 0);
        CHECK(spec.gids.empty());
    }
    SECTION("-u changes the uid only")
    {
        spec.what = 1;
        spec.gid = 5;
        REQUIRE(f.resolve("bob", spec, bad) == sv::uidgid_status::ok);
        CHECK(spec.uid == 1001);
        CHECK(spec.gid == 5);
    }
    SECTION("-g looks up a group name")
    {
        spec.what = 2;
        spec.uid = 5;
        REQUIRE(f.resolve("wheel", spec, bad) == sv::uidgid_status::ok);
        CHECK(spec.gid == 10);
        CHECK(spec.uid == 5);
        // A user name is not a group name.
        CHECK(f.resolve("alice", spec, bad) == sv::uidgid_status::unknown_group);
        CHECK(bad == "alice");
    }
    SECTION("-B user:group, either side empty")
    {
        spec.what = 3;
        spec.uid = 7;
        spec.gid = 8;
        REQUIRE(f.resolve("alice:staff", spec, bad) == sv::uidgid_status::ok);
        CHECK(spec.uid == 1000);
        CHECK(spec.gid == 50);
        spec.uid = 7;
        spec.gid = 8;
        REQUIRE(f.resolve(":wheel", spec, bad) == sv::uidgid_status::ok);
        CHECK(spec.uid == 7);
        CHECK(spec.gid == 10);
        spec.uid = 7;
        spec.gid = 8;
        REQUIRE(f.resolve("bob:", spec, bad) == sv::uidgid_status::ok);
        CHECK(spec.uid == 1001);
        CHECK(spec.gid == 8);
    }
    SECTION("the group is resolved before the user")
    {
        spec.what = 3;
        CHECK(f.resolve("nouser:nogroup", spec, bad) == sv::uidgid_status::unknown_group);
        CHECK(bad == "nogroup");
        CHECK(f.resolve("nouser:wheel", spec, bad) == sv::uidgid_status::unknown_user);
        CHECK(bad == "nouser");
    }
    SECTION("unknown user")
    {
        CHECK(f.resolve("carol", spec, bad) == sv::uidgid_status::unknown_user);
        CHECK(bad == "carol");
    }
    SECTION("-n: an unknown name may be a number (a numeric prefix, as gid_scan takes it)")
    {
        spec.what = 3;
        spec.numeric = true;
        REQUIRE(f.resolve("123:45x", spec, bad) == sv::uidgid_status::ok);
        CHECK(spec.uid == 123);
        CHECK(spec.gid == 45);
        // A name that exists wins over the number reading.
        REQUIRE(f.resolve("alice:wheel", spec, bad) == sv::uidgid_status::ok);
        CHECK(spec.uid == 1000);
        CHECK(spec.gid == 10);
        CHECK(f.resolve("carol", spec, bad) == sv::uidgid_status::unknown_user);
    }
    SECTION("without insist, an unknown name keeps the -D default")
    {
        REQUIRE(sv::scan_uidgid_defaults("7:8:9", spec));
        spec.insist = false;
        REQUIRE(f.resolve("carol", spec, bad) == sv::uidgid_status::ok);
        CHECK(spec.uid == 7);
        CHECK(spec.gid == 8);
        CHECK(spec.gids == gids{9});
    }
}

namespace {

// Runs envuidgid_main in a child; on success the child writes "UID GID GIDLIST" (each
// "-" if unset) and the first remaining argument to outfile and exits 0.
int run_envuidgid(h::tempdir const &t, std::vector<char const *> args, std::string &out,
                  std::string &err)
{
    std::string const outfile = t / "out", errfile = t / "err";
    ::unlink(outfile.c_str());
    h::child c([&] {
        int fd = ::open(errfile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || ::dup2(fd, 2) < 0) return 120;
        sv::prog = "s6-envuidgid";
        ::unsetenv("UID");
        ::unsetenv("GID");
        ::setenv("GIDLIST", "stale", 1);
        args.insert(args.begin(), "s6-envuidgid");
        args.push_back(nullptr);
        char const *const *rest =
            sv::envuidgid_main(static_cast<int>(args.size() - 1), args.data());
        auto get = [](char const *n) {
            char const *v = std::getenv(n);
            return std::string(v ? v : "-");
        };
        bool const written = h::try_write_file(
            outfile, get("UID") + " " + get("GID") + " " + get("GIDLIST") + " " +
                         (rest[0] ? rest[0] : "(null)"));
        return written ? 0 : 122;
    });
    int const code = c.exit_code();
    err = h::read_file(errfile);
    out = h::read_file(outfile);
    return code;
}

} // namespace

TEST_CASE("envuidgid_main sets the variables and exits like s6-envuidgid", "[uidgid]")
{
    h::tempdir t;
    std::string out, err;
    std::string const usage = "s6-envuidgid: usage: " + std::string(sv::envuidgid_usage) + "\n";
    char const *const nobody = "s6pp-no-such-user-zz";

    SECTION("-D defaults for an unknown user")
    {
        CHECK(run_envuidgid(t, {"-D", "7", nobody, "prog", "arg"}, out, err) == 0);
        CHECK(out == "7 0  prog");
        CHECK(run_envuidgid(t, {"-D", "1:2:3;4", "--", nobody, "prog"}, out, err) == 0);
        CHECK(out == "1 2 3,4 prog");
    }
    SECTION("-u / -g / -B set only their variables")
    {
        CHECK(run_envuidgid(t, {"-u", "-D", "5", nobody, "prog"}, out, err) == 0);
        CHECK(out == "5 - stale prog");
        CHECK(run_envuidgid(t, {"-g", "-n", "12", "prog"}, out, err) == 0);
        CHECK(out == "- 12 stale prog");
        CHECK(run_envuidgid(t, {"-B", "-n", "3:4", "prog"}, out, err) == 0);
        CHECK(out == "3 4 stale prog");
    }
    SECTION("usage errors exit 100")
    {
        CHECK(run_envuidgid(t, {"-D", "1:x", nobody, "prog"}, out, err) == 100);
        CHECK(err == usage);
        CHECK(run_envuidgid(t, {nobody}, out, err) == 100);
        CHECK(err == usage);
        CHECK(run_envuidgid(t, {"-q", nobody, "prog"}, out, err) == 100);
    }
    SECTION("an unknown user exits 1")
    {
        CHECK(run_envuidgid(t, {nobody, "prog"}, out, err) == 1);
        CHECK(err == std::string("s6-envuidgid: fatal: unknown user: ") + nobody + "\n");
        CHECK(out.empty());
    }
}
