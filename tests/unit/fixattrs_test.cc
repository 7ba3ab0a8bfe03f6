// fix-attrs rules (libsupervise/fixattrs.cc): the line parser, the account resolution of
// s6-overlay v2 (every worked example of reference/s6-overlay.md §3.1, with daemon = 2:2 as
// there), and the tree walk that must never follow a symlink out of the tree.
#include <catch2/catch.hpp>

#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include <supervise/fixattrs.hh>

#include "harness.hh"

namespace {

struct accounts : h::account_files {
    accounts()
        : account_files("root:x:0:0:root:/root:/bin/sh\n"
                        "daemon:x:2:2:daemon:/:/bin/false\n"
                        "web:x:33:33::/var/www:/bin/false\n",
                        "root:x:0:\ndaemon:x:2:\nweb:x:33:\nextra:x:50:daemon\n")
    {
    }
};

sv::fixattrs_rule parse_ok(std::string_view line)
{
    sv::fixattrs_rule r;
    std::string why;
    INFO(line);
    REQUIRE(sv::fixattrs_parse(line, r, why) == sv::fixattrs_line::rule);
    return r;
}

// "uid/gid" for the account field, or "fail:NAME".
std::string resolve(accounts const &a, std::string const &account)
{
    sv::fixattrs_rule r = parse_ok("/x false " + account + " 0644 0755");
    uid_t uid;
    gid_t gid;
    std::string bad;
    auto st = sv::fixattrs_resolve(r, uid, gid, bad, a.passwd.c_str(), a.group.c_str());
    if (st != sv::uidgid_status::ok) return "fail:" + bad;
    return std::to_string(uid) + "/" + std::to_string(gid);
}

struct collect final : sv::fixattrs_reporter
{
    std::vector<std::string> failures;
    void fail(std::string_view what, std::string_view path) noexcept override
    {
        failures.push_back(std::string(what) + " " + std::string(path));
    }
};

} // namespace

TEST_CASE("fixattrs: a full rule line", "[fixattrs]")
{
    auto r = parse_ok("/var/lib/app/*  true   web,33:33:1,2  0640 2750");
    CHECK(r.path == "/var/lib/app/*");
    CHECK(r.recurse);
    CHECK(r.account == "web");
    CHECK(r.has_fallback);
    CHECK(r.spec.uid == 33);
    CHECK(r.spec.gid == 33);
    CHECK(r.spec.gids == std::vector<gid_t>{1, 2});
    CHECK_FALSE(r.spec.insist);
    CHECK(r.spec.what == 7);
    CHECK(r.fmode == 0640);
    CHECK(r.dmode == 02750);

    auto t = parse_ok("\t/etc/x false root:root - -\r");
    CHECK_FALSE(t.recurse);
    CHECK(t.spec.what == 3);
    CHECK(t.spec.numeric);
    CHECK(t.spec.insist);
    CHECK(t.fmode == -1);
    CHECK(t.dmode == -1);
    // Like v2, any word but "true" means no recursion.
    CHECK_FALSE(parse_ok("/x yes root 0644 0755").recurse);
    CHECK_FALSE(parse_ok("/x TRUE root 0644 0755").recurse);
    // A trailing comment after the fifth field is allowed.
    CHECK(parse_ok("/x true root 0644 0755 # why").recurse);
}

TEST_CASE("fixattrs: blank and comment lines are skipped", "[fixattrs]")
{
    sv::fixattrs_rule r;
    std::string why;
    for (std::string_view l : {"", "   ", "\t\r", "#", "# /x true root 0644 0755", "  #x y"}) {
        INFO(l);
        CHECK(sv::fixattrs_parse(l, r, why) == sv::fixattrs_line::skip);
    }
}

TEST_CASE("fixattrs: malformed lines say what is wrong", "[fixattrs]")
{
    sv::fixattrs_rule r;
    std::string why;
    CHECK(sv::fixattrs_parse("/x true root 0644", r, why) == sv::fixattrs_line::bad);
    CHECK(why.find("5 fields") != std::string::npos);
    CHECK(sv::fixattrs_parse("/x true root 0644 0755 extra", r, why) == sv::fixattrs_line::bad);
    CHECK(why.find("extra") != std::string::npos);
    CHECK(sv::fixattrs_parse("/x true root 0648 0755", r, why) == sv::fixattrs_line::bad);
    CHECK(why.find("0648") != std::string::npos);
    CHECK(sv::fixattrs_parse("/x true root 0644 17777", r, why) == sv::fixattrs_line::bad);
    CHECK(sv::fixattrs_parse("/x true root rw 0755", r, why) == sv::fixattrs_line::bad);
    CHECK(sv::fixattrs_parse("/x true root,x:y 0644 0755", r, why) == sv::fixattrs_line::bad);
    CHECK(why.find("fallback") != std::string::npos);
}

