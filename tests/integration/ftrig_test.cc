// The fifodir programs (s6-mkfifodir, s6-cleanfifodir, s6-ftrig-notify, s6-ftrig-wait,
// s6-ftrig-listen1, s6-ftrig-listen) and the s6-ftrigrd helper, against stock s6 2.11.3.2:
// each program differentially (exit code, stdout, stderr, the files it leaves and their
// modes), listeners and notifiers of both kinds paired both ways (with a stock s6-supervise
// too), our s6-ftrigrd serving STOCK libs6 clients (stock s6-ftrig-wait, s6-svwait,
// s6-svlisten1) in a private mount namespace where it is bind-mounted over
// /usr/bin/s6-ftrigrd, our textclient speaking to stock's helper, and garbage on the helper
// protocol.
#include <catch2/catch.hpp>

#include <algorithm>

#include <cerrno>
#include <charconv>
#include <csignal>
#include <dirent.h>
#include <functional>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include <supervise/fd.hh>
#include <supervise/fifodir.hh>
#include <supervise/ftrigr.hh>
#include <supervise/tai64n.hh>
#include <supervise/textclient.hh>

#include "harness.hh"

using namespace std::string_literals;

namespace {

// The listener FIFOs in a fifodir.
std::vector<std::string> fifos_in(std::string const &fifodir)
{
    std::vector<std::string> v;
    DIR *d = ::opendir(fifodir.c_str());
    if (!d) return v;
    while (dirent *e = ::readdir(d))
        if (sv::is_listener_name(e->d_name)) v.push_back(fifodir + "/" + e->d_name);
    ::closedir(d);
    return v;
}

bool wait_fifos(std::string const &fifodir, std::size_t n)
{
    return h::wait_until([&] { return fifos_in(fifodir).size() == n; }, 5000);
}

// A public fifodir at path (as s6-mkfifodir makes it).
void make_fifodir(std::string const &path)
{
    REQUIRE(sv::fifodir_make_group(path.c_str(), static_cast<gid_t>(-1), false));
}

std::string join(h::strings const &v)
{
    std::string s;
    for (auto const &w : v) s += (s.empty() ? "'" : " '") + w + "'";
    return s;
}

using setup_fn = std::function<void(std::string const &)>;

// Runs stock then ours, each in its own fresh directory prepared by setup and used as the
// working directory (so that relative paths read the same in messages), and checks that
// they agree.  The directories are the caller's, to look at afterwards.
void compare_in(std::string const &tool, h::strings const &args, setup_fn const &setup,
                h::tempdir const &a, h::tempdir const &b, h::run_opts o = {})
{
    setup(a.path());
    setup(b.path());
    o.cwd = a.path();
    auto const s = h::run_stock(tool, args, o);
    o.cwd = b.path();
    auto const r = h::run_ours(tool, args, o);
    INFO(tool << " " << join(args));
    h::check_same(r, s);
}

void compare_fresh(std::string const &tool, h::strings const &args, setup_fn const &setup,
                   h::run_opts const &o = {})
{
    h::tempdir a, b;
    compare_in(tool, args, setup, a, b, o);
}

// Options for h::run: a working directory and extra environment.
h::run_opts at(std::string const &cwd, std::vector<std::string> env = {})
{
    h::run_opts o;
    o.cwd = cwd;
    o.env = std::move(env);
    return o;
}

void one_fifodir(std::string const &d) { make_fifodir(d + "/fd"); }

void need_all_stock()
{
    for (char const *t : {"s6-mkfifodir", "s6-cleanfifodir", "s6-ftrig-notify", "s6-ftrig-wait",
                          "s6-ftrig-listen1", "s6-ftrig-listen", "s6-ftrigrd"})
        h::need_stock(t);
}

} // namespace

// ---- usage and bad paths ------------------------------------------------------------------

TEST_CASE("ftrig programs: usage errors exit 100 with stock's message", "[ftrig]")
{
    need_all_stock();
    std::vector<std::pair<std::string, h::strings>> const cases = {
        {"s6-mkfifodir", {}},
        {"s6-mkfifodir", {"-x", "d"}},
        {"s6-mkfifodir", {"-g"}},
        {"s6-mkfifodir", {"-g", "x", "d"}},
        {"s6-mkfifodir", {"-g", "-1", "d"}},
        {"s6-mkfifodir", {"-g", "5x", "d"}},
        {"s6-mkfifodir", {"-g", "99999999999", "d"}},
        {"s6-mkfifodir", {"-f"}},
        {"s6-cleanfifodir", {}},
        {"s6-ftrig-notify", {}},
        {"s6-ftrig-notify", {"d"}},
        {"s6-ftrig-wait", {}},
        {"s6-ftrig-wait", {"d"}},
        {"s6-ftrig-wait", {"-x", "d", "a"}},
        {"s6-ftrig-wait", {"-t", "d", "a"}},
        {"s6-ftrig-wait", {"-t", "5x", "d", "a"}},
        {"s6-ftrig-wait", {"-t", "-1", "d", "a"}},
        {"s6-ftrig-wait", {"-t", "99999999999", "d", "a"}},
        {"s6-ftrig-listen1", {}},
        {"s6-ftrig-listen1", {"d", "a"}},
        {"s6-ftrig-listen1", {"-t", "x", "d", "a", "true"}},
        {"s6-ftrig-listen1", {"-a", "d", "a", "true"}},
        {"s6-ftrig-listen", {}},
        {"s6-ftrig-listen", {"d", "a", ""}},          // fewer than 4 words
        {"s6-ftrig-listen", {"", "true", "x", "y"}},  // empty block
        {"s6-ftrig-listen", {"d", "", "true", "x"}},  // odd block
        {"s6-ftrig-listen", {"d", "a", "e", "b", ""}}, // no prog
        {"s6-ftrig-listen", {"d", "a", "e", "b"}},    // no end, odd count
        {"s6-ftrig-listen", {"d", "a", "true", "x", "y"}}, // no end: unterminated
        {"s6-ftrig-listen", {"-x", "d", "a", "", "true"}},
        {"s6-ftrig-listen", {"-t", "x", "d", "a", "", "true"}},
    };
    for (auto const &[tool, args] : cases) {
        INFO(tool << " " << join(args));
        auto const s = h::run_stock(tool, args);
        auto const r = h::run_ours(tool, args);
        h::check_same(r, s);
        CHECK(r.code == 100);
    }
}

