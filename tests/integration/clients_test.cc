// Integration tests for the client tools: s6-svc, s6-svok, s6-svstat, s6-svwait, s6-svlisten1,
// s6-svdt, s6-svdt-clear and s6-notifyoncheck.  Wherever output is deterministic, ours is
// compared with the stock s6 2.11.3.2 tool on the same input.  Supervised services run under
// both supervisors in turn, stock s6-supervise and ours.  Scripted-event tests need no
// supervisor at all: they write a status file and push event bytes into the listeners' FIFOs
// themselves.
#include "harness.hh"

#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <string_view>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <supervise/control.hh>
#include <supervise/fifodir.hh>
#include <supervise/status.hh>
#include <supervise/tai64n.hh>

namespace {

using strings = std::vector<std::string>;

std::vector<std::string> supervisor_binaries()
{
    return {h::stock("s6-supervise"), h::ours("s6-supervise")};
}

// As h::compare, for output that depends on the current second: both tools are run again (up
// to 5 times) until the two readings fall within the same second.
void compare_timed(std::string const &tool, strings const &args)
{
    h::result o, s;
    for (int i = 0; i < 5; i++) {
        s = h::run_stock(tool, args);
        o = h::run_ours(tool, args);
        if (o.code == s.code && o.out == s.out && o.err == h::stock_message(s.err)) break;
    }
    INFO(tool << " " << (args.empty() ? "" : args.front()));
    h::check_same(o, s);
}

using h::service;

// A finish script that waits (boundedly) until the test creates ./release.
constexpr char const *gated_finish =
    "#!/bin/sh\ni=0\nwhile [ ! -e release ] && [ $i -lt 200 ]; do sleep 0.02; i=$((i+1)); done\n";

using h::start_waiter;

std::string last_line(std::string const &s)
{
    auto t = s;
    while (!t.empty() && t.back() == '\n')
        t.pop_back();
    auto nl = t.rfind('\n');
    return nl == std::string::npos ? t : t.substr(nl + 1);
}

} // namespace

TEST_CASE("s6-svc: signal letters reach the service's pid", "[clients]")
{
    auto const sup = GENERATE(from_range(supervisor_binaries()));
    // The shell records each trapped signal; KILL (the down signal) still ends it.  It makes
    // ./trapped once its traps are set: a signal sent before that would be lost.
    service s(sup,
              "for sig in ALRM ABRT QUIT HUP TERM INT USR1 USR2 WINCH; do\n"
              "  trap \"echo $sig >> got\" $sig\ndone\n"
              ": > trapped\n"
              "while :; do sleep 1 & wait $!; done",
              {{"down-signal", "KILL\n"}});
    REQUIRE(s.wait(h::up));
    REQUIRE(h::wait_until([&] { return h::exists(s.path("trapped")); }));
    std::pair<char const *, char const *> const letters[] = {
        {"-a", "ALRM"}, {"-b", "ABRT"}, {"-q", "QUIT"}, {"-h", "HUP"},   {"-t", "TERM"},
        {"-i", "INT"},  {"-1", "USR1"}, {"-2", "USR2"}, {"-y", "WINCH"},
    };
    for (auto const &[opt, name] : letters) {
        INFO(opt);
        auto r = h::run_ours("s6-svc", {opt, s.dir()});
        CHECK(r.code == 0);
        CHECK(r.err.empty());
        CHECK(h::wait_until([&] { return last_line(h::read_file(s.path("got"))) == name; }));
    }
    auto const pid = s.status().pid;
    CHECK(h::run_ours("s6-svc", {"-p", s.dir()}).code == 0);
    CHECK(s.wait([](auto const &st) { return st.paused; }));
    CHECK(h::run_ours("s6-svc", {"-c", s.dir()}).code == 0);
    CHECK(s.wait([](auto const &st) { return !st.paused; }));
    CHECK(s.status().pid == pid);
    CHECK(h::run_ours("s6-svc", {"-Ok", s.dir()}).code == 0);
    REQUIRE(s.wait(h::down_and_finished));
    CHECK(WIFSIGNALED(s.status().wstat));
    CHECK(WTERMSIG(s.status().wstat) == SIGKILL);
}

