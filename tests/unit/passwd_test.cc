// The account files parser (libsupervise/passwd.cc), which the uid tools use instead of NSS.
// The parsing rules copy glibc's files backend, checked against getent and stock s6-envuidgid
// on bind-mounted files: leading white space skipped, '#' lines and malformed lines ignored,
// numeric fields as strtoul takes them ("+7" and " 44" valid, "-1", "12a", "" and values over
// 32 bits not), a passwd line needing at least name:pw:uid:gid, group members split on ','
// with white space skipped before each name and empty names dropped.
#include <catch2/catch.hpp>

#include <cerrno>
#include <string>

#include <supervise/passwd.hh>
#include <supervise/uidgid.hh>

#include "harness.hh"

namespace {

constexpr char const *passwd_text = "root:x:0:0:root:/root:/bin/bash\n"
                                    "# comment:x:5:5::/:/bin/sh\n"
                                    "\n"
                                    "   \n"
                                    "  spaced:x:2001:2001::/:/bin/sh\n"
                                    "short:x:2002:2002\n"
                                    "shorter:x:2003\n"
                                    "badnum:x:12a:5::/:/bin/sh\n"
                                    "neg:x:-1:5::/:/bin/sh\n"
                                    "plus:x:+7:5::/:/bin/sh\n"
                                    "emptyuid:x::5::/:/bin/sh\n"
                                    "dup:x:3001:3001::/home/dup:/bin/sh\n"
                                    "dup:x:3002:3002::/:/bin/sh\n"
                                    "sp:x: 44:5::/:/bin/sh\n"
                                    "big:x:99999999999:5::/:/bin/sh\n"
                                    "max:x:4294967295:5::/:/bin/sh\n"
                                    "daemon:x:2:2:daemon:/usr/sbin:/usr/sbin/nologin\n"
                                    "crlf:x:4001:4001::/:/bin/sh\r\n"
                                    "noeol:x:4002:4002::/nohome:/bin/false";

constexpr char const *group_text = "root:x:0:\n"
                                   "#c:x:7:spaced\n"
                                   "g1:x:5001:spaced,short, dup ,,crlf\n"
                                   "g2:x:5002:dup\n"
                                   "g3:x:5003\n"
                                   "g4:x:abc:dup\n"
                                   "g5:x:5005:dup\n"
                                   "g1:x:5006:dup\n"
                                   "  g7:x:5007:dup\n"
                                   "daemon:x:2:\n"
                                   "g8:x:5008:dupe,xdup,du\n"
                                   "g9:x:5009:spaced,dup";

struct files : h::account_files {
    files() : account_files(passwd_text, group_text) {}
};

} // namespace

TEST_CASE("passwd: well-formed entries and their fields", "[passwd]")
{
    files f;
    sv::user u;
    REQUIRE(sv::lookup_user("root", u, f.passwd.c_str()));
    CHECK(u.name == "root");
    CHECK(u.uid == 0);
    CHECK(u.gid == 0);
    CHECK(u.home == "/root");
    CHECK(u.shell == "/bin/bash");
    REQUIRE(sv::lookup_user("daemon", u, f.passwd.c_str()));
    CHECK(u.uid == 2);
    CHECK(u.gid == 2);
    REQUIRE(sv::lookup_user("noeol", u, f.passwd.c_str()));
    CHECK(u.uid == 4002);
    CHECK(u.shell == "/bin/false");
    REQUIRE(sv::lookup_user("max", u, f.passwd.c_str()));
    CHECK(u.uid == 4294967295u);
}

TEST_CASE("passwd: comments, blank lines and leading white space", "[passwd]")
{
    files f;
    sv::user u;
    CHECK_FALSE(sv::lookup_user("# comment", u, f.passwd.c_str()));
    CHECK_FALSE(sv::lookup_user("comment", u, f.passwd.c_str()));
    CHECK(errno == 0); // not found, as opposed to a read error
    REQUIRE(sv::lookup_user("spaced", u, f.passwd.c_str()));
    CHECK(u.uid == 2001);
}

