// s6-svlink, s6-svunlink, s6-instance-maker, s6-instance-create, -delete, -control, -status,
// -list and s6-usertree-maker, run for real: each against the stock s6 2.11.3.2 program on the
// same input (exit code, stdout, stderr, and the trees they write, file by file), then in
// mixed pairings: our s6-svlink into trees run by stock s6-svscan and by ours, our instance
// tools driving a tree made by stock s6-instance-maker and stock's driving one made by ours,
// with real instances started, controlled, listed, queried and deleted.
//
// The generated run scripts are execline; the tests that run them need execline installed
// (Debian's /usr/bin/execlineb and /usr/lib/execline/bin) and skip, by name, without it.
#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <supervise/lock.hh>

#include "harness.hh"

namespace {

using h::strings;

// The directory our programs are in: generated scripts name it where stock names /usr/bin.
std::string ours_dir()
{
    std::string p = h::ours("s6-svscan");
    return p.substr(0, p.rfind('/'));
}

void need_execline()
{
    for (char const *p : {"/usr/bin/execlineb", "/usr/lib/execline/bin/fdmove"})
        if (::access(p, X_OK) != 0)
            h::skip(std::string("execline is not installed (no ") + p +
                    "): generated run scripts cannot run");
}

// Every entry under root: path, type, mode, and a regular file's content or a link's target,
// with our tools' directory read as /usr/bin.  Sorted.
strings tree_listing(std::string const &root, std::string const &rel = "")
{
    strings out;
    DIR *d = ::opendir((root + rel).c_str());
    REQUIRE(d);
    while (dirent *e = ::readdir(d)) {
        std::string const name = e->d_name;
        if (name == "." || name == "..") continue;
        std::string const path = rel + "/" + name;
        struct stat st;
        REQUIRE(::lstat((root + path).c_str(), &st) == 0);
        char mode[16];
        std::snprintf(mode, sizeof mode, "%o", static_cast<unsigned>(st.st_mode));
        std::string line = path + " " + mode + " " + std::to_string(st.st_uid) + ":" +
                           std::to_string(st.st_gid);
        if (S_ISDIR(st.st_mode)) {
            out.push_back(line);
            auto sub = tree_listing(root, path);
            out.insert(out.end(), sub.begin(), sub.end());
            continue;
        }
        std::string content;
        if (S_ISREG(st.st_mode)) content = h::read_existing(root + path);
        if (S_ISLNK(st.st_mode)) {
            char buf[4096];
            ssize_t n = ::readlink((root + path).c_str(), buf, sizeof buf);
            REQUIRE(n >= 0);
            content.assign(buf, static_cast<std::size_t>(n));
        }
        for (std::size_t p; (p = content.find(ours_dir() + "/")) != std::string::npos;)
            content.replace(p, ours_dir().size(), "/usr/bin");
        out.push_back(line + " [" + content + "]");
    }
    ::closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

// Runs our TOOL in t/ours and stock's in t/stock with the same (relative) arguments, and
// requires the same exit code, output and messages, and the same trees in both directories.
void compare_in(h::tempdir const &t, std::string const &tool, strings const &args)
{
    INFO(tool << " " << [&] {
        std::string s;
        for (auto const &a : args) s += a + " ";
        return s;
    }());
    h::run_opts o, s;
    o.cwd = t / "ours";
    s.cwd = t / "stock";
    h::check_same(h::run_ours(tool, args, o), h::run_stock(tool, args, s));
    CHECK(tree_listing(t / "ours") == tree_listing(t / "stock"));
}

// A template service directory with a little of everything hiercopy must keep.
void make_template(std::string const &dir)
{
    h::make_service(dir, "echo \"instance $1 up\"\nexec sleep 100");
    h::mkdirs(dir + "/data");
    h::write_file(dir + "/data/conf", "x=1\n", 0640);
    REQUIRE(::symlink("../run", (dir + "/data/runlink").c_str()) == 0);
    REQUIRE(::chmod((dir + "/data").c_str(), 02750) == 0);
}

// A scan directory with an s6-svscan (ours or stock) on it, stopped with SIGTERM (which stops
// every service, instanced trees included) on destruction.
class scan {
public:
    scan(std::string const &dir, bool stock, strings const &opts = {}) : dir_(dir)
    {
        h::mkdirs(dir);
        h::mkdirs(dir + ".log");
        strings argv{stock ? h::stock("s6-svscan") : h::ours("s6-svscan")};
        argv.insert(argv.end(), opts.begin(), opts.end());
        argv.push_back(dir);
        p_ = std::make_unique<h::proc>(argv, dir + ".log");
        // Its lock is taken a moment before its control FIFO is read: wait for the FIFO.
        REQUIRE(h::wait_until([&] {
            int fd = ::open((dir + "/.s6-svscan/control").c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
            if (fd < 0) return false;
            ::close(fd);
            return true;
        }));
    }
    scan(scan const &) = delete;
    scan &operator=(scan const &) = delete;
    ~scan()
    {
        p_->signal(SIGTERM);
        p_->wait(15000);
    }
    std::string const &dir() const { return dir_; }
    std::string err() const { return p_->err(); }

    // Whether an s6-svscan holds DIR/.s6-svscan/lock.
    static bool running(std::string const &dir)
    {
        return sv::lock_probe((dir + "/.s6-svscan/lock").c_str()) == sv::lock_state::held;
    }

private:
    std::string dir_;
    std::unique_ptr<h::proc> p_;
};

// Waits until the instanced service svc is up and ready: its s6-svscan has said (-d3) that it
// reads its control FIFO.  Its lock alone is not enough: s6-svscan takes it a moment before.
bool ready(std::string const &svc)
{
    return h::wait_status(svc, [](sv::status const &s) { return s.is_up() && s.ready; });
}

bool supervised(std::string const &dir)
{
    return sv::lock_probe((dir + "/supervise/lock").c_str()) == sv::lock_state::held;
}

std::string link_text(std::string const &path)
{
    char buf[4096];
    ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
    return n < 0 ? "(none)" : std::string(buf, static_cast<std::size_t>(n));
}

h::result tool(bool stock, std::string const &name, strings const &args)
{
    return stock ? h::run_stock(name, args) : h::run_ours(name, args);
}

} // namespace

// --- s6-svlink, s6-svunlink ----------------------------------------------------------------

TEST_CASE("s6-svlink and s6-svunlink refuse bad input as stock does", "[instances]")
{
    h::need_stock("s6-svlink");
    h::tempdir t;
    scan sc(t / "scan", false);
    std::string const s = sc.dir();
    h::make_service(t / "good", "exec sleep 100");
    h::make_service(t / "noexec", "exec sleep 100");
    REQUIRE(::chmod((t / "noexec/run").c_str(), 0644) == 0);
    h::make_service(t / "badlog", "exec sleep 100");
    h::write_file(t / "badlog/log", "");
    h::make_service(t / "logx", "exec sleep 100");
    h::make_service(t / "logx/log", "exec cat");
    REQUIRE(::chmod((t / "logx/log/run").c_str(), 0644) == 0);
    h::mkdirs(t / "stopped/.s6-svscan");
    h::write_file(t / "stopped/.s6-svscan/lock", "");

    for (strings const &args : std::vector<strings>{
             {}, {s}, {"-t", "x", s, t / "good"}, {"-z", s, t / "good"}, {"-t"},
             {s, t / "good", ""}, {s, t / "good", ".x"}, {s, t / "good", "/x"}, {"", t / "good"},
             {s, ""}, {s, "/"}, {t / "nonexistent", t / "good"}, {t / "good/run", t / "good"},
             {t / "stopped", t / "good"}, {s, t / "nonexistent"}, {s, t / "noexec"},
             {s, t / "badlog"}, {s, t / "logx"}, {s, t / "good/run"}})
        h::compare("s6-svlink", args);

    for (strings const &args : std::vector<strings>{
             {}, {s}, {"-t", "x", s, "a"}, {"-z", s, "a"}, {s, ""}, {s, ".x"}, {s, "/x"},
             {s, "nosuch"}, {t / "nonexistent", "nosuch"}, {"-X", s, "nosuch"},
             {t / "good/run", "x"}})
        h::compare("s6-svunlink", args);
    // Nothing was linked by any of that.
    for (auto const &entry : tree_listing(s)) CHECK(entry.rfind("/.s6-svscan", 0) == 0);
}

TEST_CASE("s6-svlink and s6-svunlink on trees run by stock s6-svscan and by ours",
          "[instances]")
{
    h::need_stock("s6-svscan");
    for (bool stock_scan : {false, true}) {
        DYNAMIC_SECTION((stock_scan ? "stock" : "our") << " s6-svscan")
        {
            h::tempdir t;
            scan sc(t / "scan", stock_scan);
            // The same links made by our s6-svlink and stock's, option by option, must give
            // the same results.
            for (strings const &opts : std::vector<strings>{{}, {"-d"}, {"-D"}, {"-P"}}) {
                std::string const tag = opts.empty() ? "plain" : opts[0].substr(1);
                INFO("options: " << tag);
                h::result r[2];
                for (bool stock_link : {false, true}) {
                    std::string const svc = t / ((stock_link ? "s-" : "o-") + tag);
                    h::make_service(svc, "exec sleep 100");
                    h::make_service(svc + "/log", "exec cat > /dev/null");
                    strings args = opts;
                    args.insert(args.end(), {sc.dir(), svc});
                    r[stock_link] = tool(stock_link, "s6-svlink", args);
                    // Right after it returns, both supervisors run.
                    CHECK(supervised(svc));
                    CHECK(supervised(svc + "/log"));
                    CHECK(link_text(sc.dir() + "/" + (stock_link ? "s-" : "o-") + tag) == svc);
                }
                h::check_same(r[0], r[1]);
                CHECK(r[0].code == 0);
                for (char const *sub : {"", "/log"}) {
                    std::string const o = t / ("o-" + tag + sub), s = t / ("s-" + tag + sub);
                    CHECK(h::mode_of(o + "/event") == h::mode_of(s + "/event"));
                    CHECK(h::exists(o + "/down") == h::exists(s + "/down"));
                    for (std::string const &d : {o, s}) {
                        // -d and -D: down; -D keeps the down file (normally down).
                        bool const down = tag == "d" || tag == "D";
                        CHECK(h::wait_status(d, [&](sv::status const &st) {
                            return down ? h::down(st) : h::up(st);
                        }));
                    }
                }
                CHECK(h::exists(t / ("o-" + tag + "/down")) == (tag == "D"));
                CHECK((h::mode_of(t / ("o-" + tag + "/event")) & 07777) ==
                      (tag == "P" ? 01733u : 03730u));
            }
            // Already supervised: a warning, exit 0, and the link is made all the same.
            h::compare("s6-svlink", {sc.dir(), t / "o-plain", "again"});
            CHECK(link_text(sc.dir() + "/again") == t / "o-plain");
            // Unlinked without waiting: the supervisor stays, as o-plain still names it.
            CHECK(tool(false, "s6-svunlink", {"-X", sc.dir(), "again"}).code == 0);
            CHECK_FALSE(h::exists(sc.dir() + "/again"));

            // s6-svunlink, ours and stock: the link goes, the supervisors exit before it
            // returns, and the service is down.
            for (bool stock_unlink : {false, true}) {
                std::string const name = stock_unlink ? "s-plain" : "o-plain";
                auto const r = tool(stock_unlink, "s6-svunlink", {sc.dir(), name});
                CHECK(r.code == 0);
                CHECK(r.err.empty());
                CHECK_FALSE(h::exists(sc.dir() + "/" + name));
                // A supervisor announces its exit ("x") just before it exits and its lock
                // goes: poll a little for the lock.
                for (std::string const &d : {t / name, t / (name + "/log")})
                    CHECK(h::wait_until([&] { return !supervised(d); }));
                // Ours removes its subscriptions; stock leaves its FIFOs in event/.
                if (!stock_unlink) CHECK(h::listeners(t / name) == 0);
                if (!stock_unlink) CHECK(h::listeners(t / (name + "/log")) == 0);
            }
            CHECK(tool(false, "s6-svunlink", {"-X", sc.dir(), "o-d"}).code == 0);
            CHECK(h::wait_until([&] { return !supervised(t / "o-d"); }));

            // An event/ of the other kind already there, without -f: left as it is, exit 0
            // (the page says it fails).
            for (bool stock_link : {false, true}) {
                std::string const svc = t / (stock_link ? "s-pub" : "o-pub");
                h::make_service(svc, "exec sleep 100");
                h::mkdirs(svc + "/event");
                REQUIRE(::chmod((svc + "/event").c_str(), 01733) == 0);
                auto const r = tool(stock_link, "s6-svlink", {sc.dir(), svc});
                CHECK(r.code == 0);
                CHECK(r.err.empty());
                CHECK((h::mode_of(svc + "/event") & 07777) == 01733);
                CHECK(supervised(svc));
            }
        }
    }
}

TEST_CASE("s6-svlink times out as stock does when s6-svscan starts no supervisor",
          "[instances]")
{
    h::need_stock("s6-svlink");
    for (bool stock_scan : {false, true}) {
        DYNAMIC_SECTION((stock_scan ? "stock" : "our") << " s6-svscan -c 2")
        {
            h::tempdir t;
            scan sc(t / "scan", stock_scan, {"-c", "2"});
            for (char const *n : {"a", "b", "c"}) h::make_service(t / n, "exec sleep 100");
            REQUIRE(tool(false, "s6-svlink", {sc.dir(), t / "a"}).code == 0);
            REQUIRE(tool(true, "s6-svlink", {sc.dir(), t / "b"}).code == 0);
            // A third service is over s6-svscan's limit: no supervisor, so 99, and the link
            // is taken back.
            auto const o = h::run_ours("s6-svlink", {"-t", "300", sc.dir(), t / "c"});
            auto const s = h::run_stock("s6-svlink", {"-t", "300", sc.dir(), t / "c"});
            h::check_same(o, s);
            CHECK(o.code == 99);
            CHECK_FALSE(h::exists(sc.dir() + "/c"));
        }
    }
}

// --- s6-instance-maker, s6-usertree-maker ---------------------------------------------------

TEST_CASE("s6-instance-maker writes stock's tree and refuses what stock refuses",
          "[instances]")
{
    h::need_stock("s6-instance-maker");
    h::tempdir t;
    for (char const *side : {"ours", "stock"}) make_template(t / (std::string(side) + "/tpl"));
    // Each run writes a new directory (out1, out2...) next to what the earlier ones left, so
    // a failure's leftovers are compared too.
    std::vector<strings> const cases{
        {},
        {"tpl"},
        {"-c", "x", "tpl", "o"},
        {"-z", "tpl", "o"},
        {"-t", "4", "tpl", "o"},
        {"-n", "-1", "tpl", "o"},
        {"-L", "rel", "tpl", "o"},
        {"-u", "a b", "tpl", "o"},
        {"-r", "/x", "tpl", "o"},
        {"-r", "a\nb", "tpl", "o"},
        {"-r", "a/", "tpl", "o"},
        {"-r", "a//b", "tpl", "o"},
        {"-r", "a/b", "tpl", "o"},
        {"-L", "/l", "-r", "a", "tpl", "o"},
        {"-r", "a/b/", "-L", "/l", "tpl", "o"},
        {"-r", "a/b/c/d", "-L", "/l", "tpl", "o"},
        {"tpl", "out1"},
        {"-c", "0", "tpl", "out2"},
        {"-c", "1", "tpl", "out3"},
        {"-c", "100000", "tpl", "out4"},
        {"-u", "nobody", "-c", "7", "tpl", "out5"},
        {"-L", "/var/log/x y\"z\\\n\t\x01\xc3\xa9", "-l", "lo\"g", "-t", "3", "-n", "5", "-s",
         "4096", "-S", "100000", "-P", "pre fix", "tpl", "out6"},
        {"-L", "/l", "-t", "0", "tpl", "out7"},
        {"-L", "/l", "-t", "2", "-u", "", "tpl", "out8"},
        {"-r", "svc", "-u", "u", "tpl", "rc1"},
        {"-r", "svc/lg", "-L", "/l", "-l", "lu", "tpl", "rc2"},
        {"-r", "svc/lg/pipe", "-L", "/l", "tpl", "rc3"},
        {"-r", "svc/lg/pipe", "-L", "/l", "tpl", "rc3"},
        {"tpl", "out1"},
        {"nosuchtpl", "out9"},
        {"tpl", "nonexistent/out"},
        {"-r", "", "tpl", "out10"},
    };
    for (auto const &c : cases) compare_in(t, "s6-instance-maker", c);
    CHECK(h::exists(t / "ours/out1/instance"));
}

TEST_CASE("s6-instance-maker: the modes follow the umask as stock's do", "[instances]")
{
    h::need_stock("s6-instance-maker");
    h::tempdir t;
    for (char const *side : {"ours", "stock"}) make_template(t / (std::string(side) + "/tpl"));
    h::umask_guard u(027);
    compare_in(t, "s6-instance-maker", {"-L", "/l", "tpl", "out"});
    compare_in(t, "s6-instance-maker", {"-r", "a/b", "-L", "/l", "tpl", "rc"});
}

TEST_CASE("s6-usertree-maker writes stock's tree and refuses what stock refuses",
          "[instances]")
{
    h::need_stock("s6-usertree-maker");
    h::tempdir t;
    h::mkdirs(t / "ours");
    h::mkdirs(t / "stock");
    strings many_vars;
    for (int i = 0; i < 65; i++) many_vars.insert(many_vars.end(), {"-e", "V" + std::to_string(i)});
    strings too_many = many_vars;
    too_many.insert(too_many.end(), {"alice", "/l", "o"});
    std::vector<strings> const cases{
        {},
        {"alice", "/l"},
        {"-z", "alice", "/l", "o"},
        {"alice", "rel", "o"},
        {"-d", "rel", "alice", "/l", "o"},
        {"-d", "", "alice", "/l", "o"},
        {"-d", "${HOME}", "alice", "/l", "o"},
        {"-t", "4", "alice", "/l", "o"},
        {"-t", "x", "alice", "/l", "o"},
        {"-e", "A=B", "alice", "/l", "o"},
        too_many,
        {"-r", "svc", "alice", "/l", "o"},
        {"-r", "", "alice", "/l", "o"},
        {"-r", "/x", "alice", "/l", "o"},
        {"-r", "a\nb/c", "alice", "/l", "o"},
        {"-r", "a/", "alice", "/l", "o"},
        {"-r", "a//b", "alice", "/l", "o"},
        {"-r", "a/b/", "alice", "/l", "o"},
        {"-r", "a/b/c/d", "alice", "/l", "o"},
        {"alice", "/var/log/alice", "ut1"},
        {"-d", "/srv/x", "-p", "/bin:/usr/bin", "-E", "/etc/env", "-e", "FOO", "-e", "BAR",
         "-l", "log", "-t", "2", "-n", "3", "-s", "5000", "-S", "9999", "-P", "pfx", "bo b",
         "/var/log/bob", "ut2"},
        {"-e", "IGNORED", "-d", "${HOME}/my \"svc\"", "c\x01rol", "/l", "ut3"},
        {"-E", "/env", "u", "/l", "ut4"},
        {"-r", "svc/lg/pipe", "-l", "log", "u", "/l", "ut5"},
        {"-r", "svc/lg", "u", "/l", "ut6"},
        {"u", "/l", "ut1"},
        {"u", "/l", "nonexistent/ut"},
    };
    for (auto const &c : cases) compare_in(t, "s6-usertree-maker", c);
    // 64 variables are fine.
    strings ok(many_vars.begin(), many_vars.end() - 2);
    ok.insert(ok.end(), {"-E", "/e", "u", "/l", "ut7"});
    compare_in(t, "s6-usertree-maker", ok);
}

// --- instanced services, end to end ----------------------------------------------------------

TEST_CASE("instance tools refuse bad input as stock's do", "[instances]")
{
    h::need_stock("s6-instance-create");
    need_execline();
    h::tempdir t;
    make_template(t / "tpl");
    REQUIRE(h::run_ours("s6-instance-maker", {t / "tpl", t / "svc"}).code == 0);
    scan sc(t / "scan", false);
    REQUIRE(h::run_ours("s6-svlink", {sc.dir(), t / "svc"}).code == 0);
    std::string const svc = t / "svc";
    REQUIRE(ready(svc));
    REQUIRE(h::run_ours("s6-instance-create", {svc, "foo"}).code == 0);
    h::write_file(svc + "/instances/afile", "");
    // A tree that ran once and stopped: its lock is there, nobody holds it.
    h::mkdirs(t / "stopped/instance/.s6-svscan");
    h::write_file(t / "stopped/instance/.s6-svscan/lock", "");
    std::string const stopped = t / "stopped";

    for (strings const &args : std::vector<strings>{
             {}, {svc}, {"-t", "x", svc, "a"}, {"-z", svc, "a"}, {svc, ""}, {svc, ".x"},
             {svc, "a b"}, {svc, "a\tb"}, {svc, "foo"}, {svc, "afile"}, {svc, "a/b"},
             {t / "nonexistent", "x"}, {t / "tpl/run", "x"}, {stopped, "x"}})
        h::compare("s6-instance-create", args);
    CHECK_FALSE(h::exists(svc + "/instances/a"));

    for (strings const &args : std::vector<strings>{
             {}, {svc}, {"-t", "x", svc, "a"}, {"-z", svc, "a"}, {svc, ""}, {svc, ".x"},
             {svc, "a\nb"}, {"", "x"}, {t / "nonexistent", "x"}, {stopped, "x"},
             {"-X", svc, "nosuch"}})
        h::compare("s6-instance-delete", args);

    for (strings const &args : std::vector<strings>{
             {}, {"-x", svc}, {""}, {t / "nonexistent"}, {t / "tpl"}, {stopped}, {svc, "extra"}})
        h::compare("s6-instance-list", args);

    for (strings const &args : std::vector<strings>{
             {}, {svc}, {"-z", svc, "foo"}, {"-Q", svc, "foo"}, {"-wz", svc, "foo"},
             {"-w", "", svc, "foo"}, {"-T", "x", svc, "foo"}, {"", "foo"}, {svc, ".foo"},
             {svc, "a b"}, {"-d", svc, "nosuch"}, {"-u", svc, "afile"}, {"-u", stopped, "foo"},
             {"-a", t / "nonexistent", "foo"},
             // The longest option string, and one letter more: "u", which changes nothing
             // in an instance that is up (62 SIGALRMs would kill it, and the status
             // comparisons below would race its restart).
             {std::string(63, 'u').insert(0, "-"), svc, "foo"},
             {std::string(62, 'u').insert(0, "-"), svc, "foo"}})
        h::compare("s6-instance-control", args);

    for (strings const &args : std::vector<strings>{
             {}, {svc}, {"-z", svc, "foo"}, {"-o", "up,,x", svc, "foo"}, {"-o", ",up", svc, "foo"},
             {"-o", "up,bogus", svc, "foo"}, {"-o", "up,", svc, "foo"}, {"-o", "up", svc, "foo"},
             {"-uwNrpe", svc, "foo"},
             {"-o", "up,up,up,up,up,up,up,up,up,up,up,up,up,up,up,up,up", svc, "foo"},
             {"-uuuuuuuuuuuuuuuu", svc, "foo"}, {"-uuuuuuuuuuuuuuuuu", svc, "foo"},
             {"", "foo"}, {svc, ".foo"}, {svc, "nosuch"}, {stopped, "foo"},
             {t / "nonexistent", "foo"}})
        h::compare("s6-instance-status", args);
}

TEST_CASE("instances: made by either s6-instance-maker, driven by either suite's tools",
          "[instances]")
{
    h::need_stock("s6-instance-maker");
    need_execline();
    h::tempdir t;
    make_template(t / "tpl");
    scan sc(t / "scan", false);
    // Four pairings: who made the tree, whose tools drive it.
    for (bool stock_maker : {false, true}) {
        for (bool stock_tools : {false, true}) {
            std::string const tag = std::string(stock_maker ? "s" : "o") + (stock_tools ? "s" : "o");
            INFO("tree by " << (stock_maker ? "stock" : "ours") << ", tools "
                            << (stock_tools ? "stock" : "ours"));
            std::string const svc = t / ("svc-" + tag);
            REQUIRE(tool(stock_maker, "s6-instance-maker", {"-c", "10", t / "tpl", svc}).code == 0);
            REQUIRE(tool(false, "s6-svlink", {sc.dir(), svc}).code == 0);
            REQUIRE(ready(svc));

            auto const run = [&](std::string const &name, strings const &args) {
                return tool(stock_tools, name, args);
            };
            CHECK(run("s6-instance-list", {svc}).out.empty());
            for (strings const &args : {strings{svc, "foo"}, strings{"-D", svc, "bar"}}) {
                auto const r = run("s6-instance-create", args);
                INFO(r.err);
                REQUIRE(r.code == 0);
            }
            std::string const foo = svc + "/instance/foo";
            CHECK(link_text(foo) == "../instances/foo");
            CHECK(h::read_existing(svc + "/instances/foo/data/conf") == "x=1\n");
            CHECK(h::wait_status(foo, h::up));
            CHECK(h::exists(svc + "/instances/bar/down"));
            CHECK(h::wait_status(svc + "/instance/bar", h::down));

            auto listed = run("s6-instance-list", {svc});
            CHECK(listed.code == 0);
            strings names;
            for (std::size_t i = 0, j; (j = listed.out.find('\n', i)) != std::string::npos; i = j + 1)
                names.push_back(listed.out.substr(i, j - i));
            std::sort(names.begin(), names.end());
            CHECK(names == strings{"bar", "foo"});

            auto st = run("s6-instance-status", {"-o", "up,normallyup", svc, "foo"});
            CHECK(st.code == 0);
            CHECK(st.out == "true true\n");
            st = run("s6-instance-status", {"-o", "up,normallyup", svc, "bar"});
            CHECK(st.out == "false false\n");
            CHECK(run("s6-instance-status", {svc, "nosuch"}).code == 1);

            CHECK(run("s6-instance-control", {"-wD", "-T", "5000", "-d", svc, "foo"}).code == 0);
            CHECK(h::status_of(foo).pid == 0);
            CHECK(run("s6-instance-control", {"-u", svc, "bar"}).code == 0);
            CHECK(h::wait_status(svc + "/instance/bar", h::up));
            CHECK(run("s6-instance-control", {"-wu", "-T", "5000", "-u", svc, "foo"}).code == 0);
            CHECK(h::status_of(foo).pid != 0);

            CHECK(run("s6-instance-delete", {svc, "foo"}).code == 0);
            CHECK_FALSE(h::exists(svc + "/instances/foo"));
            CHECK_FALSE(h::exists(foo));
            CHECK(run("s6-instance-delete", {svc, "foo"}).code == 0); // gone already
            CHECK(run("s6-instance-list", {svc}).out == "bar\n");

            // Stopped: create, delete and list exit 1; status of a known instance too.
            REQUIRE(h::run_ours("s6-svc", {"-wD", "-T", "10000", "-d", svc}).code == 0);
            CHECK_FALSE(supervised(svc + "/instance/bar"));
            CHECK(run("s6-instance-create", {svc, "baz"}).code == 1);
            CHECK(run("s6-instance-delete", {svc, "bar"}).code == 1);
            CHECK(run("s6-instance-list", {svc}).code == 1);
            CHECK(run("s6-instance-status", {svc, "bar"}).code == 1);
            CHECK(run("s6-instance-control", {"-u", svc, "bar"}).code == 100);
            CHECK(h::exists(svc + "/instances/bar"));
            CHECK_FALSE(h::exists(svc + "/instances/baz"));
        }
    }
}

TEST_CASE("s6-instance-create gives up after -t when no supervisor comes", "[instances]")
{
    h::need_stock("s6-instance-create");
    need_execline();
    h::tempdir t;
    make_template(t / "tpl");
    scan sc(t / "scan", false);
    // -c 2: the inner s6-svscan supervises two instances at most.
    std::string const svc = t / "svc";
    REQUIRE(h::run_ours("s6-instance-maker", {"-c", "2", t / "tpl", svc}).code == 0);
    REQUIRE(h::run_ours("s6-svlink", {sc.dir(), svc}).code == 0);
    REQUIRE(ready(svc));
    REQUIRE(h::run_ours("s6-instance-create", {svc, "one"}).code == 0);
    REQUIRE(h::run_stock("s6-instance-create", {svc, "two"}).code == 0);
    auto const o = h::run_ours("s6-instance-create", {"-t", "300", svc, "three"});
    auto const s = h::run_stock("s6-instance-create", {"-t", "300", svc, "three"});
    h::check_same(o, s);
    CHECK(o.code == 99);
    CHECK_FALSE(h::exists(svc + "/instances/three"));
    CHECK_FALSE(h::exists(svc + "/instance/three"));
}

TEST_CASE("s6-usertree-maker: the tree runs the user's s6-svscan", "[instances]")
{
    need_execline();
    h::need_root("the tree switches to another user");
    for (char const *p : {"/usr/lib/execline/bin/homeof", "/usr/lib/execline/bin/backtick"})
        if (::access(p, X_OK) != 0) h::skip(std::string("execline has no ") + p);
    h::tempdir t;
    // The user is nobody: its scan directory is given, as nobody's home is not writable.
    std::string const usd = t / "userscan";
    h::mkdirs(usd);
    REQUIRE(::chown(usd.c_str(), 65534, 65534) == 0);
    REQUIRE(::chmod(t.c_str(), 0755) == 0);
    h::mkdirs(t / "logs");
    REQUIRE(::chown((t / "logs").c_str(), 65534, 65534) == 0);
    auto const r = h::run_ours("s6-usertree-maker",
                               {"-d", usd, "-l", "nobody", "nobody", t / "logs", t / "tree"});
    REQUIRE(r.code == 0);
    scan sc(t / "scan", false);
    REQUIRE(h::run_ours("s6-svlink", {sc.dir(), t / "tree"}).code == 0);
    // The user's s6-svscan runs as nobody and holds its lock.
    REQUIRE(h::wait_until([&] { return scan::running(usd); }));
    struct stat st;
    REQUIRE(::stat((usd + "/.s6-svscan/lock").c_str(), &st) == 0);
    CHECK(st.st_uid == 65534);
    CHECK(ready(t / "tree"));
}

TEST_CASE("s6-instance-control and -status: 127 when our s6-svc or s6-svstat is missing",
          "[instances]")
{
    // A copy of the program alone in a directory finds no sibling and falls back to the
    // install bindir, which holds no s6pp in the build tree.
    h::tempdir t;
    for (auto const &[prog, runs] : {std::pair<std::string, std::string>{"s6-instance-control",
                                                                          "s6-svc"},
                                     {"s6-instance-status", "s6-svstat"}}) {
        INFO(prog);
        std::string const copy = t / prog;
        h::write_file(copy, h::read_existing(h::ours(prog)), 0755);
        auto const r = h::run({copy, "-u", t / "svc", "foo"});
        // PROG: fatal: unable to exec PATH: No such file or directory
        std::string const head = prog + ": fatal: unable to exec ";
        std::string const tail = ": No such file or directory\n";
        REQUIRE(r.err.rfind(head, 0) == 0);
        REQUIRE(r.err.size() > head.size() + tail.size());
        REQUIRE(r.err.compare(r.err.size() - tail.size(), tail.size(), tail) == 0);
        std::string const path =
            r.err.substr(head.size(), r.err.size() - head.size() - tail.size());
        if (h::exists(path)) h::skip(path + " exists: s6pp is installed there");
        CHECK(r.code == 127);
        CHECK(path.size() > runs.size());
        CHECK(path.compare(path.size() - runs.size(), runs.size(), runs) == 0);
    }
}