TEST_CASE("s6-svc: state letters change the status file", "[clients]")
{
    auto const sup = GENERATE(from_range(supervisor_binaries()));
    service s(sup, "exec sleep 1000");
    REQUIRE(s.wait(h::up));
    auto pid = s.status().pid;

    CHECK(h::run_ours("s6-svc", {"-O", s.dir()}).code == 0); // wantup=0, keeps running
    CHECK(s.wait([&](auto const &st) { return !st.wantup && st.pid == pid; }));
    CHECK(h::run_ours("s6-svc", {"-u", s.dir()}).code == 0);
    CHECK(s.wait([&](auto const &st) { return st.wantup && st.pid == pid; }));
    CHECK(h::run_ours("s6-svc", {"-Q", s.dir()}).code == 0); // down file, wantup=0, keeps running
    CHECK(s.wait([&](auto const &st) { return !st.wantup && st.pid == pid; }));
    CHECK(h::exists(s.path("down")));
    CHECK(h::run_ours("s6-svc", {"-U", s.dir()}).code == 0); // no down file, wantup=1
    CHECK(s.wait([&](auto const &st) { return st.wantup && st.pid == pid; }));
    CHECK_FALSE(h::exists(s.path("down")));

    CHECK(h::run_ours("s6-svc", {"-d", s.dir()}).code == 0);
    REQUIRE(s.wait([](auto const &st) { return h::down_and_finished(st) && !st.wantup; }));
    CHECK(WTERMSIG(s.status().wstat) == SIGTERM);
    CHECK(h::run_ours("s6-svc", {"-o", s.dir()}).code == 0); // once: up, but not wanted up
    REQUIRE(s.wait([](auto const &st) { return h::up(st) && !st.wantup; }));
    CHECK(h::run_ours("s6-svc", {"-D", s.dir()}).code == 0);
    REQUIRE(s.wait(h::down_and_finished));
    CHECK(h::exists(s.path("down")));
    CHECK(h::run_ours("s6-svc", {"-U", s.dir()}).code == 0);
    REQUIRE(s.wait([](auto const &st) { return h::up(st) && st.wantup; }));
    CHECK_FALSE(h::exists(s.path("down")));

    pid = s.status().pid;
    CHECK(h::run_ours("s6-svc", {"-r", s.dir()}).code == 0); // down signal, restarted as wanted up
    CHECK(s.wait([&](auto const &st) { return h::up(st) && st.pid != pid; }));

    // x: the supervisor stays while the service runs, and exits 0 once it is down.
    CHECK(h::run_ours("s6-svc", {"-x", s.dir()}).code == 0);
    CHECK(h::run_ours("s6-svc", {"-d", s.dir()}).code == 0);
    CHECK(s.supervisor().wait(5000) == 0);
    CHECK(s.status().pid == 0);
}

TEST_CASE("s6-svc -w: readiness round trips", "[clients]")
{
    auto const sup = GENERATE(from_range(supervisor_binaries()));
    service s(sup, "sleep 0.1\necho >&3\nexec sleep 1000",
              {{"notification-fd", "3\n"}, {"down", ""}});
    auto const up_ready = [](sv::status const &st) { return h::up(st) && st.ready; };
    for (auto const &tool : {h::ours("s6-svc"), h::stock("s6-svc")}) {
        INFO(tool);
        auto r = h::run({tool, "-wU", "-T", "5000", "-u", s.dir()});
        CHECK(r.code == 0);
        CHECK(r.err.empty());
        CHECK(up_ready(s.status()));
        auto pid = s.status().pid;

        r = h::run({tool, "-wR", "-T", "5000", "-r", s.dir()});
        CHECK(r.code == 0);
        CHECK(up_ready(s.status()));
        CHECK(s.status().pid != pid);
        pid = s.status().pid;

        r = h::run({tool, "-wr", "-T", "5000", "-r", s.dir()});
        CHECK(r.code == 0);
        CHECK(h::up(s.status()));
        CHECK(s.status().pid != pid);

        r = h::run({tool, "-wD", "-T", "5000", "-d", s.dir()});
        CHECK(r.code == 0);
        CHECK(h::down_and_finished(s.status()));
        CHECK(s.status().ready);

        r = h::run({tool, "-wd", "-T", "5000", s.dir()}); // already down: no wait
        CHECK(r.code == 0);
        r = h::run({tool, "-wU", "-T", "200", s.dir()}); // nobody starts it
        CHECK(r.code == 99);
        CHECK(r.err == "s6-svwait: fatal: timed out\n");
        r = h::run({tool, "-wu", "-T", "200", "-O", s.dir()});
        CHECK(r.code == 99);
        CHECK(r.err == "s6-svlisten1: fatal: timed out\n");
    }
}

