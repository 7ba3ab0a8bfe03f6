// Integration tests for the privilege and environment tools: s6-setuidgid, s6-envuidgid,
// s6-applyuidgid, s6-envdir, s6-setsid, s6-softlimit (each run differentially against stock
// s6 2.11.3.2 on the same inputs: same ids, groups, environment, stderr and exit code), and
// the s6-overlay helpers with-contenv, printcontenv and fix-attrs.
//
// Account databases other than the system's are tested by bind-mounting made-up passwd and
// group files over /etc in a private mount namespace (unshare -m), where stock (through
// glibc's NSS files backend) and ours (reading the files directly) see the same files.  The
// container environment is tested the same way, on a tmpfs over /run.  Those tests need root;
// without it (or without the stock tool) they report themselves SKIPPED (h::skip).
#include "harness.hh"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include <supervise/passwd.hh>

namespace {

using strings = std::vector<std::string>;

// The environment every differential run starts from (plus the extra entries given).
strings base_env(strings const &extra = {})
{
    strings e{"/usr/bin/env", "-i", "PATH=/usr/bin:/bin", "UID=9", "GID=9", "GIDLIST=9,10"};
    e.insert(e.end(), extra.begin(), extra.end());
    return e;
}

// Prints what a program runs as and with: its ids and groups, then its environment sorted.
strings const probe{"/bin/sh", "-c",
                    "grep -E '^(Uid|Gid|Groups):' /proc/self/status; env -0 | sort -z"};

// Runs BIN ARGS... in a clean environment (with prefix prepended, e.g. a namespace setup).
h::result run_in(std::string const &bin, strings const &args, strings const &env_extra = {},
                 strings const &prefix = {}, std::string const &input = {})
{
    strings argv = prefix;
    strings e = base_env(env_extra);
    argv.insert(argv.end(), e.begin(), e.end());
    argv.push_back(bin);
    argv.insert(argv.end(), args.begin(), args.end());
    h::run_opts o;
    o.input = input;
    return h::run(argv, o);
}

// Runs TOOL ARGS... with stock and with ours and requires the same exit code, stdout and
// stderr (stock's doubled "fatal: : " normalised).
void same(std::string const &tool, strings const &args, strings const &env_extra = {},
          strings const &prefix = {})
{
    auto s = run_in(h::stock(tool), args, env_extra, prefix);
    auto o = run_in(h::ours(tool), args, env_extra, prefix);
    std::string cmd = tool;
    for (auto const &a : args)
        cmd += " '" + a + "'";
    INFO(cmd);
    h::check_same(o, s);
}

strings plus(strings a, strings const &b)
{
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

// A few accounts of this system to compare on (those that exist).
strings system_accounts()
{
    strings out;
    for (char const *n : {"root", "daemon", "nobody", "bin", "postgres", "www-data"}) {
        sv::user u;
        if (sv::lookup_user(n, u)) out.push_back(n);
    }
    return out;
}

// Skips the test unless a private mount namespace can be made here (root and unshare).
void need_mount_namespace()
{
    static int ok = -1;
    if (ok < 0) {
        ok = 0;
        if (geteuid() == 0 && h::exists("/usr/bin/unshare")) {
            auto r = h::run({"/usr/bin/unshare", "-m", "/bin/true"});
            ok = r.code == 0;
        }
    }
    if (!ok) h::skip("cannot create a mount namespace (needs root and /usr/bin/unshare)");
}

// A prefix that runs the rest of the command with PASSWD and GROUP over /etc/passwd and
// /etc/group, in a private mount namespace.
strings with_accounts(std::string const &passwd, std::string const &group)
{
    return {"/usr/bin/unshare",
            "-m",
            "/bin/sh",
            "-c",
            "mount --bind \"$1\" /etc/passwd && mount --bind \"$2\" /etc/group && shift 2 && "
            "exec \"$@\"",
            "sh",
            passwd,
            group};
}

// A prefix that runs the rest of the command with DIR as /run/s6/container_environment.
strings with_contenv_dir(std::string const &dir)
{
    return {"/usr/bin/unshare",
            "-m",
            "/bin/sh",
            "-c",
            "mount -t tmpfs tmpfs /run && mkdir -p /run/s6/container_environment && "
            "mount --bind \"$1\" /run/s6/container_environment && shift && exec \"$@\"",
            "sh",
            dir};
}

} // namespace

TEST_CASE("s6-setuidgid nobody: nobody's uid, gid and exactly its groups", "[privilege]")
{
    h::need_root("s6-setuidgid cannot change ids");
    sv::user u;
    REQUIRE(sv::lookup_user("nobody", u));
    std::vector<gid_t> groups;
    REQUIRE(sv::groups_of("nobody", groups));
    groups.push_back(u.gid);
    std::sort(groups.begin(), groups.end());
    groups.erase(std::unique(groups.begin(), groups.end()), groups.end());
    std::string want_groups;
    for (gid_t g : groups)
        want_groups += (want_groups.empty() ? "" : " ") + std::to_string(g);

    auto r = run_in(h::ours("s6-setuidgid"), {"nobody", "/bin/sh", "-c",
                                              "id -u; id -g; id -G | tr ' ' '\\n' | sort -n "
                                              "| uniq | tr '\\n' ' '; echo; env"});
    REQUIRE(r.code == 0);
    CHECK(r.out.find(std::to_string(u.uid) + "\n" + std::to_string(u.gid) + "\n" + want_groups +
                     " \n") == 0);
    // UID, GID and GIDLIST are not left in the program's environment.
    CHECK(r.out.find("UID=") == std::string::npos);
    CHECK(r.out.find("GIDLIST=") == std::string::npos);
    CHECK(r.err.empty());
}

TEST_CASE("s6-envuidgid: same environment and exit codes as stock", "[privilege]")
{
    h::need_stock("s6-envuidgid");
    for (auto const &acc : system_accounts()) {
        same("s6-envuidgid", plus({acc}, probe));
        same("s6-envuidgid", plus({"-u", acc}, probe));
        same("s6-envuidgid", plus({"-g", acc}, probe));
        same("s6-envuidgid", plus({"-B", acc + ":" + acc}, probe));
        same("s6-envuidgid", plus({"-n", acc}, probe));
        same("s6-envuidgid", plus({"-D", "7:8:9", acc}, probe));
    }
    for (strings const &args : std::vector<strings>{{"nosuchuser"},
                                                    {"-u", "nosuchuser"},
                                                    {"-g", "nosuchgroup"},
                                                    {"-B", "root:nosuchgroup"},
                                                    {"-B", "nosuchuser:root"},
                                                    {"-B", ":root"},
                                                    {"-B", "root:"},
                                                    {"-B", ":"},
                                                    {"-B", ""},
                                                    {"-n", "55"},
                                                    {"-n", "55:66"},
                                                    {"-n", "55x:66y"},
                                                    {"-nB", "xx:yy"},
                                                    {"55"},
                                                    {"-D", "7", "nosuchuser"},
                                                    {"-D", "7:8:9,10", "nosuchuser"},
                                                    {"-D", "7:8:9,10", "-i", "nosuchuser"},
                                                    {"-i", "-D", "7:8", "nosuchuser"},
                                                    {"-D", "7:8", "-B", "nosuchuser:root"},
                                                    {"-D", "7:8", "-u", "x"},
                                                    {"-D", "7:8", "-g", "x"},
                                                    {"-D", ":8", "x"},
                                                    {"-D", "::1", "x"},
                                                    {"-D", "7:8:1 2;3:4", "x"},
                                                    {"-D", "7:8:1,,2", "x"},
                                                    {"-D", "7:8:9x", "x"},
                                                    {"-D", "x", "x"},
                                                    {"-D", "", "x"},
                                                    {"-D", "7x", "x"},
                                                    {"-D", "7:8x", "x"},
                                                    {"-D", "7:8:,9", "x"},
                                                    {"-x", "root"},
                                                    {"--", "root"}})
        same("s6-envuidgid", plus(args, probe));
    same("s6-envuidgid", {});
    same("s6-envuidgid", {"root"});
    same("s6-envuidgid", {"root", "/nonexistent/prog"});
    same("s6-envuidgid", {"root", "nonexistent-prog"});
    same("s6-envuidgid", {"root", "/etc"});
}

TEST_CASE("s6-applyuidgid: same ids, groups, environment and exit codes as stock", "[privilege]")
{
    h::need_stock("s6-applyuidgid");
    h::need_root("s6-applyuidgid cannot change ids");
    for (strings const &args : std::vector<strings>{{"-g", "5", "-G", "5,5,6"},
                                                    {"-g", "6", "-G", "5,5,6"},
                                                    {"-g", "5", "-G", "6,5,6"},
                                                    {"-G", "6,7"},
                                                    {"-G", ""},
                                                    {"-g", "9", "-G", ""},
                                                    {"-u", "1"},
                                                    {"-U"},
                                                    {"-Uz"},
                                                    {"-zU", "-u", "7", "-G", "8"},
                                                    {"-u", "7", "-U"},
                                                    {"-u", "x"},
                                                    {"-u", "4294967296"},
                                                    {"-u", ""},
                                                    {"-G", "9x"},
                                                    {"-G", ",9"},
                                                    {"-g", "3", "-G", "1 2;3"},
                                                    {"-u", "65534", "-g", "65534", "-G", ""},
                                                    {"-g", "0", "-G", "4"},
                                                    {"-x"},
                                                    {"-z"}})
        same("s6-applyuidgid", plus(args, probe));
    same("s6-applyuidgid", {});
    same("s6-applyuidgid", {"-u", "1", "nonexistent-prog"});
    same("s6-applyuidgid", {"-u", "1", "-g", "1", "-G", "2", "/etc"});
    // After dropping privileges, setting groups fails: exit 111.
    same("s6-applyuidgid", {"-u", "65534", "-g", "65534", "-G", "", h::stock("s6-applyuidgid"),
                            "-g", "0", "-G", "0", "true"});
    // Bad or missing variables for -U (a nested env unsets one).
    for (strings const &env : std::vector<strings>{{"UID=", "GID=2", "GIDLIST="},
                                                   {"/usr/bin/env", "-u", "UID"},
                                                   {"UID=x", "GID=2", "GIDLIST="},
                                                   {"UID=1", "GID=2", "GIDLIST=x"},
                                                   {"/usr/bin/env", "-u", "GIDLIST"},
                                                   {"/usr/bin/env", "-u", "GID"},
                                                   {"GID=y"}})
        same("s6-applyuidgid", {"-U", "/bin/true"}, env);
}

TEST_CASE("s6-setuidgid: same results as stock's envuidgid/applyuidgid chain", "[privilege]")
{
    h::need_stock("s6-setuidgid");
    h::need_root("s6-setuidgid cannot change ids");
    for (auto const &acc : system_accounts())
        same("s6-setuidgid", plus({acc}, probe));
    for (std::string const acc : {"nosuchuser", "daemon:daemon", "1:x", "1:", ":2", ":", "", "5:6",
                                  "5:6:7", "100:100", "-x", "--", "-u"})
        same("s6-setuidgid", plus({acc}, probe));
    same("s6-setuidgid", {});
    same("s6-setuidgid", {"root"});
    same("s6-setuidgid", {"nobody", "nonexistent-prog"});
    same("s6-setuidgid", {"", "nonexistent-prog"});
    same("s6-setuidgid", {"nobody", "/etc"});
    same("s6-setuidgid", {"nobody", h::stock("s6-setuidgid"), "root", "/bin/true"});
}

TEST_CASE("uid tools: the environment comes out in stock's order", "[privilege]")
{
    // skalibs' exec merges a replaced or removed variable by moving the last entry into its
    // slot; the base environment has UID, GID and GIDLIST with other variables after them.
    h::need_stock("s6-envuidgid");
    h::need_root("s6-applyuidgid and s6-setuidgid change ids");
    strings const env{"A=1", "B=2", "C=3"};
    strings const show{"/usr/bin/env"};
    same("s6-envuidgid", plus({"nobody"}, show), env);
    same("s6-envuidgid", plus({"-n", "7:8"}, show), env);
    same("s6-envuidgid", plus({"-g", "nobody"}, show), env);
    same("s6-applyuidgid", plus({"-z", "-U"}, show), env);
    same("s6-setuidgid", plus({"nobody"}, show), env);
}

TEST_CASE("uid tools on made-up account files: same as stock (glibc's files backend)",
          "[privilege]")
{
    h::need_stock("s6-envuidgid");
    need_mount_namespace();
    h::tempdir t;
    std::string passwd = "root:x:0:0:root:/root:/bin/sh\n"
                         "# commented:x:5:5::/:/bin/sh\n"
                         "\n"
                         "  spaced:x:2001:2001::/:/bin/sh\n"
                         "short:x:2002:2002\n"
                         "shorter:x:2003\n"
                         "badnum:x:12a:5::/:/bin/sh\n"
                         "plus:x:+7:5::/:/bin/sh\n"
                         "dup:x:3001:3001::/:/bin/sh\n"
                         "dup:x:3002:3002::/:/bin/sh\n"
                         "many:x:3100:3100::/:/bin/sh\n"
                         "nobody:x:65534:65534::/:/bin/sh\n";
    std::string group = "root:x:0:\n"
                        "#c:x:7:spaced\n"
                        "g1:x:5001:spaced,short, dup ,,many\n"
                        "g2:x:5002:dup\n"
                        "g3:x:5003\n"
                        "g4:x:abc:dup\n"
                        "  g7:x:5007:dup,many\n"
                        "nogroup:x:65534:\n";
    // A very long member list, and many groups for one user.
    std::string big = "big:x:6000:";
    for (int i = 0; i < 5000; i++)
        big += "m" + std::to_string(i) + ",";
    group += big + "many\n";
    for (int i = 0; i < 200; i++)
        group += "mg" + std::to_string(i) + ":x:" + std::to_string(7000 + i) + ":x,many,y\n";
    h::write_file(t / "passwd", passwd);
    h::write_file(t / "group", group);
    auto ns = with_accounts(t / "passwd", t / "group");

    for (std::string const acc : {"root", "spaced", "short", "shorter", "badnum", "plus", "dup",
                                  "many", "nobody", "commented", "m4999"}) {
        same("s6-envuidgid", plus({acc}, probe), {}, ns);
        same("s6-envuidgid", plus({"-B", acc + ":g7"}, probe), {}, ns);
        same("s6-setuidgid", plus({acc}, probe), {}, ns);
    }
    same("s6-envuidgid", plus({"-g", "big"}, probe), {}, ns);
    same("s6-envuidgid", plus({"-g", "g4"}, probe), {}, ns);
    same("s6-envuidgid", plus({"-g", "c"}, probe), {}, ns);
}

TEST_CASE("s6-envdir: same environment and exit codes as stock", "[privilege]")
{
    h::need_stock("s6-envdir");
    h::tempdir t;
    std::string const d = t / "env";
    h::mkdirs(d);
    h::write_file(d + "/A", "abc");
    h::write_file(d + "/B", "abc  \t\r\n2nd\n");
    h::write_file(d + "/C", "\n");
    h::write_file(d + "/D", "");
    h::write_file(d + "/E", std::string("a\0b\nc", 5));
    h::write_file(d + "/F", "x\n\n");
    h::write_file(d + "/G", "tr  ");
    h::write_file(d + "/H", " lead\ttab ");
    h::write_file(d + "/M", "multi\nline\nvalue\n");
    h::write_file(d + "/SPACES", "hello brave world\n");
    h::write_file(d + "/BIG", std::string(5000, 'z') + "\n");
    h::write_file(d + "/.hidden", "x");
    h::write_file(d + "/x=y", "x");
    strings const env_probe{"/bin/sh", "-c", "env -0 | sort -z"};
    for (std::string const opts :
         {"", "-n", "-f", "-nf", "-L", "-Ln", "-Lf", "-Lnf", "-I", "-i", "-If", "-cZ", "-fcZ"}) {
        strings args;
        if (!opts.empty()) args.push_back(opts);
        args.push_back(d);
        same("s6-envdir", plus(args, env_probe), {"D=was-set", "A=old"});
    }
    same("s6-envdir", plus({"-c", "", d}, env_probe));
    // Unsorted: the order of the environment is skalibs' merge order too.
    same("s6-envdir", {d, "/usr/bin/env"}, {"D=was-set", "A=old"});
    same("s6-envdir", plus({"-x", d}, env_probe));
    same("s6-envdir", plus({t / "missing"}, env_probe));
    same("s6-envdir", plus({"-I", t / "missing"}, env_probe));
    same("s6-envdir", plus({"-I", d + "/A"}, env_probe));
    same("s6-envdir", {d});
    same("s6-envdir", {});
    same("s6-envdir", {d, "nonexistent-prog"});
    same("s6-envdir", {d, "/etc"});
    // A subdirectory makes the whole directory unreadable.
    h::mkdirs(t / "withsub/sub");
    same("s6-envdir", plus({t / "withsub"}, env_probe));
    // PATH set by the directory reaches the program but is not used to find it.
    h::mkdirs(t / "pathdir");
    h::write_file(t / "pathdir/PATH", "/nonexistent\n");
    auto s = run_in(h::stock("s6-envdir"), {t / "pathdir", "env"});
    auto o = run_in(h::ours("s6-envdir"), {t / "pathdir", "env"});
    auto lines = [](std::string const &x) {
        strings v;
        for (std::size_t p = 0, q; p < x.size(); p = q + 1) {
            q = x.find('\n', p);
            if (q == std::string::npos) q = x.size();
            v.push_back(x.substr(p, q - p));
        }
        std::sort(v.begin(), v.end());
        return v;
    };
    CHECK(o.code == 0);
    CHECK(o.code == s.code);
    CHECK(lines(o.out) == lines(s.out)); // the order of the variables is not kept by s6
    CHECK(o.out.find("PATH=/nonexistent\n") != std::string::npos);
}

TEST_CASE("s6-setsid: same sessions, groups, messages and exit codes as stock", "[privilege]")
{
    h::need_stock("s6-setsid");
    // Prints whether the program leads its process group and its session.
    strings const leader{"/bin/sh", "-c",
                         "set -- $(cat /proc/$$/stat); [ $1 = $5 ] && echo pgrp-leader; "
                         "[ $1 = $6 ] && echo session-leader; true"};
    for (strings const &opts : std::vector<strings>{{},
                                                    {"-s"},
                                                    {"-b"},
                                                    {"-i"},
                                                    {"-b", "-i"},
                                                    {"-q"},
                                                    {"-f"},
                                                    {"-f", "-q"},
                                                    {"-f", "-i"},
                                                    {"-g", "-q"},
                                                    {"-b", "-d", "3"}})
        same("s6-setsid", plus(opts, leader));
    same("s6-setsid", {});
    same("s6-setsid", {"-x", "/bin/true"});
    same("s6-setsid", {"-d", "x", "/bin/true"});
    same("s6-setsid", {"-d", "", "/bin/true"});
    same("s6-setsid", {"-f", "-d", "99", "/bin/true"});
    same("s6-setsid", {"nonexistent-prog"});
    same("s6-setsid", {"/etc"});
    same("s6-setsid", {"--", "/bin/true"});
}

TEST_CASE("s6-softlimit: same limits, messages and exit codes as stock", "[privilege]")
{
    h::need_stock("s6-softlimit");
    strings const limits{"/bin/sh", "-c",
                         "for o in n c t d s l v u f m; do printf '%s %s %s\\n' $o "
                         "$(ulimit -S$o) $(ulimit -H$o); done"};
    for (strings const &opts : std::vector<strings>{
             {},
             {"-o", "100"},
             {"-o", "100", "-h", "-o", "200"},
             {"-h", "-o", "10"},
             {"-H", "-o", "10"},
             {"-H", "-o", "="},
             {"-o", "99999999"},
             {"-h", "-o", "99999999"},
             {"-h", "-c", "="},
             {"-H", "-c", "="},
             {"-c", "5", "-H", "-c", "="},
             {"-h", "-H", "-o", "300"},
             {"-H", "-h", "-o", "300"},
             {"-o", "1x"},
             {"-o", "-5"},
             {"-o", ""},
             {"-o", "99999999999999999999999"},
             {"-o", "18446744073709551615"},
             {"-o", "007"},
             {"-xo5", "-o6"},
             {"-z"},
             {"-m", "100000000"},
             {"-t", "5", "-h", "-t", "9"},
             {"-o", "="},
             {"-p", "=", "-t", "="},
             {"-a", "1000000000", "-c", "7", "-d", "100000000", "-f", "100000", "-l", "4096", "-p",
              "500", "-r", "3000000", "-s", "1000000", "-t", "3"}})
        same("s6-softlimit", plus(opts, limits));
    same("s6-softlimit", {});
    same("s6-softlimit", {"-o", "5"});
    same("s6-softlimit", {"-o", "5", "nonexistent-prog"});
    same("s6-softlimit", {"/etc"});
}

TEST_CASE("fix-attrs: a tree with nested dirs, dot-files and a link out of it", "[privilege]")
{
    h::tempdir t;
    std::string const tree = t / "tree", out = t / "outside";
    h::mkdirs(tree + "/sub/deep");
    h::mkdirs(tree + "/.hdir");
    h::mkdirs(out);
    for (auto const &f : {tree + "/a", tree + "/.hidden", tree + "/sub/b", tree + "/sub/deep/c",
                          tree + "/.hdir/x", out + "/secret"})
        h::write_file(f, "", 0644);
    chmod(out.c_str(), 0700);
    chmod((out + "/secret").c_str(), 0600);
    REQUIRE(symlink(out.c_str(), (tree + "/dlink").c_str()) == 0);
    REQUIRE(symlink((out + "/secret").c_str(), (tree + "/flink").c_str()) == 0);
    auto mode = [](std::string const &p) {
        struct stat st;
        return lstat(p.c_str(), &st) == 0 ? st.st_mode & 07777 : 0u;
    };
    auto owner = [](std::string const &p) {
        struct stat st;
        return lstat(p.c_str(), &st) == 0
                   ? std::to_string(st.st_uid) + ":" + std::to_string(st.st_gid)
                   : std::string("?");
    };
    bool const root = geteuid() == 0;
    // As root, give everything to 5:6; otherwise keep our own ids.
    std::string const acc =
        root ? "5:6" : std::to_string(geteuid()) + ":" + std::to_string(getegid());
    std::string const rules = "# comment line\n"
                              "\n" +
                              tree + " true " + acc + " 0640 0750\n" + t.path() +
                              "/nomatch* true root 0600 0700\n"
                              "bad line\n" +
                              tree + "/a false no-such-user 0644 0755\n" + tree +
                              "/a false root 0999 0755\n";
    h::run_opts with_rules;
    with_rules.input = rules;
    auto r = h::run({"/usr/bin/env", "-i", h::ours("fix-attrs")}, with_rules);
    CHECK(r.code == 1);
    CHECK(r.err.find("fix-attrs: warning: stdin:5: malformed line") != std::string::npos);
    CHECK(r.err.find("fix-attrs: warning: stdin:6: unknown user: no-such-user") !=
          std::string::npos);
    CHECK(r.err.find("fix-attrs: warning: stdin:7: malformed line: invalid file mode") !=
          std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 3);
    CHECK(mode(tree) == 0750);
    CHECK(mode(tree + "/sub/deep") == 0750);
    CHECK(mode(tree + "/sub/deep/c") == 0640);
    CHECK(mode(tree + "/a") == 0640);
    CHECK(mode(tree + "/.hidden") == 0644);
    CHECK(mode(tree + "/.hdir") == 0755);
    CHECK(mode(out) == 0700);
    CHECK(mode(out + "/secret") == 0600);
    if (root) {
        CHECK(owner(tree + "/sub/deep/c") == "5:6");
        CHECK(owner(tree + "/dlink") == "5:6"); // the link itself
        CHECK(owner(tree + "/.hidden") == "0:0");
        CHECK(owner(out) == "0:0");
        CHECK(owner(out + "/secret") == "0:0");
    }

    // With S6_FIX_ATTRS_HIDDEN, from a rules file given as argument, all lines good.
    h::write_file(t / "rules", tree + " true " + acc + " 0604 -\n");
    r = h::run({"/usr/bin/env", "-i", "S6_FIX_ATTRS_HIDDEN=1", h::ours("fix-attrs"), t / "rules"});
    CHECK(r.code == 0);
    CHECK(r.err.empty());
    CHECK(mode(tree + "/.hidden") == 0604);
    CHECK(mode(tree + "/.hdir/x") == 0604);
    CHECK(mode(tree + "/.hdir") == 0755);
    CHECK(mode(out + "/secret") == 0600);

    // Errors reading an input, and usage.
    r = h::run({h::ours("fix-attrs"), t / "missing-rules"});
    CHECK(r.code == 111);
    CHECK(r.err.find("unable to read " + t.path() + "/missing-rules") != std::string::npos);
    r = h::run({h::ours("fix-attrs"), "-x"});
    CHECK(r.code == 100);
}

TEST_CASE("with-contenv and printcontenv: values survive exactly, also as a shebang", "[privilege]")
{
    need_mount_namespace();
    h::tempdir t;
    std::string const d = t / "env";
    h::mkdirs(d);
    h::write_file(d + "/SPACES", "hello  brave world\n");
    h::write_file(d + "/MULTI", "line1\nline2\n\n");
    h::write_file(d + "/EMPTY", "\n");
    h::write_file(d + "/GONE", "");
    h::write_file(d + "/NOEOL", "no newline");
    h::write_file(d + "/PATH", "/usr/bin:/bin:/opt/extra\n");
    auto ns = with_contenv_dir(d);
    std::string const wc = h::ours("with-contenv");
    std::string const show =
        "printf '[%s]' \"$SPACES\" \"$MULTI\" \"$EMPTY\" \"${GONE-unset}\" \"$NOEOL\" "
        "\"${CALLER-nocaller}\" \"$PATH\"";

    auto r = run_in(wc, {"/bin/sh", "-c", show}, {"CALLER=x", "GONE=was-set"}, ns);
    CHECK(r.code == 0);
    CHECK(r.out == "[hello  brave world][line1\nline2\n][][unset][no newline][nocaller]"
                   "[/usr/bin:/bin:/opt/extra]");
    CHECK(r.err.empty());

    // As an interpreter: the kernel runs "with-contenv sh SCRIPT ARG".
    h::write_file(t / "script", "#!" + wc + " sh\n" + show + "; printf '[%s]' \"$1\"\n", 0755);
    r = run_in(t / "script", {"arg 1"}, {"CALLER=x"}, ns);
    CHECK(r.code == 0);
    CHECK(r.out == "[hello  brave world][line1\nline2\n][][unset][no newline][nocaller]"
                   "[/usr/bin:/bin:/opt/extra][arg 1]");

    // S6_KEEP_ENV=1: a no-op.
    r = run_in(wc, {"/bin/sh", "-c", show}, {"CALLER=x", "S6_KEEP_ENV=1"}, ns);
    CHECK(r.out == "[][][][unset][][x][/usr/bin:/bin]");

    // A CRLF shebang and a missing interpreter get messages naming the real problem.
    h::write_file(t / "crlf", "#!" + wc + " sh\r\necho hi\r\n", 0755);
    r = run_in(t / "crlf", {}, {}, ns);
    CHECK(r.code == 127);
    CHECK(r.err.find("unable to exec sh\\r (named in the #! line of " + t.path() + "/crlf)") !=
          std::string::npos);
    CHECK(r.err.find("DOS (CRLF) line endings") != std::string::npos);
    r = run_in(wc, {"no-such-program"}, {}, ns);
    CHECK(r.code == 127);
    CHECK(r.err.find("unable to exec no-such-program: No such file or directory; not found in "
                     "PATH=/usr/bin:/bin:/opt/extra") != std::string::npos);
    r = run_in(wc, {"/etc"}, {}, ns);
    CHECK(r.code == 126);
    r = run_in(wc, {}, {}, ns);
    CHECK(r.code == 100);

    // printcontenv: the value with-contenv would set, then a newline.
    std::string const pc = h::ours("printcontenv");
    r = run_in(pc, {"SPACES"}, {}, ns);
    CHECK((r.code == 0 && r.out == "hello  brave world\n"));
    r = run_in(pc, {"MULTI"}, {}, ns);
    CHECK((r.code == 0 && r.out == "line1\nline2\n\n"));
    r = run_in(pc, {"EMPTY"}, {}, ns);
    CHECK((r.code == 0 && r.out == "\n"));
    r = run_in(pc, {"GONE"}, {}, ns);
    CHECK((r.code == 1 && r.out.empty()));
    r = run_in(pc, {"MISSING"}, {}, ns);
    CHECK((r.code == 1 && r.out.empty() && r.err.empty()));
    r = run_in(pc, {"../x"}, {}, ns);
    CHECK(r.code == 100);
    r = run_in(pc, {}, {}, ns);
    CHECK(r.code == 100);
    r = run_in(pc, {"FOO"}, {"S6_KEEP_ENV=1", "FOO=live value"}, ns);
    CHECK((r.code == 0 && r.out == "live value\n"));
    r = run_in(pc, {"FOO"}, {"S6_KEEP_ENV=1", "FOO="}, ns);
    CHECK(r.code == 1);

    // No container environment at all: with-contenv fails like s6-envdir's strict mode.
    r = run_in(wc, {"/bin/true"}, {},
               {"/usr/bin/unshare", "-m", "/bin/sh", "-c",
                "mount -t tmpfs tmpfs /run && exec \"$@\"", "sh"});
    CHECK(r.code == 111);
    CHECK(r.err == "with-contenv: fatal: unable to envdir /run/s6/container_environment: No "
                   "such file or directory\n");
}
