// Faults injected into running supervisors, ours and stock alike: s6-supervise SIGKILLed at
// random points while it rewrites its status file, a full disk under its supervise/, the
// wall clock stepped back and forward under it, and no /dev/null when it lets go of its
// logger (and s6-log with no /dev/null).
// (The other injected faults sit with the helpers of the program they hit: a full disk under
// s6-log in log_test.cc; s6-svscan SIGKILLed, out of fds, on a full scan directory, failing to
// fork for 1000 services, or with no /dev/null in svscan_test.cc; s6-sudod with no /dev/null
// in sudo_test.cc.  All are tagged [faults].)
#include "harness.hh"

#include <catch2/catch.hpp>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <ctime>
#include <random>
#include <sys/stat.h>
#include <unistd.h>

#include <supervise/control.hh>
#include <supervise/status.hh>
#include <supervise/tai64n.hh>

namespace {

// Kills every run the test started (their pids are in pidfile) that still runs in dir:
// a supervisor killed with SIGKILL leaves its service behind, as stock's does.
void kill_runs(std::string const &pidfile, std::string const &dir)
{
    std::string pids;
    if (!h::try_read_file(pidfile, pids)) return;
    for (std::size_t i = 0; i < pids.size();) {
        auto nl = pids.find('\n', i);
        if (nl == std::string::npos) break;
        pid_t pid = static_cast<pid_t>(std::atol(pids.c_str() + i));
        i = nl + 1;
        char cwd[4096];
        std::string link = "/proc/" + std::to_string(pid) + "/cwd";
        ssize_t n = readlink(link.c_str(), cwd, sizeof cwd - 1);
        if (n > 0 && std::string(cwd, static_cast<std::size_t>(n)) == dir) kill(pid, SIGKILL);
    }
}

// Seconds between two TAI64N stamps, signed.
long long seconds_between(sv::tain const &a, sv::tain const &b)
{
    return static_cast<long long>(b.sec) - static_cast<long long>(a.sec);
}

} // namespace

TEST_CASE("faults: s6-supervise killed during status updates leaves a whole status file",
          "[faults]")
{
    auto bin = GENERATE(h::ours("s6-supervise"), h::stock("s6-supervise"));
    INFO(bin);
    h::tempdir t;
    std::string dir = t / "svc";
    // Each "du" makes the supervisor write its status several times (down, finished, up).
    h::make_service(dir, "echo $$ >> ../pids\nexec sleep 100", {{"finish", "#!/bin/sh\n"}});
    std::mt19937 rng(12345);
    for (int round = 0; round < 25; round++) {
        INFO("round " << round);
        auto sup = h::start_supervise(bin, dir, t.path());
        REQUIRE(sv::send_control(dir, "supervise", "u") == sv::control_result::ok);
        int const writes = static_cast<int>(rng() % 40);
        for (int i = 0; i < writes; i++) sv::send_control(dir, "supervise", i % 2 ? "u" : "d");
        sup->signal(SIGKILL);
        REQUIRE(sup->wait(5000) == 128 + SIGKILL);
        CHECK(h::count_zombies_of(getpid()) == 0);
        // What any reader finds now: exactly 35 bytes that unpack, old or new.
        struct stat st;
        REQUIRE(stat((dir + "/supervise/status").c_str(), &st) == 0);
        CHECK(st.st_size == static_cast<off_t>(sv::status_size));
        sv::status s;
        REQUIRE(sv::status_read(dir, s));
        CHECK(!s.paused);
        kill_runs(t / "pids", dir);
    }
    // A new supervisor takes the service over from the status file the last one left.
    auto sup = h::start_supervise(bin, dir, t.path());
    REQUIRE(sv::send_control(dir, "supervise", "u") == sv::control_result::ok);
    CHECK(h::wait_status(dir, h::up));
    REQUIRE(sv::send_control(dir, "supervise", "dx") == sv::control_result::ok);
    CHECK(sup->wait(5000) == 0);
    kill_runs(t / "pids", dir);
    CHECK(h::count_zombies_of(getpid()) == 0);
}