TEST_CASE("ftrig programs: missing or wrong-type paths exit 111 as stock", "[ftrig]")
{
    need_all_stock();
    auto setup = [](std::string const &d) {
        h::write_file(d + "/file", "");
        make_fifodir(d + "/fd");
    };
    std::vector<std::pair<std::string, h::strings>> const cases = {
        {"s6-mkfifodir", {"nodir/x"}},
        {"s6-mkfifodir", {"file"}},
        {"s6-mkfifodir", {"-f", "file"}},
        {"s6-cleanfifodir", {"nodir"}},
        {"s6-cleanfifodir", {"file"}},
        {"s6-ftrig-notify", {"nodir", "x"}},
        {"s6-ftrig-notify", {"file", "x"}},
        {"s6-ftrig-wait", {"-t", "2000", "nodir", "a"}},
        {"s6-ftrig-wait", {"-t", "2000", "file", "a"}},
        {"s6-ftrig-wait", {"-t", "2000", "fd", "("}},
        {"s6-ftrig-wait", {"-t", "2000", "fd", "a{1"}},
        {"s6-ftrig-listen1", {"-t", "2000", "nodir", "a", "true"}},
        {"s6-ftrig-listen1", {"-t", "2000", "fd", "(", "true"}},
        {"s6-ftrig-listen1", {"-t", "2000", "fd", "a", "/nonexistent/prog"}},
        {"s6-ftrig-listen1", {"-t", "2000", "fd", "a", "no-such-prog-in-path"}},
        {"s6-ftrig-listen", {"-t", "2000", "fd", "a", "nodir", "b", "", "true"}},
        {"s6-ftrig-listen", {"-t", "2000", "fd", "a", "fd", "(", "", "true"}},
        {"s6-ftrig-listen", {"-t", "2000", "fd", "a", "", "/nonexistent/prog"}},
    };
    for (auto const &[tool, args] : cases) {
        h::tempdir a, b;
        compare_in(tool, args, setup, a, b);
        auto const r = h::run_ours(tool, args, at(b.path()));
        CHECK(r.code == 111);
        // Nothing is left subscribed after a failure.
        CHECK(wait_fifos(b / "fd", 0));
        CHECK(wait_fifos(a / "fd", 0));
    }
}

TEST_CASE("s6-mkfifodir: modes, groups and -f as stock", "[ftrig]")
{
    need_all_stock();
    h::umask_guard um(022);
    auto modes = [](std::string const &d) {
        std::string s;
        for (char const *n : {"pub", "grp", "old", "oldf", "mine"}) {
            struct stat st;
            s += n;
            if (::stat((d + "/" + n).c_str(), &st) < 0) {
                s += ":none ";
                continue;
            }
            char oct[8];
            auto const m = std::to_chars(oct, oct + sizeof oct, st.st_mode & 07777, 8);
            s += ":" + std::string(oct, m.ptr) + ":" + std::to_string(st.st_gid) + " ";
        }
        return s;
    };
    h::tempdir a, b;
    auto setup = [](std::string const &d) {
        REQUIRE(::mkdir((d + "/old").c_str(), 0755) == 0);
        REQUIRE(::mkdir((d + "/oldf").c_str(), 0755) == 0);
    };
    setup(a.path());
    setup(b.path());
    for (h::strings const &args : {h::strings{"pub"}, h::strings{"-g", "100", "grp"},
                                   h::strings{"-g", "100", "old"},
                                   h::strings{"-f", "-g", "100", "oldf"},
                                   h::strings{"pub", "ignored", "words"}, h::strings{"-f", "mine"},
                                   h::strings{"-f", "-g", "0", "mine"}}) {
        INFO(join(args));
        auto const s = h::run_stock("s6-mkfifodir", args, at(a.path()));
        auto const r = h::run_ours("s6-mkfifodir", args, at(b.path()));
        h::check_same(r, s);
        CHECK(r.code == 0);
        CHECK(modes(b.path()) == modes(a.path()));
    }
    CHECK(modes(b.path()) == "pub:1733:0 grp:3730:100 old:755:0 oldf:3730:100 mine:3730:0 ");

    SECTION("a directory of another user is refused (EACCES), even with -f")
    {
        for (auto const *d : {&a, &b}) REQUIRE(::chown((*d / "old").c_str(), 65534, -1) == 0);
        for (h::strings const &args : {h::strings{"old"}, h::strings{"-f", "old"}}) {
            auto const s = h::run_stock("s6-mkfifodir", args, at(a.path()));
            auto const r = h::run_ours("s6-mkfifodir", args, at(b.path()));
            h::check_same(r, s);
            CHECK(r.code == 111);
            CHECK(r.err ==
                  "s6-mkfifodir: fatal: unable to create fifodir at old: Permission denied\n");
        }
    }
}