TEST_CASE("s6-svc -wU/-wR without notification-fd fall back to -wu/-wr", "[clients]")
{
    auto const sup = GENERATE(from_range(supervisor_binaries()));
    service s(sup, "exec sleep 1000");
    REQUIRE(s.wait(h::up));
    auto const warning = "s6-svc: warning: " + s.dir() +
                         "/notification-fd not present - ignoring request for readiness "
                         "notification\n";
    auto r = h::run_ours("s6-svc", {"-wU", "-T", "3000", s.dir()});
    CHECK(r.code == 0);
    CHECK(r.err == warning);
    h::compare("s6-svc", {"-wU", "-T", "3000", s.dir()});
    auto const pid = s.status().pid;
    r = h::run_ours("s6-svc", {"-wR", "-T", "5000", "-r", s.dir()});
    CHECK(r.code == 0);
    CHECK(r.err == warning);
    CHECK(h::up(s.status()));
    CHECK(s.status().pid != pid);
}

TEST_CASE("s6-svstat matches stock s6-svstat in every state", "[clients]")
{
    auto const sup = GENERATE(from_range(supervisor_binaries()));
    service s(sup, "[ -e fail ] && exit 3\necho >&3\nexec sleep 1000",
              {{"notification-fd", "3\n"}, {"finish", gated_finish}, {"down", ""}});
    std::vector<strings> const forms = {
        {},
        {"-n"},
        {"-uwNrpest"},
        {"-o", "up,wantedup,normallyup,ready,paused,pid,exitcode,signal,signum,updownsince,"
               "readysince,updownfor,readyfor"},
        {"-o", "re,updown,sig,u,p,e,signu,readys,readyf,updownf,"},
        {"-n", "-o", "signal,signum", "-u"},
    };
    auto const compare_all = [&](char const *state) {
        INFO("state: " << state);
        for (auto f : forms) {
            f.push_back(s.dir());
            compare_timed("s6-svstat", f);
        }
    };
    compare_all("never started, normally down");
    CHECK(h::run_ours("s6-svstat", {s.dir()}).out.starts_with("down (exitcode 0) "));

    REQUIRE(h::run_ours("s6-svc", {"-wU", "-T", "5000", "-u", s.dir()}).code == 0);
    compare_all("up, ready, normally down");
    REQUIRE(unlink(s.path("down").c_str()) == 0);
    compare_all("up, ready, normally up");
    CHECK(h::run_ours("s6-svc", {"-p", s.dir()}).code == 0);
    REQUIRE(s.wait([](auto const &st) { return st.paused; }));
    compare_all("paused");
    CHECK(h::run_ours("s6-svc", {"-cO", s.dir()}).code == 0);
    REQUIRE(s.wait([](auto const &st) { return !st.paused && !st.wantup; }));
    compare_all("up, want down");

    // Killed: finish holds the service in the finishing phase until ./release exists.
    CHECK(h::run_ours("s6-svc", {"-k", s.dir()}).code == 0);
    REQUIRE(s.wait([](auto const &st) { return st.finishing; }));
    compare_all("finishing after SIGKILL");
    CHECK(h::run_ours("s6-svstat", {s.dir()}).out.starts_with("down (signal SIGKILL) "));
    h::write_file(s.path("release"), "");
    REQUIRE(s.wait(h::down_and_finished));
    compare_all("down after SIGKILL, ready");

    h::write_file(s.path("fail"), "");
    CHECK(h::run_ours("s6-svc", {"-o", s.dir()}).code == 0);
    REQUIRE(s.wait([](auto const &st) { return h::down_and_finished(st) && st.ready && st.wstat == 3 << 8; }));
    compare_all("down, exitcode 3");
    CHECK(h::run_ours("s6-svstat", {"-e", s.dir()}).out == "3\n");

    // run cannot be spawned: the supervisor stays down but wants up (retry in 10 s).
    chmod(s.path("run").c_str(), 0644);
    CHECK(h::run_ours("s6-svc", {"-u", s.dir()}).code == 0);
    REQUIRE(s.wait([](auto const &st) { return h::down_and_finished(st) && st.wantup; }));
    compare_all("down, want up");
    CHECK(h::run_ours("s6-svstat", {s.dir()}).out.find(", want up") != std::string::npos);
}