TEST_CASE("faults: a full disk under supervise/ keeps the old status until space comes back",
          "[faults]")
{
    auto bin = GENERATE(h::ours("s6-supervise"), h::stock("s6-supervise"));
    INFO(bin);
    h::tempdir t;
    h::small_fs fs(t / "mnt", "64k");
    if (!fs.ok()) h::skip("cannot mount a tmpfs (needs root)");
    std::string dir = t / "mnt/svc";
    h::make_service(dir, "exec sleep 100");
    auto sup = h::start_supervise(bin, dir, t.path());
    REQUIRE(sv::send_control(dir, "supervise", "u") == sv::control_result::ok);
    REQUIRE(h::wait_status(dir, h::up));
    sv::status const before = h::status_of(dir);

    // Fill the file system up.
    {
        sv::unique_fd fd(open((t / "mnt/filler").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
        REQUIRE(fd.get() >= 0);
        std::string block(4096, 'z');
        while (write(fd.get(), block.data(), block.size()) > 0) {}
        REQUIRE(errno == ENOSPC);
    }
    // The service goes down all the same; the status file cannot follow and keeps the last
    // state it had, whole.
    REQUIRE(sv::send_control(dir, "supervise", "d") == sv::control_result::ok);
    std::string const warning = "s6-supervise " + dir +
                                ": warning: unable to write status file: No space left on device";
    CHECK(h::wait_until([&] { return sup->err().find(warning) != std::string::npos; }));
    CHECK(h::wait_until([&] { return kill(static_cast<pid_t>(before.pid), 0) != 0; }));
    std::string const tally_warning = "s6-supervise " + dir +
                                      ": warning: unable to write supervise/death_tally: No "
                                      "space left on device";
    CHECK(h::wait_until([&] { return sup->err().find(tally_warning) != std::string::npos; }));
    CHECK(h::status_of(dir) == before);

    // Space again: the next change is written.
    REQUIRE(unlink((t / "mnt/filler").c_str()) == 0);
    REQUIRE(sv::send_control(dir, "supervise", "u") == sv::control_result::ok);
    CHECK(h::wait_status(dir, [&](sv::status const &s) {
        return h::up(s) && s.pid != before.pid;
    }));
    REQUIRE(sv::send_control(dir, "supervise", "dx") == sv::control_result::ok);
    CHECK(sup->wait(5000) == 0);
    CHECK(h::count_zombies_of(getpid()) == 0);
}

TEST_CASE("faults: the wall clock stepped back or forward moves no restart, and the stamps "
          "follow it",
          "[faults][clock][wallclock]")
{
    // The throttle (a second between two starts, counted from readiness) runs on the
    // monotonic clock in both, and the status stamps are read from the wall clock at the
    // moment they describe (stock: tain_wallclock_read).  A supervisor timing its throttle by
    // the wall clock would restart an hour late after a step back, or at once after a step
    // forward.  (tests/unit/supervise_state_test.cc [clock] drives the same through the
    // state machine's seam, without touching the machine's clock.)
    {
        timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        if (clock_settime(CLOCK_REALTIME, &now) != 0)
            h::skip(std::string("cannot set CLOCK_REALTIME here (") + std::strerror(errno) +
                    "; needs CAP_SYS_TIME); the [clock] unit tests cover the logic");
    }
    auto bin = GENERATE(h::ours("s6-supervise"), h::stock("s6-supervise"));
    INFO(bin);
    h::tempdir t;
    std::string dir = t / "svc";
    h::make_service(dir, "echo >&3\nexec sleep 100", {{"notification-fd", "3\n"}});
    h::write_file(dir + "/down", "");
    auto sup = h::start_supervise(bin, dir, t.path());
    // Counted once the supervisor sleeps in poll, with no service, so no notification pipe
    // (not while a start-up write or event still holds an fd of its own).
    REQUIRE(h::wait_until([&] { return h::waiting_in_poll(sup->pid()); }));
    int const fds = h::count_fds(sup->pid());
    INFO("fds at start " << fds);
    for (long const jump : {-3600L, 3600L}) {
        INFO("jump " << jump);
        REQUIRE(sv::send_control(dir, "supervise", "d") == sv::control_result::ok);
        REQUIRE(h::wait_status(dir, h::down_and_finished));
        std::int64_t const asked = sv::mono_ms();
        REQUIRE(sv::send_control(dir, "supervise", "u") == sv::control_result::ok);
        REQUIRE(h::wait_status(dir, [](sv::status const &s) { return h::up(s) && s.ready; }));
        sv::status const before = h::status_of(dir);
        std::int64_t const killed_at = sv::mono_ms();
        std::int64_t restarted_at = -1;
        sv::status after;
        {
            h::wall_step step(jump * 1000);
            REQUIRE(step.ok());
            REQUIRE(kill(static_cast<pid_t>(before.pid), SIGKILL) == 0);
            // Back a second after readiness (itself after "u"), never sooner, and not an
            // hour late.
            bool const back = h::wait_status(
                dir,
                [&](sv::status const &s) {
                    return h::up(s) && s.ready && s.pid != before.pid;
                },
                3000);
            restarted_at = sv::mono_ms();
            CHECK(back);
            after = h::status_of(dir);
            // The new stamps are the stepped wall clock's.
            sv::tain const now = sv::tain_now();
            CHECK(std::llabs(seconds_between(after.stamp, now)) <= 5);
            CHECK(std::llabs(seconds_between(after.readystamp, now)) <= 5);
        }
        CHECK(restarted_at - asked >= 1000);
        CHECK(restarted_at - killed_at <= 2500);
        CHECK(std::llabs(seconds_between(before.stamp, after.stamp) - jump) <= 5);
        CHECK(std::llabs(seconds_between(before.readystamp, after.readystamp) - jump) <= 5);
        // The notification pipe is closed once the service is ready: nothing else is left.
        int now_fds = -1;
        bool const same =
            h::wait_until([&] { return (now_fds = h::count_fds(sup->pid())) == fds; }, 3000);
        INFO("fds now " << now_fds);
        CHECK(same);
    }
    REQUIRE(sv::send_control(dir, "supervise", "dx") == sv::control_result::ok);
    CHECK(sup->wait(5000) == 0);
    CHECK(h::count_zombies_of(getpid()) == 0);
}

TEST_CASE("faults: no /dev/null when s6-supervise lets go of its logger: stock's warning, and "
          "the logger's pipe closed",
          "[faults][devnull]")
{
    // On x (or SIGHUP) s6-supervise closes its stdin and stdout, the pipe to its logger, and
    // reopens them on /dev/null.  In a mount namespace whose /dev has no null, stock warns
    // "unable to open /dev/null for reading" and leaves both closed; ours warns the same and
    // keeps both slots taken by a harmless fd on "/" (no file opened later can land on them).
    // Either way the pipe is let go, and once the service dies the supervisor exits 0.
    h::need_root("mount a tmpfs over /dev in a private mount namespace");
    auto bin = GENERATE(h::ours("s6-supervise"), h::stock("s6-supervise"));
    INFO(bin);
    h::tempdir t;
    std::string dir = t / "svc";
    h::make_service(dir, "exec sleep 100");
    REQUIRE(mkfifo((t / "pipe").c_str(), 0600) == 0);
    // The supervisor's stdout is the write end of a FIFO the test reads.
    h::strings argv = h::without_dev_null();
    argv.insert(argv.end(), {"/bin/sh", "-c", "exec \"$0\" \"$1\" >\"$2\" <\"$2\"", bin, dir,
                             t / "pipe"});
    h::proc sup(argv, t.path());
    // The logger's end.
    sv::unique_fd rd(open((t / "pipe").c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    REQUIRE(rd.get() >= 0);
    REQUIRE(h::wait_until([&] {
        return sv::send_control(dir, "supervise", "") == sv::control_result::ok || !sup.running();
    }));
    INFO(sup.err());
    REQUIRE(sup.running());
    REQUIRE(sv::send_control(dir, "supervise", "u") == sv::control_result::ok);
    REQUIRE(h::wait_status(dir, h::up));
    pid_t const run = static_cast<pid_t>(h::status_of(dir).pid);
    REQUIRE(sv::send_control(dir, "supervise", "x") == sv::control_result::ok);
    std::string const warning = "s6-supervise " + dir +
                                ": warning: unable to open /dev/null for reading: No such file "
                                "or directory\n";
    CHECK(h::wait_until([&] { return sup.err().find(warning) != std::string::npos; }));
    // Neither stdin nor stdout is the logger's pipe any more: closed (stock) or "/" (ours).
    for (int fd : {0, 1}) {
        INFO("fd " << fd);
        char buf[4096];
        std::string const link = "/proc/" + std::to_string(sup.pid()) + "/fd/" +
                                 std::to_string(fd);
        ssize_t const n = readlink(link.c_str(), buf, sizeof buf);
        CHECK((n < 0 || std::string(buf, static_cast<std::size_t>(n)) == "/"));
    }
    REQUIRE(kill(run, SIGKILL) == 0);
    CHECK(sup.wait(5000) == 0);
    CHECK(sup.err() == warning);
    CHECK(h::count_zombies_of(getpid()) == 0);
}

TEST_CASE("faults: s6-log without /dev/null logs as usual, as stock's", "[faults][devnull]")
{
    // Neither s6-log opens /dev/null (ours only would, for a std fd that came closed).
    h::need_root("mount a tmpfs over /dev in a private mount namespace");
    auto bin = GENERATE(h::ours("s6-log"), h::stock("s6-log"));
    INFO(bin);
    h::tempdir t;
    h::run_opts o;
    o.input = "hello\nworld\n";
    o.timeout_ms = 5000;
    h::strings argv = h::without_dev_null();
    argv.insert(argv.end(), {bin, "t", t / "logdir"});
    auto const r = h::run(argv, o);
    CHECK(r.code == 0);
    CHECK(r.err == "");
    std::string const current = h::read_file(t / "logdir/current");
    CHECK(current.size() == 2 * 26 + 12);
    CHECK(current.find(" hello\n@") == 25);
    CHECK(current.ends_with(" world\n"));
}