// ---- notify, wait, listen ----------------------------------------------------------------

TEST_CASE("s6-ftrig-wait: ours and stock print the same byte, from either notifier", "[ftrig]")
{
    need_all_stock();
    h::tempdir t;
    std::string const fd = t / "fd";
    make_fifodir(fd);
    struct tc {
        std::string re, events;
    };
    for (auto const &c : std::vector<tc>{{"a.*c", "xabcx"},
                                         {"[ab]", "xaxb"},
                                         {"b+", "abbbc"},
                                         {"", "abc"},   // "" is ".*": the last byte
                                         {"b*", "abc"}, // an empty match: byte 0
                                         {"(x|y)z", "qyz"},
                                         {"[[:digit:]]{3}", "a12b345"}}) {
        for (bool stock_notifier : {true, false}) {
            INFO("regexp '" << c.re << "' on '" << c.events << "', notified by "
                            << (stock_notifier ? "stock" : "ours"));
            h::tempdir logs;
            h::mkdirs(logs / "s");
            h::mkdirs(logs / "o");
            h::proc s({h::stock("s6-ftrig-wait"), "-t", "3000", fd, c.re}, logs / "s");
            REQUIRE(wait_fifos(fd, 1));
            h::proc o({h::ours("s6-ftrig-wait"), "-t", "3000", fd, c.re}, logs / "o");
            REQUIRE(wait_fifos(fd, 2));
            // Both FIFOs: listener names, mode 0600.
            for (auto const &f : fifos_in(fd)) CHECK(h::mode_of(f) == (S_IFIFO | 0600));
            auto const r = h::run({stock_notifier ? h::stock("s6-ftrig-notify")
                                                  : h::ours("s6-ftrig-notify"),
                                   fd, c.events});
            CHECK(r.code == 0);
            CHECK(r.out.empty());
            CHECK(r.err.empty());
            int const sc = s.wait(5000), oc = o.wait(5000);
            CHECK(sc == 0);
            CHECK(oc == sc);
            CHECK(o.out() == s.out());
            CHECK(o.err() == h::stock_message(s.err()));
            CHECK(wait_fifos(fd, 0));
        }
    }
}

TEST_CASE("s6-ftrig-wait: ^ and $ never match, and the timeout exits 1", "[ftrig]")
{
    need_all_stock();
    for (auto const &re : {"^a", "c$", "^$"}) {
        h::tempdir a, b, la, lb;
        make_fifodir(a / "fd");
        make_fifodir(b / "fd");
        h::proc s({h::stock("s6-ftrig-wait"), "-t", "300", a / "fd", re}, la.path());
        h::proc o({h::ours("s6-ftrig-wait"), "-t", "300", b / "fd", re}, lb.path());
        REQUIRE(wait_fifos(a / "fd", 1));
        REQUIRE(wait_fifos(b / "fd", 1));
        h::run({h::ours("s6-ftrig-notify"), a / "fd", "abc"});
        h::run({h::ours("s6-ftrig-notify"), b / "fd", "abc"});
        CHECK(s.wait(5000) == 1);
        CHECK(o.wait(5000) == 1);
        CHECK(o.out() == s.out());
        CHECK(o.err() == h::stock_message(s.err()));
        CHECK(o.err() == "s6-ftrig-wait: fatal: unable to match regexp on "s + re +
                             ": Connection timed out\n");
    }
}

TEST_CASE("s6-ftrig-listen1: mixed pairs with s6-ftrig-notify as prog", "[ftrig]")
{
    need_all_stock();
    h::tempdir t;
    std::string const fd = t / "fd";
    make_fifodir(fd);
    std::vector<std::pair<std::string, std::string>> const pairs = {
        {h::ours("s6-ftrig-listen1"), h::stock("s6-ftrig-notify")},
        {h::stock("s6-ftrig-listen1"), h::ours("s6-ftrig-notify")},
        {h::ours("s6-ftrig-listen1"), h::ours("s6-ftrig-notify")},
    };
    for (auto const &[listener, notifier] : pairs) {
        INFO(listener << " + " << notifier);
        auto const r = h::run({listener, "-t", "3000", fd, "b.*d", notifier, fd, "abcde"});
        CHECK(r.code == 0);
        CHECK(r.out == "d\n");
        CHECK(r.err.empty());
        CHECK(wait_fifos(fd, 0));
    }
    // prog is looked up in PATH and its exit status does not matter; the timeout is exit 1.
    compare_fresh("s6-ftrig-listen1", {"-t", "200", "fd", "x", "false"}, one_fifodir);
    compare_fresh("s6-ftrig-listen1",
                  {"-t", "3000", "fd", "x", "sh", "-c", "s6-ftrig-notify fd ax; exit 3"},
                  one_fifodir);
    compare_fresh("s6-ftrig-listen1", {"-t", "3000", "fd", "", "s6-ftrig-notify", "fd", "xyz"},
                  one_fifodir);
}