TEST_CASE("s6-svstat: option and operand errors match stock", "[clients]")
{
    h::tempdir td;
    h::mkdirs(td / "plain");
    h::mkdirs(td / "locked/supervise");
    h::write_file(td / "locked/supervise/lock", "");
    h::mkdirs(td / "broken");
    h::write_file(td / "broken/supervise", "");
    for (auto const &d :
         {td / "plain", td / "locked", td / "broken", td / "missing", std::string()})
        h::compare("s6-svstat", {d});
    h::compare("s6-svstat", {});
    h::compare("s6-svstat", {"-Z", td / "plain"});
    h::compare("s6-svstat", {"-o"});
    h::compare("s6-svstat", {"-o", "up,,pid", td / "plain"});
    h::compare("s6-svstat", {"-o", ",up", td / "plain"});
    h::compare("s6-svstat", {"-o", "upx", td / "plain"});
    h::compare("s6-svstat", {"-o", "UP", td / "plain"});
    h::compare("s6-svstat", {"-uuuuuuuuuuuuuuuuu", td / "plain"});
    h::compare("s6-svstat", {"-o", "u,u,u,u,u,u,u,u,u,u,u,u,u,u,u,u,u", td / "plain"});
    auto r = h::run_ours("s6-svstat", {td / "plain"});
    CHECK(r.code == 1);
    CHECK(r.err == "s6-svstat: fatal: unable to read status for " + td / "plain" +
                       ": s6-supervise not running\n");
}

TEST_CASE("s6-svwait: -a, -o, -t and permanent failure", "[clients]")
{
    auto const sup = GENERATE(from_range(supervisor_binaries()));
    service a(sup, "exec sleep 1000");
    service b(sup, "exec sleep 1000", {{"down", ""}});
    REQUIRE(a.wait(h::up));
    REQUIRE(b.wait(h::down_and_finished));
    auto r = h::run_ours("s6-svwait", {"-u", "-t", "300", a.dir(), b.dir()});
    CHECK(r.code == 99);
    CHECK(r.err == "s6-svwait: fatal: timed out\n");
    CHECK(h::listeners(a.dir()) == 0); // unsubscribed even on the way out through a timeout
    h::compare("s6-svwait", {"-a", "-t", "300", a.dir(), b.dir()});
    CHECK(h::run_ours("s6-svwait", {"-o", "-t", "3000", a.dir(), b.dir()}).code == 0);
    CHECK(h::run_ours("s6-svwait", {"-d", "-o", "-t", "3000", a.dir(), b.dir()}).code == 0);
    CHECK(h::run_ours("s6-svwait", {"-D", "-t", "3000", b.dir()}).code == 0);
    h::compare("s6-svwait", {"-d", "-t", "300", a.dir(), b.dir()});
    h::compare("s6-svwait", {"-o", "-t", "3000", a.dir(), b.dir()});
    // -u waits while nothing happens, then sees b come up.
    auto w = start_waiter({h::ours("s6-svwait"), "-t", "5000", a.dir(), b.dir()},
                          {a.dir(), b.dir()}, b.tmp());
    CHECK(w->running());
    CHECK(h::run_ours("s6-svc", {"-u", b.dir()}).code == 0);
    CHECK(w->wait(5000) == 0);

    // finish exits 125: the supervisor sends O, which ends a wait for up with one failure.
    service c(sup, "exit 1",
              {{"finish", "#!/bin/sh\nexit 125\n"}, {"down", ""}, {"notification-fd", "3\n"}});
    for (auto const &bin : {h::ours("s6-svwait"), h::stock("s6-svwait")}) {
        INFO(bin);
        h::tempdir logs;
        auto p = start_waiter({bin, "-U", "-t", "5000", c.dir()}, {c.dir()}, logs.path());
        CHECK(h::run_ours("s6-svc", {"-u", c.dir()}).code == 0);
        CHECK(p->wait(5000) == 1);
        CHECK(h::stock_message(p->err()) ==
              "s6-svwait: fatal: some services reported permanent failure or their supervisor "
              "died\n");
        REQUIRE(c.wait([](auto const &st) { return h::down_and_finished(st) && !st.wantup; }));
    }
    for (auto const &bin : {h::ours("s6-svc"), h::stock("s6-svc")}) {
        INFO(bin);
        auto r = h::run({bin, "-wU", "-T", "5000", "-u", c.dir()});
        CHECK(r.code == 1);
        CHECK(r.err ==
              "s6-svlisten1: fatal: " + c.dir() + " failed permanently or its supervisor died\n");
        REQUIRE(c.wait([](auto const &st) { return h::down_and_finished(st) && !st.wantup; }));
    }
}