TEST_CASE("passwd: malformed lines are skipped like glibc does", "[passwd]")
{
    files f;
    sv::user u;
    REQUIRE(sv::lookup_user("short", u, f.passwd.c_str())); // gecos/home/shell may be missing
    CHECK(u.gid == 2002);
    CHECK(u.home.empty());
    CHECK_FALSE(sv::lookup_user("shorter", u, f.passwd.c_str())); // no gid field
    CHECK_FALSE(sv::lookup_user("badnum", u, f.passwd.c_str()));
    CHECK_FALSE(sv::lookup_user("neg", u, f.passwd.c_str()));
    CHECK_FALSE(sv::lookup_user("emptyuid", u, f.passwd.c_str()));
    CHECK_FALSE(sv::lookup_user("big", u, f.passwd.c_str()));
    REQUIRE(sv::lookup_user("plus", u, f.passwd.c_str()));
    CHECK(u.uid == 7);
    REQUIRE(sv::lookup_user("sp", u, f.passwd.c_str()));
    CHECK(u.uid == 44);
    REQUIRE(sv::lookup_user("crlf", u, f.passwd.c_str())); // the CR stays in the last field
    CHECK(u.shell == "/bin/sh\r");
}

TEST_CASE("passwd: the first of duplicate names wins; lookup by uid", "[passwd]")
{
    files f;
    sv::user u;
    REQUIRE(sv::lookup_user("dup", u, f.passwd.c_str()));
    CHECK(u.uid == 3001);
    CHECK(u.home == "/home/dup");
    REQUIRE(sv::lookup_uid(3002, u, f.passwd.c_str()));
    CHECK(u.name == "dup");
    CHECK_FALSE(sv::lookup_uid(12345, u, f.passwd.c_str()));
}

TEST_CASE("passwd: an unreadable file is an error, not 'not found'", "[passwd]")
{
    h::tempdir t;
    sv::user u;
    std::string const missing = t / "nope";
    CHECK_FALSE(sv::lookup_user("root", u, missing.c_str()));
    CHECK(errno == ENOENT);
    sv::group g;
    CHECK_FALSE(sv::lookup_group("root", g, missing.c_str()));
    CHECK(errno == ENOENT);
    std::vector<gid_t> gids;
    CHECK_FALSE(sv::groups_of("root", gids, 100, missing.c_str()));
    CHECK(errno == ENOENT);
}

TEST_CASE("group: lookups by name and gid, members", "[passwd]")
{
    files f;
    sv::group g;
    REQUIRE(sv::lookup_group("g1", g, f.group.c_str()));
    CHECK(g.gid == 5001);
    // " dup " becomes "dup " (white space skipped before a name only); ",," is dropped.
    CHECK(g.members == std::vector<std::string>{"spaced", "short", "dup ", "crlf"});
    REQUIRE(sv::lookup_group("g3", g, f.group.c_str())); // no member field at all
    CHECK(g.gid == 5003);
    CHECK(g.members.empty());
    CHECK_FALSE(sv::lookup_group("g4", g, f.group.c_str())); // gid "abc"
    CHECK_FALSE(sv::lookup_group("c", g, f.group.c_str()));
    CHECK_FALSE(sv::lookup_group("#c", g, f.group.c_str()));
    REQUIRE(sv::lookup_group("g7", g, f.group.c_str()));
    CHECK(g.gid == 5007);
    REQUIRE(sv::lookup_gid(5006, g, f.group.c_str()));
    CHECK(g.name == "g1");
}

TEST_CASE("group: supplementary groups, in file order, duplicates kept", "[passwd]")
{
    files f;
    std::vector<gid_t> gids;
    REQUIRE(sv::groups_of("dup", gids, 100, f.group.c_str()));
    // g1 lists "dup " (no match), g4 is malformed, g8 has only near-misses, both g1 lines count.
    CHECK(gids == std::vector<gid_t>{5002, 5005, 5006, 5007, 5009});
    REQUIRE(sv::groups_of("spaced", gids, 100, f.group.c_str()));
    CHECK(gids == std::vector<gid_t>{5001, 5009}); // the commented line does not count
    REQUIRE(sv::groups_of("crlf", gids, 100, f.group.c_str()));
    CHECK(gids == std::vector<gid_t>{5001});
    REQUIRE(sv::groups_of("nobody-here", gids, 100, f.group.c_str()));
    CHECK(gids.empty());
    REQUIRE(sv::groups_of("dup", gids, 2, f.group.c_str())); // max stops the scan
    CHECK(gids == std::vector<gid_t>{5002, 5005});
}