TEST_CASE("s6-ftrig-listen: -a, -o, blocks, EXECLINE_STRICT, as stock", "[ftrig]")
{
    need_all_stock();
    auto setup = [](std::string const &d) {
        make_fifodir(d + "/f1");
        make_fifodir(d + "/f2");
    };
    std::string const both = "s6-ftrig-notify f1 1; s6-ftrig-notify f2 2";
    std::vector<h::strings> const cases = {
        {"-t", "3000", " f1", " 1", " f2", " 2", "", "sh", "-c", both},
        {"-a", "-t", "3000", "f1", "1", "f2", "2", "", "sh", "-c", both},
        {"-o", "-t", "3000", "f1", "1", "f2", "2", "", "s6-ftrig-notify", "f2", "2"},
        {"-t", "300", "f1", "1", "f2", "2", "", "s6-ftrig-notify", "f2", "2"}, // -a: times out
        {"-o", "-a", "-t", "300", "f1", "1", "f2", "2", "", "s6-ftrig-notify", "f2", "2"},
        {"-t", "3000", "f1", "1", "f1", "[0-9]", "", "s6-ftrig-notify", "f1", "1"},
        {"-t", "300", "f1", "^1", "", "s6-ftrig-notify", "f1", "1"},
        {"-t", "3000", "  f1", "1", "", "true"}, // one space removed: " f1" does not exist
    };
    for (auto const &args : cases) compare_fresh("s6-ftrig-listen", args, setup);

    SECTION("EXECLINE_STRICT: a warning for each unquoted word, or a fatal error")
    {
        h::strings const args = {"-o", "-t", "3000", " f1", "1", "f2", " 2", "",
                                 "s6-ftrig-notify", "f1", "1"};
        compare_fresh("s6-ftrig-listen", args, setup, at("", {"EXECLINE_STRICT=1"}));
        compare_fresh("s6-ftrig-listen", args, setup, at("", {"EXECLINE_STRICT=2"}));
        h::tempdir a;
        setup(a.path());
        auto const r = h::run_ours("s6-ftrig-listen", args,
                                   at(a.path(), {"EXECLINE_STRICT=2"}));
        CHECK(r.code == 100);
        CHECK(r.err == "s6-ftrig-listen: fatal: unquoted argument 1 at block 1 position 1\n");
        CHECK(wait_fifos(a / "f1", 0));
    }
}

TEST_CASE("ftrig listeners and supervisors, ours and stock, both ways", "[ftrig]")
{
    need_all_stock();
    h::need_stock("s6-supervise");
    h::need_stock("s6-svc");
    for (bool ours_supervise : {false, true}) {
        h::tempdir t;
        std::string const svc = t / "svc";
        h::make_service(svc, "exec sleep 100", {{"down", ""}});
        h::mkdirs(t / "log");
        auto sup = h::start_supervise(
            ours_supervise ? h::ours("s6-supervise") : h::stock("s6-supervise"), svc, t / "log");
        auto const listen1 =
            ours_supervise ? h::stock("s6-ftrig-listen1") : h::ours("s6-ftrig-listen1");
        INFO((ours_supervise ? "our s6-supervise, stock s6-ftrig-listen1"
                             : "stock s6-supervise, our s6-ftrig-listen1"));
        auto r =
            h::run({listen1, "-t", "5000", svc + "/event", "u", h::stock("s6-svc"), "-u", svc});
        CHECK(r.code == 0);
        CHECK(r.out == "u\n");
        r = h::run({listen1, "-t", "5000", svc + "/event", "d.*D", h::stock("s6-svc"), "-d", svc});
        CHECK(r.code == 0);
        CHECK(r.out == "D\n");
        CHECK(wait_fifos(svc + "/event", 0));
        // An s6-ftrig-wait of either kind sees the supervisor's last event.
        h::tempdir logs;
        h::proc w({h::ours("s6-ftrig-wait"), "-t", "5000", svc + "/event", "x"}, logs.path());
        REQUIRE(wait_fifos(svc + "/event", 1));
        REQUIRE(h::run({h::stock("s6-svc"), "-x", svc}).code == 0);
        CHECK(w.wait(5000) == 0);
        CHECK(w.out() == "x\n");
        CHECK(sup->wait(5000) == 0);
    }
}

// ---- s6-cleanfifodir ----------------------------------------------------------------------