TEST_CASE("s6-svlisten1: spawns prog, ignores its exit code, waits", "[clients]")
{
    auto const sup = GENERATE(from_range(supervisor_binaries()));
    service s(sup, "echo >&3\nexec sleep 1000", {{"notification-fd", "3\n"}, {"down", ""}});
    auto r =
        h::run_ours("s6-svlisten1", {"-U", "-t", "5000", s.dir(), "sh", "-c",
                              h::ours("s6-svc") + " -u \"$0\"; echo spawned; exit 7", s.dir()});
    CHECK(r.code == 0);
    CHECK(r.out == "spawned\n");
    CHECK(h::up(s.status()));
    CHECK(s.status().ready);
    r = h::run_ours("s6-svlisten1", {"-D", "-t", "5000", s.dir(), h::ours("s6-svc"), "-d", s.dir()});
    CHECK(r.code == 0);
    CHECK(h::down_and_finished(s.status()));
    h::compare("s6-svlisten1", {"-u", "-t", "200", s.dir(), "true"});
    h::compare("s6-svlisten1", {"-d", "-t", "200", s.dir(), "/nonexistent/prog"});
}

TEST_CASE("s6-svwait and s6-svlisten1: scripted events", "[clients]")
{
    h::tempdir td;
    std::string const a = td / "a", b = td / "b";
    struct scenario
    {
        char const *name;
        std::string tool;
        strings opts;
        bool a_up, a_ready, b_up, b_ready;
        std::vector<std::pair<char, std::string>> events; // 'a' or 'b', bytes
        int code;
    };
    std::vector<scenario> const both = {
        // x on a down-and-ready service counts as a failure even for -d: the comparison in
        // 2.11.3.2 is exact on both up and ready.
        {"x strict", "s6-svwait", {"-d"}, false, true, true, false, {{'a', "x"}, {'b', "d"}}, 1},
        {"x wanted", "s6-svwait", {"-d"}, false, false, true, false, {{'a', "x"}, {'b', "d"}}, 0},
        {"O twice", "s6-svwait", {"-u"}, false, true, false, true, {{'a', "O"}, {'b', "O"}}, 2},
        {"O with -o", "s6-svwait", {"-u", "-o"}, false, true, false, true, {{'a', "O"}}, 1},
        {"O ignored for -d",
         "s6-svwait",
         {"-d"},
         true,
         false,
         true,
         false,
         {{'a', "Od"}, {'b', "d"}},
         0},
        {"U for -U", "s6-svwait", {"-U"}, true, false, true, true, {{'a', "u"}, {'a', "U"}}, 0},
        {"D for -D",
         "s6-svwait",
         {"-D", "-o"},
         true,
         false,
         true,
         false,
         {{'b', "d"}, {'b', "D"}},
         0},
        {"listen1 x", "s6-svlisten1", {"-u"}, false, true, false, true, {{'a', "x"}}, 1},
        {"listen1 O", "s6-svlisten1", {"-U"}, false, true, false, true, {{'a', "uO"}}, 1},
    };
    // Waits that cross the -r phase boundary: stock can lose the bytes after the one that
    // ends phase 1 when they arrive in the same read, so these are checked on ours alone.
    std::vector<scenario> const ours_only = {
        {"svwait -r waits for all down",
         "s6-svwait",
         {"-r", "-o", "-t", "300"},
         true,
         false,
         true,
         false,
         {{'a', "d"}, {'a', "u"}},
         99},
        {"svwait -r",
         "s6-svwait",
         {"-r", "-o"},
         true,
         false,
         true,
         false,
         {{'a', "d"}, {'b', "d"}, {'b', "u"}},
         0},
        {"listen1 -r needs ready",
         "s6-svlisten1",
         {"-r", "-t", "300"},
         true,
         false,
         true,
         false,
         {{'a', "d"}, {'a', "u"}},
         99},
        {"listen1 -r",
         "s6-svlisten1",
         {"-r"},
         true,
         false,
         true,
         false,
         {{'a', "D"}, {'a', "u"}},
         0},
        {"listen1 -R coalesced",
         "s6-svlisten1",
         {"-R"},
         true,
         true,
         true,
         false,
         {{'a', "dDuU"}},
         0},
    };
    auto const play = [&](scenario const &sc, std::string const &bin) {
        INFO(sc.name << " with " << bin);
        h::tempdir logs;
        h::fake_status(a, sc.a_up, sc.a_ready);
        h::fake_status(b, sc.b_up, sc.b_ready);
        strings argv{bin};
        argv.insert(argv.end(), sc.opts.begin(), sc.opts.end());
        if (sc.tool == "s6-svlisten1") {
            argv.insert(argv.end(), {"-t", "5000", a, "true"});
        } else {
            if (std::find(sc.opts.begin(), sc.opts.end(), "-t") == sc.opts.end())
                argv.insert(argv.end(), {"-t", "5000"});
            argv.insert(argv.end(), {a, b});
        }
        strings dirs{a};
        if (sc.tool == "s6-svwait") dirs.push_back(b);
        auto p = start_waiter(argv, dirs, logs.path());
        for (auto const &[who, bytes] : sc.events)
            h::notify_drained(who == 'a' ? a : b, bytes);
        int code = p->wait(6000);
        CHECK(code == sc.code);
        return std::make_pair(code, h::stock_message(p->err()));
    };
    for (auto const &sc : both) {
        auto o = play(sc, h::ours(sc.tool));
        auto s = play(sc, h::stock(sc.tool));
        CHECK(o == s);
    }
    for (auto const &sc : ours_only)
        play(sc, h::ours(sc.tool));
}

