// s6-ipcserver-access, s6-accessrules-cdb-from-fs and s6-accessrules-fs-from-cdb against the
// stock programs: the same cdb bytes from the same rules directory, the same trees back from
// either side's cdb, the same verdicts, environments, messages and exit codes.
#include <catch2/catch.hpp>

#include <algorithm>
#include <regex>
#include <string>
#include <vector>

#include <dirent.h>
#include <sys/stat.h>

#include "harness.hh"

namespace {

// A rules directory with every kind of rule: allow with env (set and unset) and exec, deny,
// a key with neither file, and the self / default keys.
void make_rules(std::string const &r)
{
    for (char const *d : {"uid/0/env", "uid/5", "uid/6", "gid/7", "gid/8/env", "uid/default",
                          "uid/self", "ip4/1.2.3.4_32"})
        h::mkdirs(r + "/" + d);
    h::write_file(r + "/uid/0/allow", "");
    h::write_file(r + "/uid/0/env/FOO", "hello world  \nsecond line\n");
    h::write_file(r + "/uid/0/env/GONE", "");
    h::write_file(r + "/uid/5/deny", "");
    h::write_file(r + "/gid/7/allow", "");
    h::write_file(r + "/gid/7/exec", "echo from-exec");
    h::write_file(r + "/gid/8/allow", "");
    h::write_file(r + "/gid/8/env/BAR", "bar");
    h::write_file(r + "/uid/default/deny", "");
    h::write_file(r + "/ip4/1.2.3.4_32/allow", "");
}

// Every file and directory under root, with its mode and content, sorted.
std::vector<std::string> tree_listing(std::string const &root, std::string const &rel = "")
{
    std::vector<std::string> out;
    DIR *d = opendir((root + rel).c_str());
    REQUIRE(d);
    while (dirent *e = readdir(d)) {
        std::string const name = e->d_name;
        if (name == "." || name == "..") continue;
        std::string const path = rel + "/" + name;
        mode_t const m = h::mode_of(root + path);
        char mode[16];
        snprintf(mode, sizeof mode, "%o", static_cast<unsigned>(m));
        if (S_ISDIR(m)) {
            out.push_back(path + "/ " + mode);
            auto sub = tree_listing(root, path);
            out.insert(out.end(), sub.begin(), sub.end());
        } else {
            out.push_back(path + " " + mode + " " + h::read_existing(root + path));
        }
    }
    closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

// stderr with the pid of "allow pid N" / "deny pid N" masked.
std::string mask_pid(std::string const &s)
{
    return std::regex_replace(s, std::regex("pid [0-9]+"), "pid N");
}

h::result access(bool stock, h::strings args, std::string const &uid, std::string const &gid)
{
    h::run_opts o;
    o.env = {"PROTO=IPC", "IPCREMOTEEUID=" + uid, "IPCREMOTEEGID=" + gid};
    return stock ? h::run_stock("s6-ipcserver-access", args, o)
                 : h::run_ours("s6-ipcserver-access", args, o);
}

} // namespace

TEST_CASE("s6-accessrules-cdb-from-fs: the same bytes as stock's", "[accessrules]")
{
    h::need_stock("s6-accessrules-cdb-from-fs");
    h::tempdir td;
    make_rules(td / "rules");
    auto const o = h::run_ours("s6-accessrules-cdb-from-fs", {td / "ours.cdb", td / "rules"});
    auto const s = h::run_stock("s6-accessrules-cdb-from-fs", {td / "stock.cdb", td / "rules"});
    h::check_same(o, s);
    REQUIRE(o.code == 0);
    CHECK(h::read_existing(td / "ours.cdb") == h::read_existing(td / "stock.cdb"));
    // No temporary file is left beside the cdb.
    auto const listing = tree_listing(td.path());
    CHECK(std::none_of(listing.begin(), listing.end(), [](std::string const &l) {
        return l.find(":s6-accessrules-cdb-from-fs:") != l.npos;
    }));
}

TEST_CASE("s6-accessrules-fs-from-cdb: the same tree as stock's, from either side's cdb",
          "[accessrules]")
{
    h::need_stock("s6-accessrules-fs-from-cdb");
    h::tempdir td;
    make_rules(td / "rules");
    REQUIRE(h::run_stock("s6-accessrules-cdb-from-fs", {td / "stock.cdb", td / "rules"}).code == 0);
    REQUIRE(h::run_ours("s6-accessrules-cdb-from-fs", {td / "ours.cdb", td / "rules"}).code == 0);
    for (char const *cdb : {"stock.cdb", "ours.cdb"}) {
        INFO(cdb);
        std::string const a = td / (std::string("o-") + cdb), b = td / (std::string("s-") + cdb);
        h::check_same(h::run_ours("s6-accessrules-fs-from-cdb", {a, td / cdb}),
                      h::run_stock("s6-accessrules-fs-from-cdb", {b, td / cdb}));
        CHECK(tree_listing(a) == tree_listing(b));
    }
    // Back to a cdb: the same records again.
    REQUIRE(h::run_ours("s6-accessrules-cdb-from-fs", {td / "again.cdb", td / "o-ours.cdb"}).code ==
            0);
    REQUIRE(h::run_stock("s6-accessrules-cdb-from-fs", {td / "again-s.cdb", td / "o-ours.cdb"})
                .code == 0);
    CHECK(h::read_existing(td / "again.cdb") == h::read_existing(td / "again-s.cdb"));
}

TEST_CASE("s6-ipcserver-access: verdicts, environment and messages as stock's", "[accessrules]")
{
    h::need_stock("s6-ipcserver-access");
    h::tempdir td;
    make_rules(td / "rules");
    REQUIRE(h::run_stock("s6-accessrules-cdb-from-fs", {td / "rules.cdb", td / "rules"}).code == 0);
    std::string const uid_self = std::to_string(geteuid());
    struct who {
        char const *uid, *gid;
    };
    // uid 0 allowed with env; 5 denied; 6 falls to gid 7 (exec), gid 8 (env), or default deny.
    who const clients[] = {{"0", "0"}, {"5", "7"}, {"6", "7"}, {"6", "8"}, {"6", "9"},
                           {"42", "7"}, {"42", "42"}};
    for (char const *rules : {"-i", "-x"}) {
        std::string const where = std::string(rules) == "-i" ? td / "rules" : td / "rules.cdb";
        for (auto const &c : clients) {
            for (h::strings const &extra :
                 {h::strings{"-v2", "-l", "/the/socket"}, h::strings{"-v2", "-E"},
                  h::strings{"-v0", "-E"}, h::strings{"-E"}}) {
                h::strings args = extra;
                args.insert(args.end(), {rules, where, "/usr/bin/env"});
                INFO(rules << " uid " << c.uid << " gid " << c.gid << " " << extra[0]);
                auto o = access(false, args, c.uid, c.gid);
                auto s = access(true, args, c.uid, c.gid);
                CHECK(o.code == s.code);
                CHECK(o.out == s.out);
                CHECK(mask_pid(o.err) == mask_pid(h::stock_message(s.err)));
            }
        }
    }
    // No rules at all: allowed, with a warning at verbosity 2.
    auto o = access(false, {"-v2", "-E", "/usr/bin/env"}, "3", "3");
    auto s = access(true, {"-v2", "-E", "/usr/bin/env"}, "3", "3");
    CHECK(o.code == 0);
    CHECK(o.code == s.code);
    CHECK(o.out == s.out);
    CHECK(mask_pid(o.err) == mask_pid(s.err));
}

TEST_CASE("s6-ipcserver-access: bad input gives stock's message and exit code", "[accessrules]")
{
    h::need_stock("s6-ipcserver-access");
    h::tempdir td;
    h::write_file(td / "junk.cdb", std::string(2048, '\xff') + "garbage");
    // A cdb whose record for uid/0 is malformed: "A" with lengths that do not add up.
    h::mkdirs(td / "r/uid/0");
    h::write_file(td / "r/uid/0/allow", "");
    REQUIRE(h::run_stock("s6-accessrules-cdb-from-fs", {td / "ok.cdb", td / "r"}).code == 0);
    std::string bad = h::read_existing(td / "ok.cdb");
    auto const at = bad.find("uid/0A");
    REQUIRE(at != bad.npos);
    bad[at + 7] = '\x09'; // envlen 9, past the record
    h::write_file(td / "bad.cdb", bad);

    struct input {
        h::strings env, args;
    };
    input const cases[] = {
        {{}, {"true"}},
        {{}, {}},
        {{}, {"-v", "x", "true"}},
        {{"PROTO=IPC"}, {"true"}},
        {{"PROTO=IPC", "IPCREMOTEEUID=x"}, {"true"}},
        {{"PROTO=IPC", "IPCREMOTEEUID=0"}, {"true"}},
        {{"PROTO=IPC", "IPCREMOTEEUID=0", "IPCREMOTEEGID=-1"}, {"true"}},
        {{"PROTO=IPC", "IPCREMOTEEUID=0", "IPCREMOTEEGID=0"}, {"-x", td / "absent", "true"}},
        {{"PROTO=IPC", "IPCREMOTEEUID=0", "IPCREMOTEEGID=0"}, {"-x", td / "junk.cdb", "true"}},
        {{"PROTO=IPC", "IPCREMOTEEUID=0", "IPCREMOTEEGID=0"}, {"-x", td / "bad.cdb", "true"}},
        // -e without -l needs fd 0 to be the server's socket.
        {{"PROTO=IPC", "IPCREMOTEEUID=0", "IPCREMOTEEGID=0"}, {"-i", td / "r", "true"}},
        {{"PROTO=IPC", "IPCREMOTEEUID=0", "IPCREMOTEEGID=0"},
         {"-E", "-i", td / "r", "/nonexistent/prog"}},
    };
    for (auto const &c : cases) {
        h::run_opts o;
        o.env = c.env;
        auto const ours = h::run_ours("s6-ipcserver-access", c.args, o);
        auto const stock = h::run_stock("s6-ipcserver-access", c.args, o);
        INFO((c.args.empty() ? std::string("(none)") : c.args[0]));
        CHECK(ours.code == stock.code);
        CHECK(ours.code != 0);
        std::string want = mask_pid(h::stock_message(stock.err));
        // On a file that is not a cdb, stock's message ends in strerror(0), "Success"; ours
        // names the problem.
        if (want.ends_with("junk.cdb: Success\n"))
            want.replace(want.size() - 8, 7, "Protocol error");
        CHECK(mask_pid(ours.err) == want);
    }
}

TEST_CASE("s6-accessrules-*: bad input gives stock's message and exit code", "[accessrules]")
{
    h::need_stock("s6-accessrules-fs-from-cdb");
    h::tempdir td;
    h::mkdirs(td / "exists");
    h::mkdirs(td / "r/uid/0");
    h::write_file(td / "r/uid/0/allow", "");
    h::write_file(td / "junk.cdb", std::string(2048, '\xff') + "garbage");
    REQUIRE(h::run_stock("s6-accessrules-cdb-from-fs", {td / "ok.cdb", td / "r"}).code == 0);
    // A valid cdb whose one record is not rules data (lengths that do not add up).
    std::string bad = h::read_existing(td / "ok.cdb");
    auto const at = bad.find("uid/0A");
    REQUIRE(at != bad.npos);
    bad[at + 7] = '\x09';
    h::write_file(td / "bad.cdb", bad);
    h::write_file(td / "file", "");

    std::vector<std::pair<char const *, h::strings>> const cases = {
        {"s6-accessrules-cdb-from-fs", {}},
        {"s6-accessrules-cdb-from-fs", {td / "x.cdb"}},
        {"s6-accessrules-cdb-from-fs", {td / "x.cdb", td / "absent"}},
        {"s6-accessrules-cdb-from-fs", {td / "x.cdb", td / "file"}},
        {"s6-accessrules-cdb-from-fs", {td / "nodir/x.cdb", td / "r"}},
        {"s6-accessrules-fs-from-cdb", {}},
        {"s6-accessrules-fs-from-cdb", {td / "out1", td / "absent.cdb"}},
        {"s6-accessrules-fs-from-cdb", {td / "exists", td / "ok.cdb"}},
        {"s6-accessrules-fs-from-cdb", {td / "out2", td / "bad.cdb"}},
    };
    for (auto const &[tool, args] : cases) {
        INFO(tool << " " << (args.empty() ? "" : args.back()));
        auto const o = h::run_ours(tool, args);
        auto const s = h::run_stock(tool, args);
        CHECK(o.code == s.code);
        CHECK(o.code != 0);
        // mkstemp's six random letters differ from run to run.
        auto const mask = [](std::string const &e) {
            return std::regex_replace(e, std::regex("(:s6-accessrules-cdb-from-fs:)[A-Za-z0-9]{6}"),
                                      "$1XXXXXX");
        };
        CHECK(mask(o.err) == mask(h::stock_message(s.err)));
    }
    // A failed conversion leaves no directory behind.
    CHECK_FALSE(h::exists(td / "out2"));
}

TEST_CASE("s6-accessrules-cdb-from-fs: an env/ over 4096 bytes is refused, as documented",
          "[accessrules]")
{
    // Stock 2.11.3.2 lets up to 4100 bytes through, writing a cdb its own readers refuse with
    // 111; the page says more than 4096 bytes makes it exit 100, which we do.
    h::tempdir td;
    h::mkdirs(td / "r/uid/0/env");
    h::write_file(td / "r/uid/0/allow", "");
    h::write_file(td / "r/uid/0/env/A", std::string(2040, 'a'));
    // "A=" 2040 bytes NUL, "B=" 2051 bytes NUL: 4097 bytes.
    h::write_file(td / "r/uid/0/env/B", std::string(2051, 'b'));
    auto const r = h::run_ours("s6-accessrules-cdb-from-fs", {td / "x.cdb", td / "r"});
    CHECK(r.code == 100);
    CHECK(r.err.find("s6-accessrules-cdb-from-fs: fatal: " + td / "r/uid/0/env" + " too big") == 0);
    CHECK_FALSE(h::exists(td / "x.cdb"));
    // Exactly 4096 bytes goes through, and reads back.
    h::write_file(td / "r/uid/0/env/B", std::string(2050, 'b'));
    REQUIRE(h::run_ours("s6-accessrules-cdb-from-fs", {td / "x.cdb", td / "r"}).code == 0);
    h::run_opts o;
    o.env = {"PROTO=IPC", "IPCREMOTEEUID=0", "IPCREMOTEEGID=0"};
    auto const a = h::run_ours("s6-ipcserver-access", {"-E", "-x", td / "x.cdb", "/usr/bin/env"}, o);
    CHECK(a.code == 0);
    CHECK(a.out.find("B=bbb") != a.out.npos);
}