TEST_CASE("fixattrs: every worked example of the reference (daemon = 2:2)", "[fixattrs]")
{
    accounts a;
    CHECK(resolve(a, "daemon") == "2/2");
    CHECK(resolve(a, "daemon,3:4") == "2/2");
    CHECK(resolve(a, "2:2,3:4") == "2/2");
    CHECK(resolve(a, "daemon:11111,3:4") == "2/11111");
    CHECK(resolve(a, "11111:daemon,3:4") == "11111/2");
    CHECK(resolve(a, "daemon:unexisting,3:4") == "2/4");
    CHECK(resolve(a, "unexisting:daemon,3:4") == "3/2");
    CHECK(resolve(a, "11111:11111,3:4") == "11111/11111");
}

TEST_CASE("fixattrs: the other fallback rules", "[fixattrs]")
{
    accounts a;
    // A name without ':' is a user name only: a number is not a uid, so 1000 fails...
    CHECK(resolve(a, "1000") == "fail:1000");
    // ...unless there is a fallback.
    CHECK(resolve(a, "1000,7:8") == "7/8");
    CHECK(resolve(a, "unexisting") == "fail:unexisting");
    CHECK(resolve(a, "unexisting,3:4") == "3/4");
    CHECK(resolve(a, "unexisting,3") == "3/0");
    // user:group without a fallback: each side by name, else numeric, else the line fails.
    CHECK(resolve(a, "web:daemon") == "33/2");
    CHECK(resolve(a, "5:6") == "5/6");
    CHECK(resolve(a, "daemon:unexisting") == "fail:unexisting");
    CHECK(resolve(a, "unexisting:daemon") == "fail:unexisting");
    // An empty side is left at the fallback's value (0 without one).
    CHECK(resolve(a, "daemon:") == "2/0");
    CHECK(resolve(a, "daemon:,3:4") == "2/4");
    CHECK(resolve(a, ":web") == "0/33");
    // Without ':' the user's primary gid is used, whatever the fallback says.
    CHECK(resolve(a, "web,1:1") == "33/33");
}

TEST_CASE("fixattrs: S6_FIX_ATTRS_HIDDEN", "[fixattrs]")
{
    CHECK_FALSE(sv::fixattrs_hidden(nullptr));
    CHECK_FALSE(sv::fixattrs_hidden(""));
    CHECK_FALSE(sv::fixattrs_hidden("0"));
    CHECK(sv::fixattrs_hidden("1"));
    CHECK(sv::fixattrs_hidden("true"));
}

TEST_CASE("fixattrs: the walk applies modes and never leaves the tree", "[fixattrs]")
{
    h::tempdir t;
    h::umask_guard um(022);
    std::string const tree = t / "tree", out = t / "outside";
    REQUIRE(::mkdir(tree.c_str(), 0755) == 0);
    REQUIRE(::mkdir((tree + "/sub").c_str(), 0755) == 0);
    REQUIRE(::mkdir((tree + "/.hdir").c_str(), 0755) == 0);
    REQUIRE(::mkdir(out.c_str(), 0700) == 0);
    h::write_file(tree + "/a", "");
    h::write_file(tree + "/.hidden", "");
    h::write_file(tree + "/sub/b", "");
    h::write_file(out + "/secret", "");
    REQUIRE(::chmod((out + "/secret").c_str(), 0600) == 0);
    REQUIRE(::symlink(out.c_str(), (tree + "/dlink").c_str()) == 0);
    REQUIRE(::symlink((out + "/secret").c_str(), (tree + "/flink").c_str()) == 0);

    // Our own ids, so the test also works unprivileged.
    uid_t const uid = ::geteuid();
    gid_t const gid = ::getegid();
    collect rep;
    CHECK(sv::fixattrs_apply(tree.c_str(), uid, gid, 0640, 0750, true, false, rep) == 0);
    CHECK(rep.failures.empty());
    CHECK((h::mode_of(tree) & 07777) == 0750);
    CHECK((h::mode_of(tree + "/sub") & 07777) == 0750);
    CHECK((h::mode_of(tree + "/a") & 07777) == 0640);
    CHECK((h::mode_of(tree + "/sub/b") & 07777) == 0640);
    // Dot-files are left alone unless asked for.
    CHECK((h::mode_of(tree + "/.hidden") & 07777) == 0644);
    CHECK((h::mode_of(tree + "/.hdir") & 07777) == 0755);
    // The targets of the links are untouched.
    CHECK((h::mode_of(out) & 07777) == 0700);
    CHECK((h::mode_of(out + "/secret") & 07777) == 0600);

    CHECK(sv::fixattrs_apply(tree.c_str(), uid, gid, 0604, -1, true, true, rep) == 0);
    CHECK((h::mode_of(tree + "/.hidden") & 07777) == 0604);
    CHECK((h::mode_of(tree + "/.hdir") & 07777) == 0755); // "-": directories left alone
    CHECK((h::mode_of(tree) & 07777) == 0750);
    CHECK((h::mode_of(out + "/secret") & 07777) == 0600);

    // Without recursion only the path itself changes.
    CHECK(sv::fixattrs_apply(tree.c_str(), uid, gid, 0600, 0700, false, true, rep) == 0);
    CHECK((h::mode_of(tree) & 07777) == 0700);
    CHECK((h::mode_of(tree + "/a") & 07777) == 0604);
}

