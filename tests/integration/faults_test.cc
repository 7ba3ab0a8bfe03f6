// Faults injected into running supervisors, ours and stock alike: s6-supervise SIGKILLed at
// random points while it rewrites its status file, and a full disk under its supervise/.
// (The other injected faults sit with the helpers of the program they hit: a full disk under
// s6-log in log_test.cc, s6-svscan SIGKILLed or out of fds in svscan_test.cc; all are tagged
// [faults].)
#include "harness.hh"

#include <catch2/catch.hpp>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <random>
#include <sys/stat.h>
#include <unistd.h>

#include <supervise/control.hh>
#include <supervise/status.hh>

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