TEST_CASE("s6-cleanfifodir removes stale FIFOs only (stock 2.11.3.2 removes none)", "[ftrig]")
{
    need_all_stock();
    auto setup = [](std::string const &d) {
        std::string const fd = d + "/fd";
        make_fifodir(fd);
        // Two stale FIFOs (no reader: a listener killed with SIGKILL), a FIFO and a file of
        // other names.
        REQUIRE(::mkfifo((fd + "/ftrig1:@400000006b038be22bbb9a71:AAAAAA").c_str(), 0600) == 0);
        REQUIRE(::mkfifo((fd + "/ftrig1:@400000006b038be22bbb9a72:BBBBBB").c_str(), 0600) == 0);
        REQUIRE(::mkfifo((fd + "/other").c_str(), 0600) == 0);
        h::write_file(fd + "/ftrig1:@400000006b038be22bbb9a73:CC", "x");
    };
    h::tempdir a, b, la, lb;
    setup(a.path());
    setup(b.path());
    // And a live subscriber in each.
    h::proc live_a({h::ours("s6-ftrig-wait"), "-t", "5000", a / "fd", "zz"}, la.path());
    h::proc live_b({h::ours("s6-ftrig-wait"), "-t", "5000", b / "fd", "zz"}, lb.path());
    REQUIRE(wait_fifos(a / "fd", 3));
    REQUIRE(wait_fifos(b / "fd", 3));

    auto const s = h::run_stock("s6-cleanfifodir", {"fd"}, at(a.path()));
    auto const r = h::run_ours("s6-cleanfifodir", {"fd"}, at(b.path()));
    h::check_same(r, s);
    CHECK(r.code == 0);
    // What the documentation says: the stale ones are gone, the rest stays.
    CHECK(fifos_in(b / "fd").size() == 1);
    CHECK(h::exists(b / "fd/other"));
    CHECK(h::exists(b / "fd/ftrig1:@400000006b038be22bbb9a73:CC"));
    // Stock 2.11.3.2's bug, deliberately not copied: nothing was removed.
    CHECK(fifos_in(a / "fd").size() == 3);
    // The live subscriber still hears events.
    REQUIRE(h::run({h::ours("s6-ftrig-notify"), b / "fd", "zz"}).code == 0);
    CHECK(live_b.wait(5000) == 0);
    CHECK(live_b.out() == "z\n");
}

TEST_CASE("a killed listener: its FIFO stays until a clean-up or a notification", "[ftrig]")
{
    need_all_stock();
    h::tempdir t, logs;
    std::string const fd = t / "fd";
    make_fifodir(fd);
    // Ours holds its FIFO itself, so SIGKILL leaves it behind (as it does stock's helper when
    // the helper is killed).  Stock's listener leaves its helper alive, which removes the
    // FIFO when its client is gone.
    for (auto const &w : {h::stock("s6-ftrig-wait"), h::ours("s6-ftrig-wait")}) {
        h::proc p({w, fd, "x"}, logs.path());
        REQUIRE(wait_fifos(fd, 1));
        p.signal(SIGKILL);
        CHECK(p.wait(5000) == 128 + SIGKILL);
        if (w == h::stock("s6-ftrig-wait")) CHECK(wait_fifos(fd, 0));
    }
    CHECK(fifos_in(fd).size() == 1);
    CHECK(h::run_ours("s6-cleanfifodir", {fd}).code == 0);
    CHECK(wait_fifos(fd, 0));

    REQUIRE(::mkfifo((fd + "/ftrig1:@400000006b038be22bbb9a71:AAAAAA").c_str(), 0600) == 0);
    CHECK(h::run_ours("s6-ftrig-notify", {fd, "x"}).code == 0); // ENXIO: removed
    CHECK(wait_fifos(fd, 0));
}

// ---- s6-ftrigrd ---------------------------------------------------------------------------