TEST_CASE("fixattrs: the named path itself follows a symlink, as in v2", "[fixattrs]")
{
    h::tempdir t;
    std::string const target = t / "target", link = t / "link";
    h::write_file(target, "");
    REQUIRE(::chmod(target.c_str(), 0600) == 0);
    REQUIRE(::symlink(target.c_str(), link.c_str()) == 0);
    collect rep;
    CHECK(sv::fixattrs_apply(link.c_str(), ::geteuid(), ::getegid(), 0644, 0755, true, false,
                             rep) == 0);
    CHECK((h::mode_of(target) & 07777) == 0644);
}

TEST_CASE("fixattrs: failures are reported and the walk goes on", "[fixattrs]")
{
    h::tempdir t;
    std::string const missing = t / "missing";
    collect rep;
    CHECK(sv::fixattrs_apply(missing.c_str(), ::geteuid(), ::getegid(), 0644, 0755, true, false,
                             rep) == 2); // chown and stat
    REQUIRE(rep.failures.size() == 2);
    CHECK(rep.failures[0] == "chown " + missing);
}

TEST_CASE("fixattrs: glob expansion like glob(3)", "[fixattrs]")
{
    h::tempdir t;
    std::string const b = t.path();
    for (auto const &d : {"/d1", "/d2", "/d1/sub", "/.hd"})
        REQUIRE(::mkdir((b + d).c_str(), 0755) == 0);
    for (auto const &f :
         {"/a.conf", "/b.conf", "/.hidden.conf", "/d1/x", "/d2/x", "/d1/sub/y", "/star*", "/q?"})
        h::write_file(b + f, "");
    REQUIRE(::symlink("nowhere", (b + "/dangling").c_str()) == 0);
    std::vector<std::string> out;
    auto g = [&](std::string const &pat) {
        REQUIRE(sv::glob_paths(pat, out));
        std::vector<std::string> rel;
        for (auto const &p : out)
            rel.push_back(p.substr(b.size()));
        return rel;
    };
    using v = std::vector<std::string>;
    CHECK(g(b + "/*.conf") == v{"/a.conf", "/b.conf"}); // dot-files need a leading '.'
    CHECK(g(b + "/.*.conf") == v{"/.hidden.conf"});
    CHECK(g(b + "/d?/x") == v{"/d1/x", "/d2/x"});
    CHECK(g(b + "/d[2-9]/*") == v{"/d2/x"});
    CHECK(g(b + "/*/sub/y") == v{"/d1/sub/y"});
    CHECK(g(b + "/d*/") == v{"/d1/", "/d2/"});
    CHECK(g(b + "/nomatch*").empty());
    CHECK(g(b + "/a.conf") == v{"/a.conf"}); // no wildcard: kept if it exists
    CHECK(g(b + "/missing").empty());
    CHECK(g(b + "/dangling") == v{"/dangling"}); // exists as a link
    CHECK(g(b + "/star\\*") == v{"/star*"});     // escaped wildcard
    CHECK(g(b + "//d1//x") == v{"/d1/x"});
    CHECK(g(b + "/*") == v{"/a.conf", "/b.conf", "/d1", "/d2", "/dangling", "/q?", "/star*"});
}
