// s6-supervise, run for real on temporary service directories.  Most scenarios run twice, with
// our s6-supervise and with stock s6's, and check the same observable behaviour: status bytes,
// event bytes, finish arguments, throttle timing, death tally, exit codes and messages.
#include "harness.hh"

#include <catch2/catch.hpp>

#include <csignal>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <supervise/control.hh>
#include <supervise/death_tally.hh>
#include <supervise/fifodir.hh>
#include <supervise/tai64n.hh>

namespace {

// Collects the event bytes of one service directory.
struct events {
    sv::listener l;
    std::string got;
    explicit events(std::string const &dir)
    {
        h::mkdirs(dir);
        REQUIRE(l.subscribe(dir + "/event"));
    }
    // Reads until got contains want (in order, from the start of what has not been consumed).
    bool wait_for(std::string const &want, int ms = 10000)
    {
        std::int64_t deadline = sv::mono_ms() + ms;
        for (;;) {
            if (got.find(want) != std::string::npos) return true;
            char buf[64];
            ssize_t n = l.wait(buf, sizeof buf, deadline);
            if (n <= 0) return got.find(want) != std::string::npos;
            got.append(buf, static_cast<std::size_t>(n));
        }
    }
    void clear() { got.clear(); }
};

std::string svc(std::string const &dir, std::string const &letters)
{
    REQUIRE(sv::send_control(dir, "supervise", letters) == sv::control_result::ok);
    return letters;
}

} // namespace