TEST_CASE("s6-svok: 0 when supervised, 1 when not, 111 on a broken dir", "[clients]")
{
    auto const sup = GENERATE(from_range(supervisor_binaries()));
    h::tempdir td;
    h::mkdirs(td / "plain");
    h::mkdirs(td / "broken");
    h::write_file(td / "broken/supervise", "");
    {
        service s(sup, "exec sleep 1000");
        CHECK(h::run_ours("s6-svok", {s.dir()}).code == 0);
        h::compare("s6-svok", {s.dir()});
        h::compare("s6-svok", {s.dir(), td / "broken"}); // extra arguments are ignored
        CHECK(h::run_ours("s6-svc", {"-dx", s.dir()}).code == 0);
        CHECK(s.supervisor().wait(5000) == 0);
        CHECK(h::run_ours("s6-svok", {s.dir()}).code == 1); // lock file left behind, not held
        h::compare("s6-svok", {s.dir()});
    }
    CHECK(h::run_ours("s6-svok", {td / "plain"}).code == 1);
    CHECK(h::run_ours("s6-svok", {td / "missing"}).code == 1);
    CHECK(h::run_ours("s6-svok", {td / "broken"}).code == 111);
    for (auto const &d :
         {td / "plain", td / "missing", td / "broken", std::string(), std::string("--")})
        h::compare("s6-svok", {d});
    h::compare("s6-svok", {});
}

TEST_CASE("s6-svdt and s6-svdt-clear match stock", "[clients]")
{
    auto const sup = GENERATE(from_range(supervisor_binaries()));
    service s(sup, "if [ -e code ]; then c=$(cat code); rm code; exit $c; fi\nexec sleep 1000");
    REQUIRE(s.wait(h::up));
    CHECK(h::run_ours("s6-svdt", {s.dir()}).out.empty());
    // Three deaths: SIGKILL, exit 7, SIGTERM.
    CHECK(h::run_ours("s6-svc", {"-Ok", s.dir()}).code == 0);
    REQUIRE(s.wait(h::down_and_finished));
    h::write_file(s.path("code"), "7\n");
    CHECK(h::run_ours("s6-svc", {"-o", s.dir()}).code == 0);
    REQUIRE(s.wait([](auto const &st) { return h::down_and_finished(st) && st.wstat == 7 << 8; }));
    CHECK(h::run_ours("s6-svc", {"-o", s.dir()}).code == 0);
    REQUIRE(s.wait(h::up));
    CHECK(h::run_ours("s6-svc", {"-t", s.dir()}).code == 0);
    REQUIRE(s.wait([](auto const &st) { return h::down_and_finished(st) && st.wstat == SIGTERM; }));

    auto out = h::run_ours("s6-svdt", {s.dir()}).out;
    std::vector<std::string> lines;
    for (std::size_t p = 0, nl; (nl = out.find('\n', p)) != std::string::npos; p = nl + 1)
        lines.push_back(out.substr(p, nl - p));
    REQUIRE(lines.size() == 3);
    for (auto const &l : lines) {
        sv::tain t;
        CHECK(sv::tain_scan(l, t));
        CHECK(l[25] == ' ');
    }
    CHECK(lines[0].substr(26) == "signal SIGKILL");
    CHECK(lines[1].substr(26) == "exitcode 7");
    CHECK(lines[2].substr(26) == "signal SIGTERM");
    CHECK(h::run_ours("s6-svdt", {"-s", s.dir()}).out.ends_with(" signal 15\n"));
    for (strings args :
         {strings{}, strings{"-s"}, strings{"-S"}, strings{"-s", "-S"}, strings{"-n", "1"},
          strings{"-sn2"}, strings{"-n", "0"}, strings{"-n", "5000"}}) {
        args.push_back(s.dir());
        h::compare("s6-svdt", args);
    }

    CHECK(h::run_ours("s6-svdt-clear", {s.dir()}).code == 0);
    CHECK(h::read_file(s.path("supervise/death_tally")).empty());
    h::compare("s6-svdt", {s.dir()});
    CHECK(h::run_ours("s6-svdt", {s.dir()}).out.empty());
    h::compare("s6-svdt-clear", {s.dir()});
}