TEST_CASE("group: very long lines and member lists", "[passwd]")
{
    h::tempdir t;
    std::string text = "big:x:7000:";
    for (int i = 0; i < 20000; i++) {
        if (i) text += ',';
        text += "member" + std::to_string(i);
    }
    text += "\nafter:x:7001:member19999\n";
    // Many groups too: 3000 lines that all list the same user.
    for (int i = 0; i < 3000; i++)
        text +=
            "many" + std::to_string(i) + ":x:" + std::to_string(10000 + i) + ":someone,target\n";
    std::string const path = t / "group";
    h::write_file(path, text);

    sv::group g;
    REQUIRE(sv::lookup_group("big", g, path.c_str()));
    CHECK(g.members.size() == 20000);
    CHECK(g.members.back() == "member19999");
    std::vector<gid_t> gids;
    REQUIRE(sv::groups_of("member19999", gids, 100, path.c_str()));
    CHECK(gids == std::vector<gid_t>{7000, 7001});
    REQUIRE(sv::groups_of("target", gids, sv::gid_list_max, path.c_str()));
    REQUIRE(gids.size() == 3000);
    CHECK(gids.front() == 10000);
    CHECK(gids.back() == 12999);
}

TEST_CASE("uidgid: s6-envuidgid resolution on given files", "[passwd]")
{
    files f;
    std::string bad;
    auto resolve = [&](std::string_view acc, sv::uidgid_spec &s) {
        return sv::resolve_uidgid(acc, s, bad, f.passwd.c_str(), f.group.c_str());
    };
    sv::uidgid_spec s; // default: account
    REQUIRE(resolve("dup", s) == sv::uidgid_status::ok);
    CHECK(s.uid == 3001);
    CHECK(s.gid == 3001);
    CHECK(s.gids == std::vector<gid_t>{5002, 5005, 5006, 5007, 5009});
    CHECK(sv::fmt_gid_list(s.gids) == "5002,5005,5006,5007,5009");

    sv::uidgid_spec u;
    CHECK(resolve("nosuch", u) == sv::uidgid_status::unknown_user);
    CHECK(bad == "nosuch");
    sv::uidgid_spec b;
    b.what = 3;
    CHECK(resolve("nosuch:alsono", b) == sv::uidgid_status::unknown_group); // group first
    CHECK(bad == "alsono");
    sv::uidgid_spec n;
    n.what = 3;
    n.numeric = true;
    REQUIRE(resolve("55:daemon", n) == sv::uidgid_status::ok);
    CHECK(n.uid == 55);
    CHECK(n.gid == 2);
}

TEST_CASE("uidgid: numbers and gid lists scanned like skalibs", "[passwd]")
{
    std::uint32_t v = 0;
    CHECK(sv::scan_u32_prefix("123abc", v) == 3);
    CHECK(v == 123);
    CHECK(sv::scan_u32_prefix("4294967296", v) == 9); // stops before overflowing
    CHECK(sv::scan_u32_prefix("x1", v) == 0);
    CHECK(sv::scan_u32("4294967295", v));
    CHECK_FALSE(sv::scan_u32("4294967296", v));
    CHECK_FALSE(sv::scan_u32("", v));
    CHECK_FALSE(sv::scan_u32("+1", v));

    std::vector<gid_t> l;
    CHECK(sv::scan_gid_list("1 2;3:4,5\t6\r\n7", l) == 14);
    CHECK(l == std::vector<gid_t>{1, 2, 3, 4, 5, 6, 7});
    CHECK(sv::scan_gid_list("9x", l) == 1);
    CHECK(l == std::vector<gid_t>{9});
    CHECK(sv::scan_gid_list(",9", l) == 0);
    CHECK(l.empty());
    CHECK(sv::scan_gid_list("1,,2", l) == 4);
    CHECK(l == std::vector<gid_t>{1, 2});

    sv::uidgid_spec s;
    CHECK(sv::scan_uidgid_defaults("7", s));
    CHECK((s.uid == 7 && s.gid == 0 && s.gids.empty()));
    CHECK(sv::scan_uidgid_defaults("::1", s));
    CHECK((s.uid == 0 && s.gid == 0 && s.gids == std::vector<gid_t>{1}));
    CHECK(sv::scan_uidgid_defaults("7:8:9x", s));
    CHECK(s.gids == std::vector<gid_t>{9});
    CHECK_FALSE(sv::scan_uidgid_defaults("", s));
    CHECK_FALSE(sv::scan_uidgid_defaults("x", s));
    CHECK_FALSE(sv::scan_uidgid_defaults("7x", s));
    CHECK_FALSE(sv::scan_uidgid_defaults("7:8x", s));
    CHECK_FALSE(sv::scan_uidgid_defaults("7:8:,9", s));
}