namespace {

// Sends fd 2 of this process to a file for a scope, so that a helper spawned by a
// text_client (which inherits our stderr) can have its messages read.
class stderr_to {
public:
    explicit stderr_to(std::string const &path)
    {
        saved_ = ::dup(2);
        int f = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        REQUIRE(f >= 0);
        ::dup2(f, 2);
        ::close(f);
    }
    ~stderr_to()
    {
        ::dup2(saved_, 2);
        ::close(saved_);
    }

private:
    int saved_;
};

std::string subscribe_msg(std::uint16_t id, std::uint32_t options, std::string const &path,
                          std::string const &re)
{
    char hd[sv::ftrigr_subscribe_header];
    sv::ftrigr_pack_subscribe(hd, id, options, static_cast<std::uint32_t>(path.size()),
                              static_cast<std::uint32_t>(re.size()));
    return std::string(hd, sizeof hd) + path + '\0' + re + '\0';
}

std::string unsubscribe_msg(std::uint16_t id)
{
    char u[sv::ftrigr_unsubscribe_size];
    sv::ftrigr_pack_unsubscribe(u, id);
    return {u, sizeof u};
}

std::int64_t soon() { return sv::mono_ms() + 5000; }

// One request; its answer as text: "ok", an errno number, or "error:<errno>".
std::string ask(sv::text_client &c, std::string const &msg)
{
    std::string_view ans;
    if (!c.exchange({msg}, ans, soon())) return "error:" + std::to_string(errno);
    if (ans.size() != 1) return "answer of " + std::to_string(ans.size()) + " bytes";
    return ans[0] ? std::to_string(static_cast<unsigned char>(ans[0])) : "ok";
}

// Reads events until n have come (or the deadline); each as "ID!c".  Each subscription has a
// FIFO of its own and the helper reads whichever poll() reports first, so the order between
// subscriptions is a race in stock and in ours: the events are given grouped by id, each
// subscription's own events in the order they came.
std::string events(sv::text_client &c, std::size_t n)
{
    std::vector<std::pair<std::uint32_t, std::string>> seen;
    std::size_t got = 0;
    std::int64_t const deadline = soon();
    while (got < n) {
        std::string_view m;
        if (!sv::text_receive_until(c.async(), m, deadline)) break;
        sv::ftrigr_event e;
        if (!sv::ftrigr_unpack_event(m, e)) {
            seen.emplace_back(~0u, "[bad event]");
            break;
        }
        seen.emplace_back(e.id, std::to_string(e.id) + e.what + static_cast<char>(e.info) + " ");
        got++;
    }
    std::stable_sort(seen.begin(), seen.end(),
                     [](auto const &x, auto const &y) { return x.first < y.first; });
    std::string out;
    for (auto const &[id, text] : seen) out += text;
    return out;
}

bool start(sv::text_client &c, std::string const &helper,
           std::string_view banner1 = sv::ftrigr_banner1)
{
    char const *argv[] = {helper.c_str(), nullptr};
    char const *envp[] = {nullptr};
    return c.start(argv, envp, banner1, sv::ftrigr_banner2, soon());
}

// A whole session with a helper, written down.
std::string session(std::string const &helper, std::string const &dir)
{
    std::string const fd = dir + "/fd";
    std::string log;
    sv::text_client c;
    REQUIRE(start(c, helper));
    log += "L1 " + ask(c, subscribe_msg(1, sv::ftrigr_repeat, fd, "[ab]")) + "\n";
    log += "L2 " + ask(c, subscribe_msg(2, 0, fd, "x.*y")) + "\n";
    log += "L3 " + ask(c, subscribe_msg(3, 0, dir + "/nodir", "a")) + "\n";
    log += "L4 " + ask(c, subscribe_msg(4, 0, fd, "(")) + "\n";
    log += "L5 " + ask(c, "\0\x05L123"s) + "\n";
    std::string bad = subscribe_msg(6, 0, fd, "a");
    bad.back() = 'x';
    log += "L6 " + ask(c, bad) + "\n";
    log += "L7 " + ask(c, subscribe_msg(7, 0, fd, "")) + "\n";
    log += "fifos " + std::to_string(fifos_in(fd).size()) + "\n";
    REQUIRE(sv::fifodir_notify(fd.c_str(), "xaxbxa") == 3);
    log += "events " + events(c, 4) + "\n";
    REQUIRE(sv::fifodir_notify(fd.c_str(), "y") == 2);
    log += "events " + events(c, 1) + "\n";
    log += "U2 " + ask(c, unsubscribe_msg(2)) + "\n";
    log += "U1 " + ask(c, unsubscribe_msg(1)) + "\n";
    log += "U1 " + ask(c, unsubscribe_msg(1)) + "\n";
    log += "fifos " + std::to_string(fifos_in(fd).size()) + "\n";
    int const wstat = c.end();
    log += "exit " + std::to_string(WIFEXITED(wstat) ? WEXITSTATUS(wstat) : -1) + "\n";
    log += "fifos " + std::to_string(fifos_in(fd).size()) + "\n";
    return log;
}

} // namespace

TEST_CASE("s6-ftrigrd: our textclient gets the same session from stock's helper and ours",
          "[ftrig][ftrigrd]")
{
    need_all_stock();
    h::tempdir a, b;
    make_fifodir(a / "fd");
    make_fifodir(b / "fd");
    std::string const theirs = session(h::stock("s6-ftrigrd"), a.path());
    std::string const ours = session(h::ours("s6-ftrigrd"), b.path());
    CHECK(ours == theirs);
    // What stock answered, in full (the "" regex is ".*": the last byte of the read).
    CHECK(theirs == "L1 ok\nL2 ok\nL3 2\nL4 22\nL5 71\nL6 71\nL7 ok\nfifos 3\n"
                    "events 1!a 1!b 1!a 7!a \nevents 2!y \n"
                    "U2 22\nU1 ok\nU1 22\nfifos 0\nexit 0\nfifos 0\n");
}