TEST_CASE("s6-svdt and s6-svdt-clear: bad input matches stock", "[clients]")
{
    h::tempdir td;
    h::mkdirs(td / "plain");
    h::mkdirs(td / "broken");
    h::write_file(td / "broken/supervise", "");
    h::mkdirs(td / "junk/supervise");
    h::write_file(td / "junk/supervise/death_tally", "abc"); // not a multiple of 14
    for (auto const &d : {td / "plain", td / "broken", td / "missing", std::string()}) {
        h::compare("s6-svdt", {d});
        h::compare("s6-svdt-clear", {d});
    }
    h::compare("s6-svdt", {td / "junk"});
    CHECK(h::read_file(td / "junk/supervise/death_tally").empty()); // truncated by the reader
    h::compare("s6-svdt", {"-n", "0", td / "missing"});
    for (auto const &n : {"x", "", "-1", "99999999999"})
        h::compare("s6-svdt", {"-n", n, td / "junk"});
    h::compare("s6-svdt", {"-Z", td / "junk"});
    h::compare("s6-svdt", {});
    h::compare("s6-svdt-clear", {});
    h::compare("s6-svdt-clear", {"-Z"});
}

TEST_CASE("s6-notifyoncheck makes the service ready once data/check succeeds", "[clients]")
{
    auto const sup = GENERATE(from_range(supervisor_binaries()));
    auto const noc = h::ours("s6-notifyoncheck");
    SECTION("./data/check, checker left as the daemon's child")
    {
        service s(
            sup, "exec " + noc + " -w 20 -n 0 sleep 1000",
            {{"notification-fd", "3\n"}, {"data/check", "#!/bin/sh\necho >> runs\ntest -e ok\n"}});
        REQUIRE(s.wait(h::up));
        auto const pid = static_cast<pid_t>(s.status().pid);
        REQUIRE(h::wait_until([&] { return h::read_file(s.path("runs")).size() >= 3; }));
        CHECK_FALSE(s.status().ready);
        h::write_file(s.path("ok"), "");
        CHECK(s.wait([](auto const &st) { return st.ready; }));
        CHECK(s.status().pid == static_cast<std::uint64_t>(pid)); // prog was exec'd in place
        auto const proc = "/proc/" + std::to_string(pid);
        CHECK(h::wait_until([&] { return h::read_file(proc + "/comm") == "sleep\n"; }));
        CHECK_FALSE(h::exists(proc + "/fd/3"));
        CHECK(h::wait_until([&] { return h::count_zombies_of(pid) == 1; }));
    }
    SECTION("-c checkprog through execlineb, -d double fork, -3 fd")
    {
        service s(sup, "exec " + noc + " -d -3 3 -s 0 -w 20 -c \"test -e ok\" sleep 1000",
                  {{"notification-fd", "3\n"}});
        REQUIRE(s.wait(h::up));
        auto const pid = static_cast<pid_t>(s.status().pid);
        h::write_file(s.path("ok"), "");
        CHECK(s.wait([](auto const &st) { return st.ready; }));
        CHECK(h::count_zombies_of(pid) == 0);
    }
}