TEST_CASE("s6-supervise creates supervise/ and event/ with s6's modes", "[supervise]")
{
    auto bin = GENERATE(h::ours("s6-supervise"), h::stock("s6-supervise"));
    INFO(bin);
    h::tempdir t;
    std::string d = t / "svc";
    h::make_service(d, "exec sleep 100");
    auto p = h::start_supervise(bin, d, t.path());
    REQUIRE(h::wait_status(d, h::up));
    struct stat st;
    REQUIRE(stat((d + "/supervise").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0700);
    REQUIRE(stat((d + "/event").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 03730);
    REQUIRE(stat((d + "/supervise/control").c_str(), &st) == 0);
    CHECK(S_ISFIFO(st.st_mode));
    CHECK((st.st_mode & 07777) == 0600);
    REQUIRE(stat((d + "/supervise/lock").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0644);
    CHECK(st.st_size == 0);
    REQUIRE(stat((d + "/supervise/status").c_str(), &st) == 0);
    CHECK(st.st_size == 35);
    auto s = h::status_of(d);
    CHECK(s.wantup);
    CHECK(!s.finishing);
    CHECK(!s.ready);
    CHECK(s.wstat == 0);
    // The service is a session and process-group leader: at once where the supervisor spawns
    // with vfork (ours, natively), a moment after the status is written where the child's
    // setsid() races the parent (stock's fork; ours under qemu-user, whose vfork is a fork).
    pid_t pid = static_cast<pid_t>(s.pid);
    CHECK(h::wait_until([&] { return getpgid(pid) == pid && getsid(pid) == pid; }));
    INFO("pgid " << getpgid(pid) << ", sid " << getsid(pid));
    CHECK(getpgid(pid) == pid);
    CHECK(getsid(pid) == pid);
    svc(d, "dx");
    CHECK(p->wait() == 0);
}

TEST_CASE("s6-supervise: start-up errors and their exit codes", "[supervise]")
{
    auto bin = GENERATE(h::ours("s6-supervise"), h::stock("s6-supervise"));
    INFO(bin);
    h::tempdir t;

    auto r = h::run({bin});
    CHECK(r.code == 100);
    CHECK(r.err == "s6-supervise: usage: s6-supervise dir\n");

    r = h::run({bin, t / "missing"});
    CHECK(r.code == 111);
    CHECK(r.err.starts_with("s6-supervise: fatal: unable to chdir to " + (t / "missing")));

    h::make_service(t / "a", "exec sleep 100");
    h::write_file(t / "a/supervise", "");
    r = h::run({bin, t / "a"});
    CHECK(r.code == 100);
    CHECK(r.err == "s6-supervise " + (t / "a") + ": fatal: supervise exists and is not a directory\n");

    h::make_service(t / "b", "exec sleep 100");
    h::write_file(t / "b/event", "");
    r = h::run({bin, t / "b"});
    CHECK(r.code == 100);
    CHECK(r.err == "s6-supervise " + (t / "b") + ": fatal: event exists and is not a directory\n");

    h::make_service(t / "c", "exec sleep 100");
    h::mkdirs(t / "c/supervise");
    h::write_file(t / "c/supervise/control", "");
    r = h::run({bin, t / "c"});
    CHECK(r.code == 100);
    CHECK(r.err == "s6-supervise " + (t / "c") + ": fatal: supervise/control is not a FIFO\n");

    // A second supervisor on the same directory.
    h::make_service(t / "d", "exec sleep 100");
    auto p = h::start_supervise(bin, t / "d", t.path());
    r = h::run({bin, t / "d"});
    CHECK(r.code == 100);
    CHECK(r.err ==
          "s6-supervise " + (t / "d") + ": fatal: another instance of s6-supervise is already running\n");
    svc(t / "d", "dx");
    CHECK(p->wait() == 0);
}

TEST_CASE("s6-supervise: events, finish arguments and status through a life cycle", "[supervise]")
{
    auto bin = GENERATE(h::ours("s6-supervise"), h::stock("s6-supervise"));
    INFO(bin);
    h::tempdir t;
    std::string d = t / "svc";
    h::make_service(d, "exec sleep 100",
                    {{"finish", "#!/bin/sh\necho \"$@\" >> ../finish.log\n"}});
    events ev(d);
    auto p = h::start_supervise(bin, d, t.path());
    REQUIRE(ev.wait_for("su"));
    REQUIRE(h::wait_status(d, h::up));

    // d: down signal (TERM), finish gets "256 15 DIR", events d then D, want down.
    ev.clear();
    svc(d, "d");
    REQUIRE(ev.wait_for("dD"));
    auto s = h::status_of(d);
    CHECK(s.pid == 0);
    CHECK(!s.finishing);
    CHECK(s.ready);
    CHECK(!s.wantup);
    CHECK(WIFSIGNALED(s.wstat));
    CHECK(WTERMSIG(s.wstat) == SIGTERM);
    CHECK(h::read_file(t / "finish.log") == "256 15 " + d + "\n");

    // A run that exits 3: finish gets "3 0 DIR".
    h::write_file(d + "/run", "#!/bin/sh\nexit 3\n", 0755);
    ev.clear();
    svc(d, "o"); // once
    REQUIRE(ev.wait_for("udD"));
    s = h::status_of(d);
    CHECK(WIFEXITED(s.wstat));
    CHECK(WEXITSTATUS(s.wstat) == 3);
    CHECK(h::read_file(t / "finish.log") == "256 15 " + d + "\n3 0 " + d + "\n");

    // The death tally has both deaths: 128+15/15, then 3/0.
    sv::death_record recs[8];
    REQUIRE(sv::death_tally_read(d, recs) == 2);
    CHECK(recs[0].exitcode == 128 + SIGTERM);
    CHECK(recs[0].sig == SIGTERM);
    CHECK(recs[1].exitcode == 3);
    CHECK(recs[1].sig == 0);

    // x while down: exit 0 at once, with the event x.
    ev.clear();
    svc(d, "x");
    CHECK(p->wait() == 0);
    CHECK(ev.wait_for("x"));
}

TEST_CASE("s6-supervise: finish exiting 125 means permanent failure (OD)", "[supervise]")
{
    auto bin = GENERATE(h::ours("s6-supervise"), h::stock("s6-supervise"));
    INFO(bin);
    h::tempdir t;
    std::string d = t / "svc";
    h::make_service(d, "exit 1", {{"finish", "#!/bin/sh\nexit 125\n"}});
    events ev(d);
    auto p = h::start_supervise(bin, d, t.path());
    REQUIRE(ev.wait_for("OD"));
    auto s = h::status_of(d);
    CHECK(!s.wantup);
    CHECK(s.pid == 0);
    svc(d, "x");
    CHECK(p->wait() == 0);
}

TEST_CASE("s6-supervise: readiness through notification-fd", "[supervise]")
{
    auto bin = GENERATE(h::ours("s6-supervise"), h::stock("s6-supervise"));
    INFO(bin);
    h::tempdir t;
    std::string d = t / "svc";
    // Text before the newline is ignored; only the first newline counts.
    h::make_service(d, "printf 'not yet' >&3; sleep 0.05; printf ' ready\\n' >&3; exec sleep 100",
                    {{"notification-fd", "3\n"}});
    events ev(d);
    auto p = h::start_supervise(bin, d, t.path());
    REQUIRE(ev.wait_for("suU"));
    auto s = h::status_of(d);
    CHECK(s.is_up());
    CHECK(s.ready);
    CHECK(s.readystamp >= s.stamp);
    svc(d, "dx");
    CHECK(p->wait() == 0);
}

TEST_CASE("s6-supervise: restart throttle", "[supervise]")
{
    auto bin = GENERATE(h::ours("s6-supervise"), h::stock("s6-supervise"));
    INFO(bin);
    h::tempdir t;

    SECTION("a run that dies at once is restarted once a second")
    {
        std::string d = t / "svc";
        h::make_service(d, "date +%s%N >> ../starts; exit 0");
        auto p = h::start_supervise(bin, d, t.path());
        REQUIRE(h::wait_until([&] {
            auto s = h::read_file(t / "starts");
            return std::count(s.begin(), s.end(), '\n') >= 3;
        }));
        svc(d, "d");
        auto s = h::read_file(t / "starts");
        long long a = std::stoll(s), b = std::stoll(s.substr(s.find('\n') + 1));
        auto gap_ms = (b - a) / 1000000;
        CHECK(gap_ms >= 950);
        CHECK(gap_ms < 1600);
        svc(d, "x");
        CHECK(p->wait() == 0);
    }

    SECTION("u while down starts at once, skipping the throttle")
    {
        std::string d = t / "svc";
        h::make_service(d, "exec sleep 100");
        events ev(d);
        auto p = h::start_supervise(bin, d, t.path());
        REQUIRE(ev.wait_for("su"));
        ev.clear();
        svc(d, "d");
        REQUIRE(ev.wait_for("dD"));
        auto t0 = sv::mono_ms();
        svc(d, "u");
        REQUIRE(ev.wait_for("dDu"));
        CHECK(sv::mono_ms() - t0 < 500);
        svc(d, "dx");
        CHECK(p->wait() == 0);
    }

    SECTION("a service ready for over a second restarts at once")
    {
        std::string d = t / "svc";
        h::make_service(d, "echo >&3; exec sleep 100", {{"notification-fd", "3"}});
        events ev(d);
        auto p = h::start_supervise(bin, d, t.path());
        REQUIRE(ev.wait_for("suU"));
        // Wait until readiness is more than a second old, then kill the service.
        REQUIRE(h::wait_until([&] {
            auto s = h::status_of(d);
            return sv::tain_seconds_between(s.readystamp, sv::tain_now()) >= 1;
        }, 3000));
        ev.clear();
        auto t0 = sv::mono_ms();
        svc(d, "k");
        REQUIRE(ev.wait_for("dDu"));
        CHECK(sv::mono_ms() - t0 < 500);
        svc(d, "dx");
        CHECK(p->wait() == 0);
    }
}

TEST_CASE("s6-supervise: signal letters, pause, down-signal and timeout-kill", "[supervise]")
{
    auto bin = GENERATE(h::ours("s6-supervise"), h::stock("s6-supervise"));
    INFO(bin);
    h::tempdir t;
    std::string d = t / "svc";
    // The service logs the signals it receives and ignores TERM.
    h::make_service(d,
                    "for s in ALRM ABRT QUIT HUP INT USR1 USR2 WINCH; do trap \"echo $s >> ../sigs\" $s; done\n"
                    "trap 'echo TERM >> ../sigs' TERM\n"
                    "echo >&3\n"
                    "while :; do sleep 0.01; done",
                    {{"notification-fd", "3"}});
    events ev(d);
    auto p = h::start_supervise(bin, d, t.path());
    REQUIRE(ev.wait_for("suU"));

    svc(d, "abqhi12y");
    REQUIRE(h::wait_until([&] {
        auto s = h::read_file(t / "sigs");
        return std::count(s.begin(), s.end(), '\n') == 8;
    }));
    auto sigs = h::read_file(t / "sigs");
    for (auto name : {"ALRM", "ABRT", "QUIT", "HUP", "INT", "USR1", "USR2", "WINCH"})
        CHECK(sigs.find(name) != std::string::npos);

    // p stops the process, c continues it, and both show in the status.
    auto pid = static_cast<pid_t>(h::status_of(d).pid);
    svc(d, "p");
    REQUIRE(h::wait_status(d, [](sv::status const &s) { return s.paused; }));
    REQUIRE(h::wait_until([&] {
        auto st = h::read_file("/proc/" + std::to_string(pid) + "/stat");
        return st.find(") T ") != std::string::npos;
    }));
    svc(d, "c");
    REQUIRE(h::wait_status(d, [](sv::status const &s) { return !s.paused; }));

    // r sends the down signal (TERM here, trapped) and nothing else: still up.
    h::write_file(t / "sigs", "");
    svc(d, "r");
    REQUIRE(h::wait_until([&] { return h::read_file(t / "sigs") == "TERM\n"; }));
    CHECK(h::status_of(d).pid == static_cast<std::uint64_t>(pid));

    // down-signal USR1 is used by d; timeout-kill then SIGKILLs the service that ignored it.
    h::write_file(d + "/down-signal", "USR1\n");
    h::write_file(d + "/timeout-kill", "300\n");
    h::write_file(t / "sigs", "");
    ev.clear();
    auto t0 = sv::mono_ms();
    svc(d, "d");
    REQUIRE(ev.wait_for("dD"));
    auto elapsed = sv::mono_ms() - t0;
    CHECK(elapsed >= 250);
    CHECK(elapsed < 3000);
    CHECK(h::read_file(t / "sigs") == "USR1\n");
    auto s = h::status_of(d);
    CHECK(WIFSIGNALED(s.wstat));
    CHECK(WTERMSIG(s.wstat) == SIGKILL);
    svc(d, "x");
    CHECK(p->wait() == 0);
}

TEST_CASE("s6-supervise: timeout-finish kills a finish script that runs too long", "[supervise]")
{
    auto bin = GENERATE(h::ours("s6-supervise"), h::stock("s6-supervise"));
    INFO(bin);
    h::tempdir t;
    std::string d = t / "svc";
    h::make_service(d, "exec sleep 100",
                    {{"finish", "#!/bin/sh\nexec sleep 100\n"}, {"timeout-finish", "200"}, {"down", ""}});
    events ev(d);
    auto p = h::start_supervise(bin, d, t.path());
    REQUIRE(ev.wait_for("s"));
    svc(d, "o");
    REQUIRE(ev.wait_for("u"));
    ev.clear();
    auto t0 = sv::mono_ms();
    svc(d, "d");
    REQUIRE(ev.wait_for("d"));
    REQUIRE(h::status_of(d).finishing);
    REQUIRE(ev.wait_for("dD"));
    CHECK(sv::mono_ms() - t0 >= 150);
    CHECK(p->err().find("finish script lifetime reached maximum value - sending it a SIGKILL") !=
          std::string::npos);
    svc(d, "x");
    CHECK(p->wait() == 0);
}

TEST_CASE("s6-supervise: down file commands D U Q O and o", "[supervise]")
{
    auto bin = GENERATE(h::ours("s6-supervise"), h::stock("s6-supervise"));
    INFO(bin);
    h::tempdir t;
    std::string d = t / "svc";
    h::make_service(d, "exec sleep 100", {{"down", ""}});
    events ev(d);
    auto p = h::start_supervise(bin, d, t.path());
    REQUIRE(ev.wait_for("s"));
    auto s = h::status_of(d);
    CHECK(!s.wantup);
    CHECK(s.pid == 0);

    svc(d, "U");
    REQUIRE(ev.wait_for("u"));
    CHECK(!h::exists(d + "/down"));
    CHECK(h::status_of(d).wantup);

    svc(d, "Q");
    REQUIRE(h::wait_until([&] { return h::exists(d + "/down"); }));
    REQUIRE(h::wait_status(d, [](sv::status const &s) { return !s.wantup && s.is_up(); }));

    svc(d, "u");
    REQUIRE(h::wait_status(d, [](sv::status const &s) { return s.wantup; }));
    ev.clear();
    svc(d, "D");
    REQUIRE(ev.wait_for("dD"));
    CHECK(h::exists(d + "/down"));
    CHECK(!h::status_of(d).wantup);

    // o in down: start once; O while up: stays up but want down.
    svc(d, "o");
    REQUIRE(ev.wait_for("dDu"));
    svc(d, "uO");
    REQUIRE(h::wait_status(d, [](sv::status const &s) { return !s.wantup && s.is_up(); }));
    svc(d, "dx");
    CHECK(p->wait() == 0);
}

TEST_CASE("s6-supervise: garbage on the control FIFO is ignored", "[supervise]")
{
    auto bin = GENERATE(h::ours("s6-supervise"), h::stock("s6-supervise"));
    INFO(bin);
    h::tempdir t;
    std::string d = t / "svc";
    h::make_service(d, "exec sleep 100");
    events ev(d);
    auto p = h::start_supervise(bin, d, t.path());
    REQUIRE(ev.wait_for("su"));
    std::string garbage("\0\n\xff\x80zZsSlPCK ", 14);
    svc(d, garbage);
    // The supervisor is still alive and the service untouched.
    CHECK(sv::send_control(d, "supervise", "") == sv::control_result::ok);
    CHECK(h::status_of(d).is_up());
    ev.clear();
    svc(d, garbage + "d" + garbage);
    REQUIRE(ev.wait_for("dD"));
    CHECK(p->running());
    svc(d, "x");
    CHECK(p->wait() == 0);
}

TEST_CASE("s6-supervise: a missing or non-executable run is retried, not fatal", "[supervise]")
{
    auto bin = GENERATE(h::ours("s6-supervise"), h::stock("s6-supervise"));
    INFO(bin);
    h::tempdir t;
    std::string d = t / "svc";
    h::mkdirs(d);
    events ev(d);
    auto p = h::start_supervise(bin, d, t.path());
    if (bin == h::ours("s6-supervise"))
        h::need_native("posix_spawn cannot see its child's exec fail (qemu runs the "
                       "CLONE_VFORK child as a plain fork), so a missing ./run is not reported");
    REQUIRE(h::wait_until([&] {
        return p->err().find("unable to spawn ./run - waiting 10 seconds") != std::string::npos;
    }));
    CHECK(p->running());
    CHECK(h::status_of(d).pid == 0);

    h::write_file(d + "/run", "#!/bin/sh\nexec sleep 100\n", 0644);
    svc(d, "u");
    // The child's own line says fatal, as the child dies of it.  It and the supervisor's
    // second warning come from two processes, in either order (stock's child may write its
    // line after its parent has reported the failure).
    REQUIRE(h::wait_until([&] {
        auto e = p->err();
        return e.find("unable to spawn") != e.rfind("unable to spawn") &&
               e.find(" (child): fatal: unable to exec run: Permission denied\n") !=
                   std::string::npos;
    }));
    INFO(p->err());
    CHECK(h::status_of(d).pid == 0);

    chmod((d + "/run").c_str(), 0755);
    svc(d, "u"); // u retries at once
    REQUIRE(ev.wait_for("u", 3000));
    svc(d, "dx");
    CHECK(p->wait() == 0);
}

TEST_CASE("s6-supervise: max-death-tally and truncation at start", "[supervise]")
{
    auto bin = GENERATE(h::ours("s6-supervise"), h::stock("s6-supervise"));
    INFO(bin);
    h::tempdir t;
    std::string d = t / "svc";
    h::make_service(d, "exec sleep 100", {{"max-death-tally", "2\n"}});
    h::mkdirs(d + "/supervise");
    h::write_file(d + "/supervise/death_tally", std::string(28, 'x'));
    events ev(d);
    auto p = h::start_supervise(bin, d, t.path());
    REQUIRE(ev.wait_for("su"));
    CHECK(h::read_file(d + "/supervise/death_tally").empty());
    for (int i = 0; i < 3; i++) {
        ev.clear();
        svc(d, "k");
        REQUIRE(ev.wait_for("dD"));
        svc(d, "u");
        REQUIRE(ev.wait_for("u"));
    }
    CHECK(h::read_file(d + "/supervise/death_tally").size() == 28);
    h::write_file(d + "/max-death-tally", "0");
    svc(d, "k");
    REQUIRE(ev.wait_for("dD"));
    CHECK(h::read_file(d + "/supervise/death_tally").size() == 28);
    svc(d, "dx");
    CHECK(p->wait() == 0);
}

TEST_CASE("s6-supervise: signals to the supervisor", "[supervise]")
{
    auto bin = GENERATE(h::ours("s6-supervise"), h::stock("s6-supervise"));
    INFO(bin);
    h::tempdir t;
    std::string d = t / "svc";
    h::make_service(d, "exec sleep 100");
    events ev(d);
    auto p = h::start_supervise(bin, d, t.path());
    REQUIRE(ev.wait_for("su"));
    auto pid = static_cast<pid_t>(h::status_of(d).pid);

    SECTION("SIGTERM: the service goes down, then the supervisor exits 0")
    {
        p->signal(SIGTERM);
        CHECK(p->wait() == 0);
        CHECK(ev.wait_for("dDx"));
        CHECK(kill(pid, 0) < 0);
    }
    SECTION("SIGQUIT: exit at once, leaving the service running")
    {
        p->signal(SIGQUIT);
        CHECK(p->wait() == 0);
        CHECK(ev.wait_for("x"));
        CHECK(kill(pid, 0) == 0);
        kill(pid, SIGKILL);
    }
    SECTION("SIGINT: SIGINT to the service's process group, then exit")
    {
        if (bin == h::ours("s6-supervise"))
            h::need_native("the supervisor's SIGINT to the service's group reached the test "
                           "runner itself (qemu's signal emulation)");
        p->signal(SIGINT);
        CHECK(p->wait() == 0);
        CHECK(h::wait_until([&] { return kill(pid, 0) < 0; }));
    }
    SECTION("SIGHUP: like x, exit once the service dies")
    {
        p->signal(SIGHUP);
        REQUIRE(h::wait_until([&] { return sv::send_control(d, "supervise", "") == sv::control_result::ok; }));
        CHECK(p->running());
        kill(pid, SIGTERM);
        CHECK(p->wait() == 0);
        CHECK(ev.wait_for("dDx"));
    }
}

TEST_CASE("s6-supervise: the service gets only fds 0, 1, 2 and its notification fd", "[supervise]")
{
    auto bin = GENERATE(h::ours("s6-supervise"), h::stock("s6-supervise"));
    INFO(bin);
    h::tempdir t;
    std::string d = t / "svc";
    h::make_service(d, "exec ls /proc/self/fd > ../fds", {{"notification-fd", "5"}});
    events ev(d);
    auto p = h::start_supervise(bin, d, t.path());
    REQUIRE(h::wait_until([&] { return !h::read_file(t / "fds").empty(); }));
    // ls (exec'd by run, so it has run's fds) opens one directory fd: 3, the lowest free.
    CHECK(h::read_file(t / "fds") == "0\n1\n2\n3\n5\n");
    svc(d, "dx");
    CHECK(p->wait() == 0);
}

TEST_CASE("s6-supervise (ours): lock-fd makes the service hold supervise/service-lock", "[supervise]")
{
    h::tempdir t;
    std::string d = t / "svc";
    h::make_service(d, "exec sleep 100", {{"lock-fd", "4"}});
    events ev(d);
    auto p = h::start_supervise(h::ours("s6-supervise"), d, t.path());
    REQUIRE(ev.wait_for("su"));
    CHECK(sv::lock_probe((d + "/supervise/service-lock").c_str()) == sv::lock_state::held);
    svc(d, "d");
    REQUIRE(ev.wait_for("dD"));
    CHECK(sv::lock_probe((d + "/supervise/service-lock").c_str()) == sv::lock_state::free);
    svc(d, "x");
    CHECK(p->wait() == 0);
}

TEST_CASE("s6-supervise (ours): fds inherited by the supervisor do not reach the service", "[supervise]")
{
    h::tempdir t;
    std::string d = t / "svc";
    h::make_service(d, "exec ls /proc/self/fd > ../fds");
    events ev(d);
    // The supervisor starts with fds 7 and 8 open, not close-on-exec.
    h::proc p({"/bin/sh", "-c", "exec 7</dev/null 8>/dev/null; exec \"$0\" \"$1\"",
               h::ours("s6-supervise"), d},
              t.path());
    REQUIRE(h::wait_until([&] { return !h::read_file(t / "fds").empty(); }));
    CHECK(h::read_file(t / "fds") == "0\n1\n2\n3\n");
    auto own = h::read_file("/proc/" + std::to_string(p.pid()) + "/fdinfo/7");
    CHECK(!own.empty()); // still open in the supervisor itself
    svc(d, "dx");
    CHECK(p.wait() == 0);
}

TEST_CASE("s6-supervise: the service starts with the same ignored signals as under stock", "[supervise]")
{
    // glibc's posix_spawn would leave signals 32 and 33 ignored in the child; fork + exec, as
    // in stock s6, leaves them at their default.  Only what the supervisor inherited stays
    // ignored: here SIGINT (2) and SIGQUIT (3), ignored by the shell that starts it.
    auto bin = GENERATE(h::ours("s6-supervise"), h::stock("s6-supervise"));
    INFO(bin);
    h::tempdir t;
    std::string d = t / "svc";
    h::make_service(d, "exec grep SigIgn /proc/self/status > ../sigign");
    if (bin == h::ours("s6-supervise"))
        h::need_native("the ignored signals are qemu's own: a program it execs starts with "
                       "none ignored");
    h::proc p({"/bin/sh", "-c", "trap '' INT QUIT; exec \"$0\" \"$1\"", bin, d}, t.path());
    REQUIRE(h::wait_until([&] { return !h::read_file(t / "sigign").empty(); }));
    CHECK(h::read_file(t / "sigign") == "SigIgn:\t0000000000000006\n");
    svc(d, "dx");
    CHECK(p.wait() == 0);
}