TEST_CASE("s6-ftrigrd: garbage on the protocol ends the helper, never hangs", "[ftrig][ftrigrd]")
{
    need_all_stock();
    h::tempdir t;
    make_fifodir(t / "fd");
    using step_fn = std::function<bool(sv::text_client &, std::string const &helper)>;
    struct outcome {
        int code = -2;
        std::string err;
        bool client_failed = false;
        std::int64_t ms = 0; // how long the client's bad step took
    };
    // Takes a helper through one bad step as its client, and reports how it all ended.
    auto bad = [&](std::string const &helper, step_fn const &step) {
        outcome o;
        std::string const errfile = t / "helper.err";
        {
            stderr_to redirect(errfile);
            sv::text_client c;
            std::int64_t const t0 = sv::mono_ms();
            o.client_failed = !step(c, helper);
            o.ms = sv::mono_ms() - t0;
            c.end();
            int const wstat = c.last_status();
            o.code = WIFEXITED(wstat) ? WEXITSTATUS(wstat) : -1;
        }
        o.err = h::read_file(errfile);
        return o;
    };
    auto both = [&](step_fn const &step, int code, std::string const &err) {
        outcome const s = bad(h::stock("s6-ftrigrd"), step);
        outcome const r = bad(h::ours("s6-ftrigrd"), step);
        CHECK(s.client_failed);
        CHECK(r.client_failed);
        CHECK(r.code == s.code);
        CHECK(r.err == s.err);
        CHECK(r.code == code);
        CHECK(r.err == err);
        CHECK(wait_fifos(t / "fd", 0));
    };
    SECTION("a wrong banner: the client hears of it at once, not at its deadline")
    {
        both([&](sv::text_client &c, std::string const &helper) {
            return start(c, helper, "ftrigr v1.0 (c)\n");
        }, 111, "s6-ftrigrd: fatal: unable to sync with client: Protocol error\n");
        auto const quick = [&](sv::text_client &c, std::string const &hp) {
            bool const ok = start(c, hp, "ftrigr v1.0 (c)\n");
            CHECK(errno == EPIPE);
            return ok;
        };
        outcome const r = bad(h::ours("s6-ftrigrd"), quick);
        CHECK(r.ms < 2000);
    }
    SECTION("an unknown command, with a subscription open")
    {
        both([&](sv::text_client &c, std::string const &helper) {
            REQUIRE(start(c, helper));
            REQUIRE(c.command({subscribe_msg(1, 0, t / "fd", "a")}, soon()));
            REQUIRE(fifos_in(t / "fd").size() == 1);
            return c.command({"\0\x01Z"s}, soon());
        }, 100, "s6-ftrigrd: fatal: invalid client request\n");
    }
    SECTION("a message too short to be a request")
    {
        both([&](sv::text_client &c, std::string const &helper) {
            REQUIRE(start(c, helper));
            return c.command({"\0"s}, soon());
        }, 100, "s6-ftrigrd: fatal: invalid client request\n");
    }
    SECTION("a client that closes mid-message: a normal end")
    {
        both([&](sv::text_client &c, std::string const &helper) {
            REQUIRE(start(c, helper));
            REQUIRE(c.command({subscribe_msg(1, 0, t / "fd", "a")}, soon()));
            REQUIRE(sv::write_full(c.request_fd(), "\0\0\0\x20partial"s));
            return false;
        }, 0, "");
    }
    SECTION("no client at all: end of file, or silence until the 2-second deadline")
    {
        for (auto const &[input, err] :
             std::vector<std::pair<std::string, std::string>>{
                 {"< /dev/null", "Broken pipe"}, {"sleep 2.5 |", "Connection timed out"}}) {
            auto run_helper = [&](std::string const &helper) {
                std::string const script =
                    "exec 3>&2; " + input + " /usr/bin/env SKALIBS_CHILD_SPAWN_FDS=3 \"$0\"";
                return h::run({"/bin/sh", "-c", script, helper});
            };
            auto const s = run_helper(h::stock("s6-ftrigrd"));
            auto const r = run_helper(h::ours("s6-ftrigrd"));
            h::check_same(r, s);
            CHECK(r.code == 111);
            CHECK(r.err == "s6-ftrigrd: fatal: unable to sync with client: " + err + "\n");
        }
    }
}

TEST_CASE("s6-ftrigrd: what only ours refuses, and how", "[ftrig][ftrigrd]")
{
    h::tempdir t;
    SECTION("a request larger than 16 KiB: exit 111 at once (stock would wait for it)")
    {
        std::string const errfile = t / "err";
        sv::text_client c;
        int wstat;
        {
            stderr_to redirect(errfile);
            REQUIRE(start(c, h::ours("s6-ftrigrd")));
            REQUIRE(sv::write_full(c.request_fd(), "\0\x10\0\0"s));
            // Leave the connection open until the helper has gone (its event pipe closes).
            std::string_view m;
            CHECK_FALSE(sv::text_receive_until(c.async(), m, soon()));
            CHECK(errno == EPIPE);
            wstat = c.end();
        }
        CHECK(WEXITSTATUS(wstat) == 111);
        CHECK(h::read_file(errfile) ==
              "s6-ftrigrd: fatal: unable to handle messages from client: Message too long\n");
    }
    SECTION("no SKALIBS_CHILD_SPAWN_FDS: socket mode is not served")
    {
        auto const r = h::run({h::ours("s6-ftrigrd")});
        CHECK(r.code == 111);
        CHECK(r.err == "s6-ftrigrd: fatal: unable to sync with client: Protocol not supported\n");
    }
}