TEST_CASE("s6-notifyoncheck: errors before forking match stock", "[clients]")
{
    auto const sup = GENERATE(from_range(supervisor_binaries()));
    h::tempdir td;
    h::mkdirs(td / "plain");
    h::run_opts plain;
    plain.cwd = td / "plain";
    h::compare("s6-notifyoncheck", {"true"}, plain); // no supervisor: 100
    h::compare("s6-notifyoncheck", {"-Z", "true"}, plain);
    h::compare("s6-notifyoncheck", {}, plain);
    h::compare("s6-notifyoncheck", {"-s", "x", "true"}, plain);

    service s(sup, "exec sleep 1000");
    REQUIRE(s.wait(h::up));
    h::run_opts in;
    in.cwd = s.dir();
    h::compare("s6-notifyoncheck", {"true"}, in); // no notification-fd: 111
    h::write_file(s.path("notification-fd"), "x\n");
    h::compare("s6-notifyoncheck", {"true"}, in); // invalid: 100
    h::write_file(s.path("notification-fd"), "3 ");
    h::compare("s6-notifyoncheck", {"true"}, in);
    h::write_file(s.path("notification-fd"), "77\n");
    h::compare("s6-notifyoncheck", {"true"}, in); // not open: 111
    h::compare("s6-notifyoncheck", {"-3", "78", "true"}, in);
    h::compare("s6-notifyoncheck", {"-3", "x", "true"}, in);
    auto r = h::run_ours("s6-notifyoncheck", {"true"}, plain);
    CHECK(r.code == 100);
    CHECK(r.err == "s6-notifyoncheck: fatal: s6-supervise not running.\n");
}

TEST_CASE("s6-svc, s6-svwait, s6-svlisten1: bad input matches stock", "[clients]")
{
    h::tempdir td;
    h::mkdirs(td / "plain");
    h::mkdirs(td / "nolisten/supervise");
    h::mkdirs(td / "broken");
    h::write_file(td / "broken/supervise", "");
    std::string const letters62(62, 'a');
    for (auto const &d :
         {td / "plain", td / "nolisten", td / "broken", td / "missing", std::string()}) {
        h::compare("s6-svc", {d});
        h::compare("s6-svc", {"-u", d});
        h::compare("s6-svc", {"-wu", "-T", "200", d});
        h::compare("s6-svc", {"-wU", "-T", "200", "-u", d});
        h::compare("s6-svwait", {"-t", "200", d});
        h::compare("s6-svlisten1", {"-t", "200", d, "true"});
    }
    auto r = h::run_ours("s6-svc", {td / "plain"});
    CHECK(r.code == 100);
    CHECK(r.err ==
          "s6-svc: fatal: unable to control " + td / "plain" + ": supervisor not listening\n");
    CHECK(h::run_ours("s6-svc", {td / "missing"}).code == 111);
    CHECK(h::run_ours("s6-svc", {td / "broken"}).code == 100);
    h::compare("s6-svc", {});
    h::compare("s6-svc", {"-Z", td / "plain"});
    h::compare("s6-svc", {"-s", td / "plain"});
    h::compare("s6-svc", {"-wX", td / "plain"});
    h::compare("s6-svc", {"-w", "", td / "plain"});
    h::compare("s6-svc", {"-w"});
    h::compare("s6-svc", {"-T", "x", td / "plain"});
    h::compare("s6-svc", {"-T", "", td / "plain"});
    h::compare("s6-svc", {"-" + letters62, td / "missing"});
    h::compare("s6-svc", {"-" + letters62 + "a", td / "missing"});
    h::compare("s6-svc", {td / "missing", td / "plain"});
    h::compare("s6-svc", {"-wD", "-T", "200", "-d", td / "nolisten"});
    h::compare("s6-svwait", {});
    h::compare("s6-svwait", {"-Z", td / "plain"});
    h::compare("s6-svwait", {"-t", "x", td / "plain"});
    h::compare("s6-svwait", {"-u", td / "plain", "-t", "100"});
    h::compare("s6-svlisten1", {});
    h::compare("s6-svlisten1", {td / "plain"});
    h::compare("s6-svlisten1", {"-Z", td / "plain", "true"});
    h::compare("s6-svlisten1", {"-t", "x", td / "plain", "true"});
}