namespace {

// True if this system lets us make a private mount namespace and bind-mount in it.
bool can_unshare()
{
    if (::access("/usr/bin/unshare", X_OK) != 0) return false;
    auto const r = h::run({"/usr/bin/unshare", "-m", "sh", "-c",
                           "mount --bind /dev/null /usr/bin/s6-ftrigrd && true"});
    return r.code == 0;
}

// The pid of the child of parent named s6-ftrigrd, 0 if none (yet).
pid_t helper_of(pid_t parent)
{
    std::string const kids = h::read_file("/proc/" + std::to_string(parent) + "/task/" +
                                          std::to_string(parent) + "/children");
    std::size_t pos = 0;
    while (pos < kids.size()) {
        std::size_t end = kids.find(' ', pos);
        if (end == std::string::npos) end = kids.size();
        std::string const pid = kids.substr(pos, end - pos);
        pos = end + 1;
        if (!pid.empty() && h::read_file("/proc/" + pid + "/comm") == "s6-ftrigrd\n")
            return static_cast<pid_t>(std::stol(pid));
    }
    return 0;
}

// True if the running process pid executes the file at path (same device and inode: what a
// bind mount shows).
bool runs_file(pid_t pid, std::string const &path)
{
    struct stat a, b;
    return ::stat(("/proc/" + std::to_string(pid) + "/exe").c_str(), &a) == 0 &&
           ::stat(path.c_str(), &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// argv that runs prog... in a private mount namespace where OUR s6-ftrigrd is bind-mounted
// over stock libs6's /usr/bin/s6-ftrigrd (the host's file is never touched).
h::strings with_our_helper(h::strings const &prog)
{
    h::strings v = {"/usr/bin/unshare", "-m", "sh", "-c",
                    "mount --bind \"$0\" /usr/bin/s6-ftrigrd && exec \"$@\"",
                    h::ours("s6-ftrigrd")};
    v.insert(v.end(), prog.begin(), prog.end());
    return v;
}

} // namespace

TEST_CASE("s6-ftrigrd: stock libs6 clients run unchanged on ours", "[ftrig][ftrigrd]")
{
    need_all_stock();
    h::need_stock("s6-svwait");
    h::need_stock("s6-svlisten1");
    h::need_root("bind-mounting our s6-ftrigrd over /usr/bin/s6-ftrigrd");
    if (std::string(sv::ftrigrd_path) != h::stock("s6-ftrigrd"))
        h::skip("stock s6 is not in /usr/bin, where libs6 looks for s6-ftrigrd");
    if (!can_unshare()) h::skip("cannot bind-mount in a private mount namespace (unshare -m)");

    for (bool ours : {false, true}) {
        INFO((ours ? "our s6-ftrigrd" : "stock s6-ftrigrd"));
        auto wrap = [&](h::strings const &prog) { return ours ? with_our_helper(prog) : prog; };
        // The helper really is the one we meant: check the running process's executable.
        auto check_helper = [&](pid_t client) {
            pid_t helper = 0;
            REQUIRE(h::wait_until([&] { return (helper = helper_of(client)) != 0; }, 5000));
            CHECK(runs_file(helper, ours ? h::ours("s6-ftrigrd") : h::stock("s6-ftrigrd")));
            CHECK_FALSE(runs_file(helper, ours ? h::stock("s6-ftrigrd") : h::ours("s6-ftrigrd")));
        };
        h::tempdir t, logs;
        std::string const fd = t / "fd";
        make_fifodir(fd);

        SECTION("s6-ftrig-wait")
        {
            h::proc p(wrap({h::stock("s6-ftrig-wait"), "-t", "5000", fd, "a.*c"}), logs.path());
            REQUIRE(wait_fifos(fd, 1));
            check_helper(p.pid());
            for (auto const &f : fifos_in(fd)) CHECK(h::mode_of(f) == (S_IFIFO | 0600));
            REQUIRE(h::run({h::ours("s6-ftrig-notify"), fd, "xabcx"}).code == 0);
            CHECK(p.wait(5000) == 0);
            CHECK(p.out() == "c\n");
            CHECK(p.err().empty());
            CHECK(wait_fifos(fd, 0));
        }
        SECTION("s6-ftrig-wait timing out")
        {
            auto const r = h::run(wrap({h::stock("s6-ftrig-wait"), "-t", "200", fd, "a"}));
            CHECK(r.code == 1);
            CHECK(r.err ==
                  "s6-ftrig-wait: fatal: unable to match regexp on a: Connection timed out\n");
            CHECK(wait_fifos(fd, 0));
        }
        SECTION("s6-svwait")
        {
            std::string const svc = t / "svc";
            h::make_fake_service(svc, false, false);
            h::proc p(wrap({h::stock("s6-svwait"), "-t", "5000", "-U", svc}), logs.path());
            REQUIRE(wait_fifos(svc + "/event", 1));
            check_helper(p.pid());
            // Repeat mode: u, then U.
            h::notify_drained(svc, "u");
            CHECK(p.running());
            h::notify(svc, "U");
            CHECK(p.wait(5000) == 0);
            CHECK(p.err().empty());
            CHECK(wait_fifos(svc + "/event", 0));
        }
        SECTION("s6-svlisten1, and a failure count")
        {
            std::string const svc = t / "svc";
            h::make_fake_service(svc, false, false);
            // prog waits for the test to look at the helper, then sends the events.
            std::string const go = t / "go";
            h::proc p(wrap({h::stock("s6-svlisten1"), "-t", "5000", "-U", svc, "sh", "-c",
                            "while [ ! -e " + go + " ]; do sleep 0.01; done; exec " +
                                h::stock("s6-ftrig-notify") + " " + svc + "/event sO"}),
                      logs.path());
            REQUIRE(wait_fifos(svc + "/event", 1));
            check_helper(p.pid());
            h::write_file(go, "");
            CHECK(p.wait(5000) == 1);
            CHECK(p.err() == "s6-svlisten1: fatal: " + svc +
                                 " failed permanently or its supervisor died\n");
            CHECK(wait_fifos(svc + "/event", 0));
        }
    }
}
