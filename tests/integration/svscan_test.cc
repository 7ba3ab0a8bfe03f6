// s6-svscan and s6-svscanctl, run for real on temporary scan directories: services and
// loggers, the log pipe, rescans and pruning, restarts of dead supervisors, the control
// letters, signals and their scripts, finish, PID-1 duties in a fresh PID namespace, and
// interop with stock s6 in both directions.  Where a scenario is cheap it runs against stock
// s6-svscan too and both must behave alike.
#include "harness.hh"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <filesystem>
#include <map>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <supervise/control.hh>
#include <supervise/tai64n.hh>

namespace {

// --- /proc helpers -------------------------------------------------------------------------

struct proc_info
{
    pid_t pid;
    pid_t ppid;
    char state;
    std::vector<std::string> argv;
};

std::vector<proc_info> all_procs()
{
    std::vector<proc_info> v;
    h::proc_stat st;
    for (pid_t const pid : h::pids())
        if (h::read_proc_stat(pid, st)) v.push_back({pid, st.ppid, st.state, h::proc_argv(pid)});
    return v;
}

// The pid of the s6-supervise NAME that parent started, or 0.
pid_t supervisor_of(pid_t parent, std::string const &name)
{
    for (auto const &p : all_procs())
        if (p.ppid == parent && p.state != 'Z' && p.argv.size() == 2 &&
            p.argv[0] == "s6-supervise" && p.argv[1] == name)
            return p.pid;
    return 0;
}

int count_supervisors(pid_t parent)
{
    int n = 0;
    for (auto const &p : all_procs())
        if (p.ppid == parent && p.state != 'Z' && !p.argv.empty() && p.argv[0] == "s6-supervise")
            n++;
    return n;
}

std::string link_of(std::string const &path)
{
    char buf[4096];
    ssize_t n = readlink(path.c_str(), buf, sizeof buf);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

// The open fds of pid: fd -> what /proc shows it open on.
std::map<int, std::string> fds_of(pid_t pid)
{
    std::map<int, std::string> m;
    std::string const dir = "/proc/" + std::to_string(pid) + "/fd";
    DIR *d = opendir(dir.c_str());
    if (!d) return m;
    while (dirent *e = readdir(d))
        if (e->d_name[0] >= '0' && e->d_name[0] <= '9')
            m[std::atoi(e->d_name)] = link_of(dir + "/" + e->d_name);
    closedir(d);
    return m;
}

// The (device, inode) of the file path leads to, or {0, 0}.
std::pair<dev_t, ino_t> file_id(std::string const &path)
{
    struct stat st;
    if (stat(path.c_str(), &st) < 0) return {0, 0};
    return {st.st_dev, st.st_ino};
}

// Puts a copy of from at to, replacing whatever is there in one rename (as a package upgrade
// does), so that to becomes a new inode.
void install_copy(std::string const &from, std::string const &to)
{
    std::string const tmp = to + ".new";
    std::filesystem::copy_file(from, tmp, std::filesystem::copy_options::overwrite_existing);
    REQUIRE(chmod(tmp.c_str(), 0755) == 0);
    REQUIRE(rename(tmp.c_str(), to.c_str()) == 0);
}

// --- running s6-svscan -----------------------------------------------------------------------

bool listening(std::string const &scandir)
{
    return sv::send_control(scandir, ".s6-svscan", "") == sv::control_result::ok;
}

// One s6-svscan (ours or stock) on a scan directory.  It is started and waited for until its
// control FIFO listens; on destruction, if it still runs, it is told to quit (q) and given a
// few seconds, then killed.
class svscan
{
public:
    svscan(std::string const &bin, std::string const &scandir, std::string const &log_dir,
           std::vector<std::string> const &opts = {})
        : dir_(scandir)
    {
        std::vector<std::string> argv{bin};
        argv.insert(argv.end(), opts.begin(), opts.end());
        argv.push_back(scandir);
        p_ = std::make_unique<h::proc>(argv, log_dir);
        bool up = h::wait_until([&] { return listening(dir_) || !p_->running(); });
        INFO("s6-svscan stderr: " << p_->err());
        INFO("s6-svscan exit code (-1: running): " << (p_->running() ? -1 : p_->wait(0)));
        REQUIRE(up);
        REQUIRE(p_->running());
    }
    ~svscan()
    {
        if (p_->running() && listening(dir_)) {
            sv::send_control(dir_, ".s6-svscan", "q");
            p_->wait(5000);
        }
    }
    h::proc &proc() { return *p_; }
    pid_t pid() const { return p_->pid(); }
    void ctl(std::string const &letters)
    {
        REQUIRE(sv::send_control(dir_, ".s6-svscan", letters) == sv::control_result::ok);
    }

private:
    std::string dir_;
    std::unique_ptr<h::proc> p_;
};

h::run_opts quick()
{
    h::run_opts o;
    o.timeout_ms = 5000;
    return o;
}

bool supervised(std::string const &dir)
{
    return sv::lock_probe((dir + "/supervise/lock").c_str()) == sv::lock_state::held;
}

bool wait_contains(std::string const &file, std::string const &what, int ms = 10000)
{
    return h::wait_until([&] { return h::read_file(file).find(what) != std::string::npos; }, ms);
}

bool has_line(std::string const &text, std::string const &line)
{
    return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

// A service that says hello on stdout and then waits; on SIGTERM it says bye and exits.
std::string chatty(std::string const &name)
{
    return "echo hello-" + name + "\ntrap 'echo bye-" + name +
           "; exit 0' TERM\nwhile :; do sleep 0.05; done";
}

// A logger that appends what it reads to file.
std::string logger_to(std::string const &file)
{
    return "exec cat >> " + file;
}

auto const both_svscans = [] { return GENERATE(h::ours("s6-svscan"), h::stock("s6-svscan")); };

} // namespace

TEST_CASE("s6-svscan: one supervisor per subdirectory, loggers fed by one pipe", "[svscan]")
{
    h::tempdir t;
    std::string s = t / "scan", out = t / "out.txt";
    h::make_service(s + "/a", chatty("a"), {{"log/run", "#!/bin/sh\n" + logger_to(out) + "\n"}});
    h::make_service(s + "/b", "exec sleep 100");
    h::make_service(s + "/c", chatty("c"), {{"log", "a regular file named log\n"}});
    h::make_service(s + "/.hidden", "exec sleep 100");
    h::make_service(t / "elsewhere", "exec sleep 100");
    REQUIRE(symlink((t / "elsewhere").c_str(), (s + "/linked").c_str()) == 0);
    h::write_file(s + "/afile", "not a service\n");
    REQUIRE(mkfifo((s + "/afifo").c_str(), 0600) == 0);

    svscan sc(h::ours("s6-svscan"), s, t.path());
    for (auto d : {"a", "a/log", "b", "c", "linked"}) {
        INFO(d);
        CHECK(h::wait_status(s + "/" + d, h::up));
    }
    CHECK(wait_contains(out, "hello-a\n"));
    // c's "log" is a file: not logged, so its output goes to s6-svscan's stdout.
    CHECK(wait_contains(t / "proc.out", "hello-c\n"));
    CHECK(!h::exists(s + "/.hidden/supervise"));
    CHECK(h::wait_until([&] { return count_supervisors(sc.pid()) == 5; }));

    // Every supervisor is our s6-supervise, found next to our s6-svscan; argv is s6's.
    pid_t sa = supervisor_of(sc.pid(), "a"), sl = supervisor_of(sc.pid(), "a/log");
    REQUIRE(sa);
    REQUIRE(sl);
    CHECK(file_id(h::proc_exe(sa)) == file_id(h::ours("s6-supervise")));
    // Supervisors stay in s6-svscan's process group.
    CHECK(getpgid(sa) == getpgid(sc.pid()));

    // s6-svscan holds both ends of the pipe that joins a's stdout to its logger's stdin.
    auto run_pid = std::to_string(h::status_of(s + "/a").pid);
    auto log_pid = std::to_string(h::status_of(s + "/a/log").pid);
    std::string pipe = link_of("/proc/" + run_pid + "/fd/1");
    CHECK(pipe.starts_with("pipe:"));
    CHECK(link_of("/proc/" + log_pid + "/fd/0") == pipe);
    int held = 0;
    for (int fd = 0; fd < 64; fd++)
        if (link_of("/proc/" + std::to_string(sc.pid()) + "/fd/" + std::to_string(fd)) == pipe)
            held++;
    CHECK(held == 2);
    // Only stdout is redirected: the service's stderr is s6-svscan's.
    CHECK(link_of("/proc/" + run_pid + "/fd/2") ==
          link_of("/proc/" + std::to_string(sc.pid()) + "/fd/2"));
    CHECK(sc.proc().err().empty());
}

TEST_CASE("s6-svscan: the log pipe survives restarts of the logger and of the service", "[svscan]")
{
    auto bin = both_svscans();
    INFO(bin);
    h::tempdir t;
    std::string s = t / "scan", out = t / "out.txt", a = s + "/a", l = a + "/log";
    h::make_service(a, "echo run $$\nexec sleep 100",
                    {{"log/run", "#!/bin/sh\n" + logger_to(out) + "\n"}});
    svscan sc(bin, s, t.path());
    REQUIRE(h::wait_status(a, h::up));
    REQUIRE(h::wait_status(l, h::up));
    auto p1 = h::status_of(a).pid;
    REQUIRE(wait_contains(out, "run " + std::to_string(p1) + "\n"));
    auto cat = h::status_of(l).pid;

    // The service restarts: the logger sees no EOF and keeps reading.
    REQUIRE(sv::send_control(a, "supervise", "k") == sv::control_result::ok);
    REQUIRE(h::wait_status(a, [&](sv::status const &st) { return st.is_up() && st.pid != p1; }));
    auto p2 = h::status_of(a).pid;
    CHECK(wait_contains(out, "run " + std::to_string(p2) + "\n"));
    CHECK(h::status_of(l).pid == cat);

    // The logger goes down; what the service writes meanwhile waits in the pipe.
    REQUIRE(sv::send_control(l, "supervise", "d") == sv::control_result::ok);
    REQUIRE(h::wait_status(l, h::down));
    REQUIRE(sv::send_control(a, "supervise", "k") == sv::control_result::ok);
    REQUIRE(h::wait_status(a, [&](sv::status const &st) { return st.is_up() && st.pid != p2; }));
    auto p3 = h::status_of(a).pid;
    CHECK(h::read_file(out).find("run " + std::to_string(p3)) == std::string::npos);
    REQUIRE(sv::send_control(l, "supervise", "u") == sv::control_result::ok);
    CHECK(wait_contains(out, "run " + std::to_string(p3) + "\n"));
    REQUIRE(h::wait_status(l, h::up));
    cat = h::status_of(l).pid;

    // The service's supervisor dies too (with its run): s6-svscan's copy of the write end
    // keeps the logger from seeing EOF, and the restarted service writes into the same pipe.
    pid_t sup = supervisor_of(sc.pid(), "a");
    REQUIRE(sup > 0);
    REQUIRE(kill(sup, SIGKILL) == 0);
    REQUIRE(kill(static_cast<pid_t>(p3), SIGKILL) == 0);
    REQUIRE(h::wait_until([&] {
        pid_t n = supervisor_of(sc.pid(), "a");
        return n && n != sup && supervised(a);
    }));
    REQUIRE(h::wait_status(a, [&](sv::status const &st) { return st.is_up() && st.pid != p3; }));
    auto p4 = h::status_of(a).pid;
    CHECK(wait_contains(out, "run " + std::to_string(p4) + "\n"));
    CHECK(h::status_of(l).pid == cat);

    // The logger's supervisor dies with its cat: s6-svscan's read end keeps what the service
    // writes meanwhile (no EPIPE), and the new logger reads it.
    sup = supervisor_of(sc.pid(), "a/log");
    REQUIRE(sup > 0);
    REQUIRE(kill(sup, SIGKILL) == 0);
    REQUIRE(kill(static_cast<pid_t>(cat), SIGKILL) == 0);
    REQUIRE(sv::send_control(a, "supervise", "k") == sv::control_result::ok);
    REQUIRE(h::wait_status(a, [&](sv::status const &st) { return st.is_up() && st.pid != p4; }));
    auto p5 = h::status_of(a).pid;
    CHECK(wait_contains(out, "run " + std::to_string(p5) + "\n"));
    CHECK(h::wait_status(l, [&](sv::status const &st) { return st.is_up() && st.pid != cat; }));
}

TEST_CASE("s6-svscan: new services are found by -a, or by the -t timer", "[svscan]")
{
    auto bin = both_svscans();
    INFO(bin);
    h::tempdir t;
    std::string s = t / "scan";
    h::make_service(s + "/a", "exec sleep 100");

    SECTION("without -t only an explicit scan finds them")
    {
        svscan sc(bin, s, t.path());
        REQUIRE(h::wait_status(s + "/a", h::up));
        h::make_service(s + "/b", "exec sleep 100");
        // s6-svscan does not poll: nothing happens within a while.
        CHECK(!h::wait_until([&] { return h::exists(s + "/b/supervise/status"); }, 300));
        auto r = h::run({h::ours("s6-svscanctl"), "-a", s});
        CHECK(r.code == 0);
        CHECK(r.err.empty());
        CHECK(h::wait_status(s + "/b", h::up));
    }
    SECTION("-t 100 rescans by itself")
    {
        svscan sc(bin, s, t.path(), {"-t", "100"});
        REQUIRE(h::wait_status(s + "/a", h::up));
        h::make_service(s + "/b", "exec sleep 100");
        CHECK(h::wait_status(s + "/b", h::up, 3000));
    }
}

TEST_CASE("s6-svscan: a removed service keeps running until n, N or h prunes it", "[svscan]")
{
    auto bin = both_svscans();
    INFO(bin);
    h::tempdir t;
    std::string s = t / "scan", out = t / "out.txt", gone = t / "gone";
    // On EOF the logger notes it, then lingers: only SIGTERM (N) makes its supervisor exit.
    h::make_service(
        s + "/a", chatty("a"),
        {{"log/run", "#!/bin/sh\ncat >> " + out + "\necho eof >> " + out + "\nexec sleep 100\n"}});
    h::make_service(s + "/b", "exec sleep 100");
    svscan sc(bin, s, t.path());
    REQUIRE(h::wait_status(s + "/a", h::up));
    REQUIRE(h::wait_status(s + "/a/log", h::up));
    REQUIRE(h::wait_status(s + "/b", h::up));
    REQUIRE(wait_contains(out, "hello-a\n"));

    REQUIRE(rename((s + "/a").c_str(), gone.c_str()) == 0);
    // A scan alone never stops anything.
    sc.ctl("a");
    CHECK(!h::wait_until([&] { return !supervised(gone); }, 300));
    CHECK(supervised(gone + "/log"));

    SECTION("n: the service's supervisor gets SIGTERM, the logger's SIGHUP")
    {
        sc.ctl("n");
        CHECK(h::wait_until([&] { return !supervised(gone); }));
        CHECK(wait_contains(out, "bye-a\neof\n"));
        // SIGHUP: the logger's supervisor waits for its service, which lingers.
        CHECK(!h::wait_until([&] { return !supervised(gone + "/log"); }, 300));

        // The directory comes back while its logger still lingers.  The old entry has lost
        // its pipe, so it is not reused: nothing starts until its last supervisor is gone.
        REQUIRE(rename(gone.c_str(), (s + "/a").c_str()) == 0);
        sc.ctl("a");
        CHECK(!h::wait_until([&] { return supervised(s + "/a"); }, 300));
        pid_t old_logger = supervisor_of(sc.pid(), "a/log");
        CHECK(old_logger > 0);
        sc.ctl("N");
        // Once it has died, the reaper asks for a scan and the service starts afresh.
        CHECK(h::wait_status(s + "/a", [](sv::status const &st) { return st.is_up(); }));
        CHECK(h::wait_until([&] {
            pid_t l = supervisor_of(sc.pid(), "a/log");
            return l && l != old_logger && supervised(s + "/a/log");
        }));
        CHECK(wait_contains(out, "eof\nhello-a\n"));
    }
    SECTION("N: both get SIGTERM")
    {
        sc.ctl("N");
        CHECK(h::wait_until([&] { return !supervised(gone) && !supervised(gone + "/log"); }));
    }
    SECTION("h (and -an from s6-svscanctl): scan, then prune")
    {
        auto r = h::run({h::ours("s6-svscanctl"), "-an", s});
        CHECK(r.code == 0);
        CHECK(h::wait_until([&] { return !supervised(gone); }));
        CHECK(wait_contains(out, "bye-a\neof\n"));
    }
    // b was never touched.
    CHECK(supervised(s + "/b"));
    CHECK(h::status_of(s + "/b").is_up());
    CHECK(sc.proc().running());
}

TEST_CASE("s6-svscan: a supervisor killed with SIGKILL is back about a second later", "[svscan]")
{
    auto bin = both_svscans();
    INFO(bin);
    h::tempdir t;
    std::string s = t / "scan";
    h::make_service(s + "/b", "exec sleep 100");
    svscan sc(bin, s, t.path());
    REQUIRE(h::wait_status(s + "/b", h::up));
    pid_t old = 0;
    REQUIRE(h::wait_until([&] { return (old = supervisor_of(sc.pid(), "b")) != 0; }));
    auto t0 = sv::mono_ms();
    REQUIRE(kill(old, SIGKILL) == 0);
    pid_t now = 0;
    REQUIRE(h::wait_until([&] {
        now = supervisor_of(sc.pid(), "b");
        return now && now != old && supervised(s + "/b");
    }));
    auto elapsed = sv::mono_ms() - t0;
    CHECK(elapsed >= 900);
    CHECK(elapsed < 5000);
    CHECK(h::count_zombies_of(sc.pid()) == 0);
    CHECK(h::wait_status(s + "/b", h::up));
}

TEST_CASE("s6-svscan killed with SIGKILL: the tree lives on, and a new s6-svscan takes it over",
          "[svscan][faults]")
{
    // Stock's way, which ours keeps: the supervisors and services of a killed s6-svscan run on
    // (orphaned) and answer their clients; a new s6-svscan on the same directory starts a
    // supervisor per service, which finds the old one holding the lock and exits, and tries
    // again every second until the old one is gone.  Then its own supervisor takes over.
    auto bin = both_svscans();
    INFO(bin);
    h::tempdir t;
    std::string s = t / "scan";
    h::make_service(s + "/a", "exec sleep 100");
    h::mkdirs(t / "1");
    h::mkdirs(t / "2");
    auto first = std::make_unique<svscan>(bin, s, t / "1");
    REQUIRE(h::wait_status(s + "/a", h::up));
    pid_t sup = 0;
    REQUIRE(h::wait_until([&] { return (sup = supervisor_of(first->pid(), "a")) != 0; }));
    std::uint64_t const run = h::status_of(s + "/a").pid;
    first->proc().signal(SIGKILL);
    REQUIRE(first->proc().wait(5000) == 128 + SIGKILL);
    first.reset();

    // The orphans live on, and their supervisor still obeys.
    CHECK(kill(sup, 0) == 0);
    CHECK(kill(static_cast<pid_t>(run), 0) == 0);
    CHECK(supervised(s + "/a"));
    CHECK(h::status_of(s + "/a").pid == run);

    svscan second(bin, s, t / "2");
    std::string const busy = "s6-supervise a: fatal: another instance of s6-supervise is already "
                             "running";
    CHECK(wait_contains(t / "2/proc.err", busy, 5000));
    CHECK(kill(sup, 0) == 0);
    CHECK(h::status_of(s + "/a").pid == run);
    // Each failed supervisor is reaped (a moment after it exits).
    CHECK(h::wait_until([&] { return h::count_zombies_of(second.pid()) == 0; }, 2000));

    // The old supervisor leaves (x, with its service down); the new s6-svscan's own takes over.
    REQUIRE(sv::send_control(s + "/a", "supervise", "dx") == sv::control_result::ok);
    pid_t mine = 0;
    REQUIRE(h::wait_until([&] {
        mine = supervisor_of(second.pid(), "a");
        return mine && supervised(s + "/a");
    }));
    CHECK(kill(static_cast<pid_t>(run), 0) != 0);
    // Its lock comes a moment before its control FIFO listens.
    REQUIRE(h::wait_until(
        [&] { return sv::send_control(s + "/a", "supervise", "u") == sv::control_result::ok; }));
    CHECK(h::wait_status(s + "/a", h::up));
    CHECK(h::wait_until([&] { return h::count_zombies_of(second.pid()) == 0; }, 2000));
}

TEST_CASE("s6-svscan out of fds (EMFILE): stock's warning, and every service once fds are back",
          "[svscan][faults]")
{
    // With RLIMIT_NOFILE's soft limit at 14 only a few logged services get their log pipe;
    // s6-svscan warns for each one that does not, starts nothing for it, and carries on.  Once
    // the limit is raised, a rescan starts the rest.
    auto bin = both_svscans();
    INFO(bin);
    h::tempdir t;
    std::string s = t / "scan";
    for (int i = 0; i < 8; i++) {
        std::string d = s + "/s" + std::to_string(i);
        h::make_service(d, "exec sleep 100");
        h::make_service(d + "/log", "exec cat > /dev/null");
    }
    svscan sc("/usr/bin/prlimit", s, t.path(), {"--nofile=14:1024", bin});
    std::string const warning = "s6-svscan: warning: unable to pipecoe: Too many open files";
    CHECK(wait_contains(t / "proc.err", warning, 5000));
    // Stock's supervisors forked before the warning may not have exec'd s6-supervise yet.
    int started = 0;
    CHECK(h::wait_until([&] { return (started = count_supervisors(sc.pid())) > 0; }));
    CHECK(started < 16);
    rlimit more{1024, 1024};
    int const r = prlimit(sc.pid(), RLIMIT_NOFILE, &more, nullptr);
    INFO("prlimit: " << std::strerror(errno));
    REQUIRE(r == 0);
    sc.ctl("a");
    CHECK(h::wait_until([&] { return count_supervisors(sc.pid()) == 16; }));
    for (int i = 0; i < 8; i++) CHECK(h::wait_status(s + "/s" + std::to_string(i), h::up));
    CHECK(h::count_zombies_of(sc.pid()) == 0);
}

namespace {

// Inodes in use on the file system holding path.
unsigned long inodes_used(std::string const &path)
{
    struct statvfs v;
    REQUIRE(statvfs(path.c_str(), &v) == 0);
    return v.f_files - v.f_ffree;
}

// Gives the tmpfs mounted at dir (by h::small_fs) room for exactly n inodes.
void set_inodes(std::string const &dir, unsigned long n)
{
    std::string const opts = "size=1m,nr_inodes=" + std::to_string(n);
    INFO("remount " << opts << ": " << std::strerror(errno));
    REQUIRE(mount("tmpfs", dir.c_str(), "tmpfs", MS_REMOUNT, opts.c_str()) == 0);
}

// CPU time (user + system, in clock ticks) of pid, from /proc/PID/stat; 0 if it is gone.
long cpu_ticks(pid_t pid)
{
    std::string st = h::read_file("/proc/" + std::to_string(pid) + "/stat");
    auto rp = st.rfind(')');
    if (rp == std::string::npos) return 0;
    // After ")": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
    char const *p = st.c_str() + rp + 2;
    long v[13] = {};
    for (int i = 0; i < 13 && *p; i++) {
        while (*p == ' ') p++;
        v[i] = std::strtol(p, const_cast<char **>(&p), 10);
        if (i == 0) { while (*p && *p != ' ') p++; } // the state letter
    }
    return v[11] + v[12];
}

void *park(void *) { for (;;) pause(); }

} // namespace

TEST_CASE("s6-svscan and s6-supervise on a full scan directory: stock's fatal messages at each "
          "file, and the tree once there is room",
          "[svscan][faults]")
{
    // A tmpfs with a fixed number of inodes: each step allows one more file, so each of the
    // files s6-svscan and s6-supervise make in turn (.s6-svscan, its lock and control FIFO;
    // event/, supervise/, its lock, control FIFO and death tally) is the one that fails.  Both
    // die with stock's message and 111 at each; s6-svscan retries a supervisor that died every
    // second, so once there is room the service comes up with nothing done by hand.
    auto bin = both_svscans();
    INFO(bin);
    std::string const sup = bin.substr(0, bin.rfind('/')) + "/s6-supervise";
    h::tempdir t;
    std::string const mnt = t / "mnt", s = mnt + "/scan";
    h::small_fs fs(mnt, "1m,nr_inodes=1000");
    if (!fs.ok()) h::skip("cannot mount a tmpfs (needs root)");
    h::make_service(s + "/a", "exec sleep 100");
    unsigned long const base = inodes_used(mnt);
    auto const clean = [&] {
        for (char const *d : {"/.s6-svscan", "/a/event", "/a/supervise"})
            std::filesystem::remove_all(s + d);
        REQUIRE(inodes_used(mnt) == base);
    };
    std::string const enospc = ": No space left on device\n";
    char const *const svscan_steps[] = {"mkdir .s6-svscan", "open .s6-svscan/lock",
                                        "mkfifo .s6-svscan/control"};
    for (unsigned long k = 0; k < 3; k++) {
        INFO("room for " << k);
        clean();
        set_inodes(mnt, base + k);
        auto r = h::run({bin, s}, quick());
        CHECK(r.code == 111);
        CHECK(r.err == std::string("s6-svscan: fatal: unable to ") + svscan_steps[k] + enospc);
        set_inodes(mnt, 1000);
    }
    char const *const supervise_steps[] = {"mkdir event", "mkdir supervise",
                                           "open supervise/lock", "mkfifo supervise/control",
                                           "truncate supervise/death_tally"};
    for (unsigned long k = 0; k < 5; k++) {
        INFO("room for " << k);
        clean();
        set_inodes(mnt, base + k);
        h::run_opts o = quick();
        o.cwd = s;
        auto r = h::run({sup, "a"}, o);
        CHECK(r.code == 111);
        CHECK(r.err == std::string("s6-supervise a: fatal: unable to ") + supervise_steps[k] +
                           enospc);
        set_inodes(mnt, 1000);
    }

    // Room for all but the status file: the service runs all the same, with a warning, and
    // the status is written at the next change once there is room.
    clean();
    set_inodes(mnt, base + 5);
    {
        auto p = std::make_unique<h::proc>(h::strings{sup, s + "/a"}, t.path());
        std::string const warning =
            "s6-supervise " + s + "/a: warning: unable to write status file" + enospc;
        CHECK(h::wait_until([&] { return p->err().find(warning) != std::string::npos; }));
        CHECK(!h::exists(s + "/a/supervise/status"));
        set_inodes(mnt, 1000);
        REQUIRE(sv::send_control(s + "/a", "supervise", "dx") == sv::control_result::ok);
        CHECK(p->wait(5000) == 0);
        CHECK(h::status_of(s + "/a").pid == 0);
    }

    // Under s6-svscan: the supervisor dies at once and is started again every second...
    clean();
    set_inodes(mnt, base + 3);
    {
        svscan sc(bin, s, t.path());
        std::string const fatal = "s6-supervise a: fatal: unable to mkdir event" + enospc;
        CHECK(h::wait_until([&] {
            std::string const err = h::read_file(t / "proc.err");
            auto const first = err.find(fatal);
            return first != std::string::npos && err.find(fatal, first + 1) != std::string::npos;
        }));
        CHECK(!h::exists(s + "/a/supervise/status"));
        // ... until there is room: then it stays, and the service runs.
        set_inodes(mnt, 1000);
        CHECK(h::wait_status(s + "/a", h::up));
        CHECK(h::wait_until([&] { return supervisor_of(sc.pid(), "a") != 0; }));
        CHECK(h::wait_until([&] { return h::count_zombies_of(sc.pid()) == 0; }, 3000));
        CHECK(h::count_fds(sc.pid()) <= 8);
    }
}

TEST_CASE("s6-svscan with 1000 services while fork fails (RLIMIT_NPROC): stock's warnings, no "
          "busy loop, and every service once processes are free",
          "[svscan][faults][nproc][scale]")
{
    // The tree runs as a user of its own (root is exempt from RLIMIT_NPROC) with a process
    // limit that a hog of the same user (one process of many threads: threads count) leaves
    // too small for 1000 supervisors and their 1000 services.  s6-svscan warns for each
    // supervisor it cannot fork and tries again 4 s later; a supervisor that cannot fork its
    // run warns and waits 60 s (stock's delay; "u" starts it at once, as stock's).  Neither
    // spins meanwhile.  Once the hog exits, s6-svscan gets every supervisor back by itself, the
    // services are started, and nothing is lost or left behind.
    h::need_root("run the tree as another user");
    h::need_native("each emulated process has a thread of qemu's besides its own, and threads "
                   "count against RLIMIT_NPROC: the limit this case computes does not hold");
    auto const bin = h::ours("s6-svscan");
    int const n = 1000;
    uid_t const uid = 54321;
    int const room = 900;           // processes the tree may have while the hog lives
    int const limit = 2 * n + 101;  // RLIMIT_NPROC: the tree's 2n + 1 fit, with some to spare
    int const threads = limit - room - 1;
    h::tempdir t;
    std::string const s = t / "scan";
    for (int i = 0; i < n; i++) h::make_service(s + "/s" + std::to_string(i), "exec sleep 1000");
    REQUIRE(chmod(t.c_str(), 0755) == 0);
    for (auto const &e : std::filesystem::recursive_directory_iterator(s))
        REQUIRE(lchown(e.path().c_str(), uid, uid) == 0);
    REQUIRE(chown(s.c_str(), uid, uid) == 0);

    // The hog: one process of that user with `threads` threads, reporting when they are all
    // there; its exit frees them at once.
    h::pipe_pair ready;
    auto hog = std::make_unique<h::child>([&] {
        if (setgroups(0, nullptr) < 0 || setresgid(uid, uid, uid) < 0 ||
            setresuid(uid, uid, uid) < 0)
            return 1;
        pthread_attr_t a;
        pthread_attr_init(&a);
        pthread_attr_setstacksize(&a, 64 * 1024);
        for (int i = 0; i < threads; i++) {
            pthread_t th;
            if (pthread_create(&th, &a, park, nullptr) != 0) return 2;
        }
        if (write(ready.w.get(), "y", 1) != 1) return 3;
        for (;;) pause();
    });
    ready.w.reset();
    {
        char c;
        REQUIRE(h::wait_readable(ready.r.get(), sv::mono_ms() + 10000));
        REQUIRE(read(ready.r.get(), &c, 1) == 1);
    }

    svscan sc("/usr/bin/prlimit", s, t.path(),
              {"--nproc=" + std::to_string(limit), "--", "/usr/bin/setpriv",
               "--reuid=" + std::to_string(uid), "--regid=" + std::to_string(uid),
               "--clear-groups", bin, "-c", std::to_string(2 * n)});
    std::string const svscan_warning = "s6-svscan: warning: unable to fork for s";
    std::string const supervise_warning =
        ": warning: unable to fork (waiting 60 seconds): Resource temporarily unavailable";
    CHECK(wait_contains(t / "proc.err", svscan_warning, 20000));
    CHECK(wait_contains(t / "proc.err", supervise_warning, 20000));
    CHECK(count_supervisors(sc.pid()) < n);

    // No busy loop: once every supervisor that could start has set up (its status file
    // written), over a second and a half of failing forks s6-svscan and all its supervisors
    // together use a small part of one CPU.
    CHECK(h::wait_until([&] {
        for (int i = 0; i < n; i++) {
            std::string const d = s + "/s" + std::to_string(i);
            if (supervised(d) && !h::exists(d + "/supervise/status")) return false;
        }
        return true;
    }, 20000));
    auto const tree_cpu = [&] {
        long sum = cpu_ticks(sc.pid());
        for (auto const &p : all_procs())
            if (p.ppid == sc.pid()) sum += cpu_ticks(p.pid);
        return sum;
    };
    long const ticks = sysconf(_SC_CLK_TCK);
    long const before = tree_cpu();
    std::int64_t const t0 = sv::mono_ms();
    h::wait_until([] { return false; }, 1500); // a measuring window, not a wait for an event
    long const used = tree_cpu() - before;
    std::int64_t const window = sv::mono_ms() - t0;
    INFO("CPU " << used << " ticks in " << window << " ms");
    CHECK(used * 1000 / ticks < window / 4);

    // Room again.
    hog.reset();
    int supervised_n = 0; // services 0 .. supervised_n - 1 have their supervisor (checked once)
    CHECK(h::wait_until([&] {
        for (; supervised_n < n; supervised_n++)
            if (!supervised(s + "/s" + std::to_string(supervised_n))) return false;
        return true;
    }, 15000));
    CHECK(count_supervisors(sc.pid()) == n);
    // A supervisor whose run could not fork waits 60 s, as stock's does; "u" starts it now.
    int nudged = 0;
    for (int i = 0; i < n; i++) {
        std::string const d = s + "/s" + std::to_string(i);
        sv::status st;
        if (sv::status_read(d, st) && !h::up(st)) {
            CHECK(sv::send_control(d, "supervise", "u") == sv::control_result::ok);
            nudged++;
        }
    }
    INFO(nudged << " services nudged");
    int up = 0;
    CHECK(h::wait_until([&] {
        for (; up < n; up++) {
            sv::status st;
            if (!sv::status_read(s + "/s" + std::to_string(up), st) || !h::up(st)) return false;
        }
        return true;
    }, 20000));
    CHECK(up == n);
    CHECK(h::wait_until([&] { return h::count_zombies_of(sc.pid()) == 0; }, 5000));
    // No fd left behind by the failed forks, in s6-svscan or any supervisor.
    CHECK(h::count_fds(sc.pid()) <= 8);
    int most = 0;
    for (auto const &p : all_procs())
        if (p.ppid == sc.pid()) most = std::max(most, h::count_fds(p.pid));
    CHECK(most <= 8);
}

TEST_CASE("s6-svscan without /dev/null: stock's warning when it lets go of s6-svscan-log's "
          "pipe, and exit 0",
          "[svscan][faults][devnull]")
{
    // s6-svscan reopens its stdout on /dev/null when it exits with an s6-svscan-log service
    // (the catch-all logger's pipe must close).  In a mount namespace with no /dev/null both
    // warn the same and still exit 0.
    h::need_root("mount a tmpfs over /dev in a private mount namespace");
    auto bin = both_svscans();
    INFO(bin);
    h::tempdir t;
    std::string s = t / "scan";
    h::make_service(s + "/s6-svscan-log", "exec cat");
    h::make_service(s + "/a", "exec sleep 100");
    h::strings wrapped = h::without_dev_null();
    wrapped.push_back(bin);
    svscan sc(wrapped[0], s, t.path(), h::strings(wrapped.begin() + 1, wrapped.end()));
    CHECK(h::wait_status(s + "/a", h::up));
    CHECK(h::wait_status(s + "/s6-svscan-log", h::up));
    sc.ctl("t");
    CHECK(sc.proc().wait(5000) == 0);
    // The logger's supervisor, told to exit with SIGHUP, lets go of its stdio the same way
    // (s6-supervise's own test is in faults_test.cc) if its service has not already ended
    // (the pipe it reads closes at the same moment): its warning may or may not come.
    std::string const mine = "s6-svscan: warning: unable to open /dev/null: No such file or "
                             "directory\n",
                      logger = "s6-supervise s6-svscan-log: warning: unable to open /dev/null "
                               "for reading: No such file or directory\n";
    CHECK(h::wait_until([&] { return sc.proc().err().find(mine) != std::string::npos; }));
    std::string const err = sc.proc().err();
    INFO(err);
    CHECK((err == mine || err == mine + logger || err == logger + mine));
}

TEST_CASE("s6-svscan: a supervisor looks exec'd: argv, name, executable, fds", "[svscan]")
{
    // Ours starts a supervisor by forking and calling s6-supervise's main (fork_self.hh);
    // stock forks and execs.  Nothing of that may show, so both must pass the same checks.
    auto bin = both_svscans();
    INFO(bin);
    h::tempdir t;
    std::string s = t / "scan";
    h::make_service(s + "/a", "exec sleep 100");
    h::make_service(s + "/b", "exec sleep 100", {{"log/run", "#!/bin/sh\nexec cat >/dev/null\n"}});
    // fd 5 comes without close-on-exec, so an exec'd supervisor holds it; every fd of
    // s6-svscan's own (.s6-svscan/*, its signalfd, the other services' pipes) is gone.
    h::proc p({"/bin/sh", "-c", "exec 5</dev/null; exec \"$0\" \"$1\"", bin, s}, t.path());
    REQUIRE(h::wait_until([&] { return listening(s) || !p.running(); }));
    REQUIRE(p.running());
    std::string const supervise = bin.substr(0, bin.rfind('/')) + "/s6-supervise";
    struct expect
    {
        char const *name;
        int pipe_fd; // the one fd on the log pipe, or -1
    };
    for (auto [name, pipe_fd] : {expect{"a", -1}, expect{"b", 1}, expect{"b/log", 0}}) {
        INFO(name);
        REQUIRE(h::wait_status(s + "/" + name, h::up));
        pid_t sp = 0;
        // argv is exactly "s6-supervise", NAME.
        REQUIRE(h::wait_until([&] { return (sp = supervisor_of(p.pid(), name)) != 0; }));
        std::string const base = "/proc/" + std::to_string(sp);
        CHECK(h::read_file(base + "/comm") == "s6-supervise\n");
        CHECK(file_id(h::proc_exe(sp)) == file_id(supervise));
        if (h::emulated(sp)) h::skip("under qemu-user the supervisor's fds include qemu's own");
        auto fds = fds_of(sp);
        CHECK(fds[5] == "/dev/null");
        int pipes = 0, signalfds = 0;
        for (auto const &[fd, what] : fds) {
            INFO(fd << " -> " << what);
            CHECK(what.find(".s6-svscan") == std::string::npos);
            if (what.starts_with("pipe:")) {
                pipes++;
                CHECK(fd == pipe_fd);
            }
            if (what.find("signalfd") != std::string::npos) signalfds++;
        }
        CHECK(pipes == (pipe_fd < 0 ? 0 : 1));
        CHECK(signalfds == 1);
    }
    REQUIRE(sv::send_control(s, ".s6-svscan", "q") == sv::control_result::ok);
    CHECK(p.wait(10000) == 0);
}

TEST_CASE("s6-svscan: an s6-supervise replaced on disk is exec'd, not forked", "[svscan]")
{
    // Our own copy of the executable, so it can be upgraded under a running s6-svscan.
    h::need_native("a running program's file is qemu's, not the one it was started from");
    h::tempdir t;
    std::string const bin = t / "bin", s = t / "scan";
    h::mkdirs(bin);
    install_copy(h::ours("s6-supervise"), bin + "/s6-supervise");
    REQUIRE(symlink("s6-supervise", (bin + "/s6-svscan").c_str()) == 0);
    h::make_service(s + "/b", "exec sleep 100");
    svscan sc(bin + "/s6-svscan", s, t.path());
    REQUIRE(h::wait_status(s + "/b", h::up));
    pid_t old = 0;
    REQUIRE(h::wait_until([&] { return (old = supervisor_of(sc.pid(), "b")) != 0; }));
    auto const first = file_id(bin + "/s6-supervise");
    CHECK(file_id(h::proc_exe(old)) == first);

    install_copy(h::ours("s6-supervise"), bin + "/s6-supervise");
    auto const second = file_id(bin + "/s6-supervise");
    REQUIRE(second != first);
    REQUIRE(kill(old, SIGKILL) == 0);
    pid_t now = 0;
    REQUIRE(h::wait_until([&] {
        now = supervisor_of(sc.pid(), "b");
        return now && now != old && supervised(s + "/b");
    }));
    // The new supervisor runs the new file; s6-svscan still runs the old one.
    CHECK(file_id(h::proc_exe(now)) == second);
    CHECK(file_id(h::proc_exe(sc.pid())) == first);
    CHECK(h::wait_status(s + "/b", h::up));
    CHECK(sc.proc().err().empty());
}

TEST_CASE("s6-svscan: an s6-supervise that cannot be run is reported, and retried every second",
          "[svscan]")
{
    // s6-svscan as a copy of the executable (not a link to s6-supervise), next to an
    // "s6-supervise" that is no program: it is exec'd, and the exec fails.
    h::need_native("a failed exec of a supervisor was not reported as on the host");
    h::tempdir t;
    std::string const bin = t / "bin", s = t / "scan";
    h::mkdirs(bin);
    install_copy(h::ours("s6-supervise"), bin + "/s6-svscan");
    h::write_file(bin + "/s6-supervise", "not a program\n", 0755);
    h::make_service(s + "/b", "exec sleep 100");
    svscan sc(bin + "/s6-svscan", s, t.path());
    std::string const msg =
        "s6-svscan (child): fatal: unable to exec " + bin + "/s6-supervise: Exec format error\n";
    auto count = [&] {
        std::string const e = sc.proc().err();
        int n = 0;
        for (auto at = e.find(msg); at != std::string::npos; at = e.find(msg, at + 1))
            n++;
        return n;
    };
    REQUIRE(h::wait_until([&] { return count() >= 1; }, 5000));
    auto const t0 = sv::mono_ms();
    REQUIRE(h::wait_until([&] { return count() >= 2; }, 5000));
    CHECK(sv::mono_ms() - t0 >= 800);
    CHECK(!supervised(s + "/b"));
    CHECK(sc.proc().running());

    // Once there is a program to run, the next retry starts it.
    install_copy(h::ours("s6-supervise"), bin + "/s6-supervise");
    CHECK(h::wait_status(s + "/b", h::up));
}

TEST_CASE("s6-svscan: t, q and b, with finish", "[svscan]")
{
    auto bin = both_svscans();
    INFO(bin);
    h::tempdir t;
    std::string s = t / "scan", out = t / "out.txt", fin = t / "finish.txt";
    h::make_service(s + "/a", chatty("a"), {{"log/run", "#!/bin/sh\n" + logger_to(out) + "\n"}});
    h::make_service(s + "/b", "exec sleep 100");
    h::mkdirs(s + "/.s6-svscan");
    h::write_file(s + "/.s6-svscan/finish",
                  "#!/bin/sh\necho \"$$ $# $(pwd)\" > " + fin + "\nexit 7\n", 0755);
    svscan sc(bin, s, t.path());
    REQUIRE(h::wait_status(s + "/a", h::up));
    REQUIRE(h::wait_status(s + "/a/log", h::up));
    REQUIRE(h::wait_status(s + "/b", h::up));
    REQUIRE(wait_contains(out, "hello-a\n"));

    SECTION("t: services down, loggers drain, then finish in the same process")
    {
        sc.ctl("t");
        CHECK(sc.proc().wait() == 7);
        // The logger was left to read up to EOF, so the service's last words are there.
        CHECK(has_line(h::read_file(out), "bye-a"));
        for (auto d : {"a", "a/log", "b"})
            CHECK(!supervised(s + "/" + d));
        CHECK(h::read_file(fin) == std::to_string(sc.pid()) + " 0 " + s + "\n");
    }
    SECTION("q: the loggers are stopped as well")
    {
        sc.ctl("q");
        CHECK(sc.proc().wait() == 7);
        for (auto d : {"a", "a/log", "b"})
            CHECK(!supervised(s + "/" + d));
    }
    SECTION("b: finish at once, supervisors left running")
    {
        sc.ctl("b");
        CHECK(sc.proc().wait() == 7);
        CHECK(h::exists(fin));
        for (auto d : {"a", "a/log", "b"})
            CHECK(supervised(s + "/" + d));
        CHECK(h::status_of(s + "/b").is_up());
    }
    SECTION("tb: the kill pass is sent, but nothing is waited for")
    {
        sc.ctl("tb");
        CHECK(sc.proc().wait() == 7);
        CHECK(h::wait_until([&] { return !supervised(s + "/b"); }));
    }
    SECTION("at: scan requests are dropped once told to exit; t without finish exits 0")
    {
        REQUIRE(unlink((s + "/.s6-svscan/finish").c_str()) == 0);
        sc.ctl("at");
        CHECK(sc.proc().wait() == 0);
        CHECK(!h::exists(fin));
    }
    CHECK(sc.proc().err().empty());
}

TEST_CASE("s6-svscan: a finish that cannot be executed leads to crash", "[svscan]")
{
    auto bin = both_svscans();
    INFO(bin);
    h::tempdir t;
    std::string s = t / "scan";
    h::mkdirs(s + "/.s6-svscan");
    h::write_file(s + "/.s6-svscan/finish", "#!/bin/sh\nexit 0\n", 0644);
    std::string const head =
        "s6-svscan: warning: unable to exec finish script .s6-svscan/finish: Permission denied\n"
        "s6-svscan: warning: executing into .s6-svscan/crash\n";
    SECTION("crash runs in the same process")
    {
        h::write_file(s + "/.s6-svscan/crash", "#!/bin/sh\necho crash $#\nexit 5\n", 0755);
        svscan sc(bin, s, t.path());
        sc.ctl("t");
        CHECK(sc.proc().wait() == 5);
        CHECK(sc.proc().err() == head);
        CHECK(sc.proc().out() == "crash 0\n");
    }
    SECTION("no crash either: exit 111")
    {
        svscan sc(bin, s, t.path());
        sc.ctl("t");
        CHECK(sc.proc().wait() == 111);
        CHECK(sc.proc().err() ==
              head +
                  "s6-svscan: fatal: unable to exec .s6-svscan/crash: No such file or directory\n");
    }
}

TEST_CASE("s6-svscan: signals, their .s6-svscan scripts and default actions", "[svscan]")
{
    auto bin = both_svscans();
    INFO(bin);
    if (bin == h::ours("s6-svscan"))
        h::need_native("signals sent to s6-svscan were not acted on (qemu's signal emulation)");
    h::tempdir t;
    std::string s = t / "scan", mark = t / "mark.txt";
    h::make_service(s + "/a", "exec sleep 100");
    h::mkdirs(s + "/.s6-svscan");
    svscan sc(bin, s, t.path());
    REQUIRE(h::wait_status(s + "/a", h::up));
    auto script = [&](std::string const &name, unsigned mode = 0755) {
        h::write_file(s + "/.s6-svscan/" + name,
                      "#!/bin/sh\necho \"$0 $# $(pwd)\" >> " + mark + "\n", mode);
    };

    SECTION("a script replaces the default action and is not waited for")
    {
        script("SIGTERM");
        script("SIGUSR1");
        sc.proc().signal(SIGTERM);
        CHECK(wait_contains(mark, ".s6-svscan/SIGTERM 0 " + s + "\n"));
        sc.proc().signal(SIGUSR1);
        CHECK(wait_contains(mark, ".s6-svscan/SIGUSR1 0 " + s + "\n"));
        // Still running, still supervising, and the scripts were reaped.
        CHECK(listening(s));
        CHECK(h::wait_until([&] { return h::count_zombies_of(sc.pid()) == 0; }));
        CHECK(h::status_of(s + "/a").is_up());
        sc.ctl("t");
        CHECK(sc.proc().wait() == 0);
    }
    SECTION("SIGUSR2 and SIGWINCH without a script do nothing; SIGTERM means t")
    {
        sc.proc().signal(SIGUSR2);
        sc.proc().signal(SIGWINCH);
        sc.proc().signal(SIGALRM);
        sc.proc().signal(SIGCHLD);
        CHECK(listening(s));
        sc.proc().signal(SIGTERM);
        CHECK(sc.proc().wait() == 0);
        CHECK(!supervised(s + "/a"));
    }
    SECTION("SIGQUIT means q, SIGINT means t")
    {
        sc.proc().signal(GENERATE(SIGQUIT, SIGINT));
        CHECK(sc.proc().wait() == 0);
        CHECK(!supervised(s + "/a"));
    }
    SECTION("SIGABRT means b")
    {
        sc.proc().signal(SIGABRT);
        CHECK(sc.proc().wait() == 0);
        CHECK(supervised(s + "/a"));
    }
    SECTION("SIGHUP means h: scan, then prune")
    {
        h::make_service(s + "/b", "exec sleep 100");
        REQUIRE(rename((s + "/a").c_str(), (t / "gone").c_str()) == 0);
        sc.proc().signal(SIGHUP);
        CHECK(h::wait_status(s + "/b", h::up));
        CHECK(h::wait_until([&] { return !supervised(t / "gone"); }));
    }
    SECTION("a script that cannot be spawned is reported, then the default action is taken")
    {
        script("SIGINT", 0644);
        sc.proc().signal(SIGINT);
        CHECK(sc.proc().wait() == 0);
        CHECK(has_line(sc.proc().err(),
                       "s6-svscan: warning: unable to spawn .s6-svscan/SIGINT: Permission denied"));
    }
}

TEST_CASE("s6-svscan: -d writes one newline when the control FIFO is ready", "[svscan]")
{
    auto bin = both_svscans();
    INFO(bin);
    h::tempdir t;
    std::string s = t / "scan", notif = t / "notif";
    h::mkdirs(s);
    h::proc p({"/bin/sh", "-c", "exec \"$0\" -d 3 \"$1\" 3>\"$2\"", bin, s, notif}, t.path());
    REQUIRE(h::wait_until([&] { return h::read_file(notif) == "\n"; }));
    CHECK(listening(s));
    // The fd is closed after the newline (a moment after, with stock; and fd 3 may then be
    // reused for something else, so what is checked is that it no longer is the file).
    CHECK(h::wait_until([&] { return link_of("/proc/" + std::to_string(p.pid()) + "/fd/3") != notif; }));
    REQUIRE(sv::send_control(s, ".s6-svscan", "t") == sv::control_result::ok);
    CHECK(p.wait() == 0);
}

TEST_CASE("s6-svscan: -X and the s6-svscan-log catch-all logger", "[svscan]")
{
    auto bin = both_svscans();
    INFO(bin);
    h::tempdir t;
    std::string s = t / "scan", console = t / "console", fin = t / "finish.txt";
    // Even with a log/ directory, s6-svscan-log gets no logger and no pipe.
    h::make_service(s + "/s6-svscan-log", "echo to-console >&2\nexec sleep 100",
                    {{"log/run", "#!/bin/sh\nexec sleep 100\n"}});
    h::make_service(s + "/a", "exec sleep 100");
    h::mkdirs(s + "/.s6-svscan");
    h::write_file(s + "/.s6-svscan/finish",
                  "#!/bin/sh\necho finish-out\necho finish-err >&2\nexit 3\n", 0755);
    h::proc p({"/bin/sh", "-c", "exec \"$0\" -X 3 \"$1\" 3>\"$2\"", bin, s, console}, t.path());
    REQUIRE(h::wait_until([&] { return listening(s); }));
    REQUIRE(h::wait_status(s + "/s6-svscan-log", h::up));
    REQUIRE(h::wait_status(s + "/a", h::up));
    // Its supervisor (and so the service) writes errors to the console holder.
    CHECK(wait_contains(console, "to-console\n"));
    CHECK(!h::exists(s + "/s6-svscan-log/log/supervise"));

    // t: the catch-all logger is told to exit only once its service dies by itself.
    REQUIRE(sv::send_control(s, ".s6-svscan", "t") == sv::control_result::ok);
    REQUIRE(h::wait_until([&] { return !supervised(s + "/a"); }));
    CHECK(!h::wait_until([&] { return !p.running(); }, 300));
    CHECK(supervised(s + "/s6-svscan-log"));
    auto const logger_pid = static_cast<pid_t>(h::status_of(s + "/s6-svscan-log").pid);
    REQUIRE(logger_pid > 0); // never kill(0, ...)
    kill(logger_pid, SIGTERM);
    CHECK(p.wait() == 3);
    // finish ran with the console restored on fds 1 and 2.
    auto c = h::read_file(console);
    CHECK(c.find("finish-out\n") != std::string::npos);
    CHECK(c.find("finish-err\n") != std::string::npos);
    CHECK(p.out().empty());
}

TEST_CASE("s6-svscan: bad scan directory entries and too many services", "[svscan]")
{
    auto bin = both_svscans();
    INFO(bin);
    h::tempdir t;
    std::string s = t / "scan";
    for (auto n : {"x", "y", "z"})
        h::make_service(s + "/" + n, "exec sleep 100");
    h::write_file(s + "/plainfile", "x\n");
    REQUIRE(symlink("/nonexistent/target", (s + "/dangling").c_str()) == 0);
    svscan sc(bin, s, t.path(), {"-c", "2"});
    REQUIRE(h::wait_until([&] { return count_supervisors(sc.pid()) == 2; }));
    REQUIRE(h::wait_until([&] {
        return sc.proc().err().find("too many services") != std::string::npos &&
               sc.proc().err().find("dangling") != std::string::npos;
    }));
    auto err = sc.proc().err();
    CHECK(has_line(err, "s6-svscan: warning: unable to stat dangling: No such file or directory"));
    int overflow = 0;
    for (auto n : {"x", "y", "z"})
        if (has_line(err, std::string("s6-svscan: warning: unable to start supervisor for ") + n +
                              ": too many services"))
            overflow++;
    CHECK(overflow == 1);
    CHECK(err.find("plainfile") == std::string::npos);

    // Unknown control bytes are reported one by one and otherwise ignored.
    sc.ctl("xa");
    CHECK(h::wait_until([&] {
        return has_line(sc.proc().err(), "s6-svscan: warning: received unknown control command: x");
    }));
    CHECK(listening(s));
    CHECK(count_supervisors(sc.pid()) == 2);
    sc.ctl("t");
    CHECK(sc.proc().wait() == 0);
}

TEST_CASE("s6-svscan: start-up errors match stock s6-svscan", "[svscan]")
{
    h::tempdir t;
    std::string s = t / "scan";
    h::mkdirs(s);
    struct bad_case
    {
        std::string what;
        std::vector<std::string> args;
        std::function<void()> prepare;
    };
    std::vector<bad_case> cases = {
        {"missing scandir", {t / "nonexistent"}, [] {}},
        {"bad -c", {"-c", "x", s}, [] {}},
        {"bad -t", {"-t", "1s", s}, [] {}},
        {"unknown option", {"-z", s}, [] {}},
        {"-d below 3", {"-d", "1", s}, [] {}},
        {"-d closed", {"-d", "97", s}, [] {}},
        {"-X below 3", {"-X", "2", s}, [] {}},
        {"-X closed", {"-X", "97", s}, [] {}},
        {".s6-svscan is a file", {s}, [&] { h::write_file(s + "/.s6-svscan", ""); }},
        {"control is not a FIFO",
         {s},
         [&] {
             unlink((s + "/.s6-svscan").c_str());
             h::mkdirs(s + "/.s6-svscan");
             h::write_file(s + "/.s6-svscan/control", "");
         }},
    };
    for (auto const &c : cases) {
        INFO(c.what);
        c.prepare();
        std::vector<std::string> a{h::ours("s6-svscan")}, b{h::stock("s6-svscan")};
        a.insert(a.end(), c.args.begin(), c.args.end());
        b.insert(b.end(), c.args.begin(), c.args.end());
        auto ro = h::run(a, quick());
        auto rs = h::run(b, quick());
        CHECK(ro.code == rs.code);
        CHECK(ro.err == rs.err);
        CHECK((ro.code == 100 || ro.code == 111));
    }
}

TEST_CASE("s6-svscan: one instance per scan directory, whoever came first", "[svscan]")
{
    auto first = both_svscans();
    auto second = GENERATE(h::ours("s6-svscan"), h::stock("s6-svscan"));
    INFO(first << " then " << second);
    h::tempdir t;
    std::string s = t / "scan";
    h::mkdirs(s);
    svscan sc(first, s, t.path());
    auto r = h::run({second, s}, quick());
    CHECK(r.code == 100);
    CHECK(r.err == "s6-svscan: fatal: another instance of s6-svscan is already running on the "
                   "same directory\n");
    struct stat st;
    REQUIRE(stat((s + "/.s6-svscan/lock").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);
    REQUIRE(stat((s + "/.s6-svscan/control").c_str(), &st) == 0);
    CHECK(S_ISFIFO(st.st_mode));
    CHECK((st.st_mode & 07777) == 0600);
    REQUIRE(stat((s + "/.s6-svscan").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0700);
}

TEST_CASE("s6-svscanctl: options, messages and exit codes match stock", "[svscan]")
{
    h::tempdir t;
    std::string s = t / "scan", nosvscan = t / "idle", broken = t / "broken",
                fileish = t / "fileish";
    h::mkdirs(s);
    h::mkdirs(nosvscan);
    h::mkdirs(broken + "/.s6-svscan");
    h::mkdirs(fileish);
    h::write_file(fileish + "/.s6-svscan", "");
    svscan sc(h::ours("s6-svscan"), s, t.path());
    std::string many(65, 'z');
    struct ctl_case
    {
        std::vector<std::string> args;
        int code;
    };
    std::vector<ctl_case> cases = {
        {{"-z", s}, 0},
        {{s}, 0},                  // no letters: only checks that someone listens
        {{"-za", s, nosvscan}, 0}, // only the first scandir counts
        {{}, 100},
        {{"-a"}, 100},
        {{"-p", s}, 100}, // 2.10 removed p r s 0 6 7 8
        {{"-6", s}, 100},
        {{"-y", s}, 100},
        {{"-" + many.substr(1), s}, 0}, // 64 letters fit
        {{"-" + many, s}, 100},         // 65 do not
        {{"-a", nosvscan}, 100},
        {{"-a", broken}, 100},
        {{"-a", fileish}, 100},
        {{"-a", t / "missing"}, 111},
    };
    for (auto const &c : cases) {
        std::vector<std::string> a{h::ours("s6-svscanctl")}, b{h::stock("s6-svscanctl")};
        a.insert(a.end(), c.args.begin(), c.args.end());
        b.insert(b.end(), c.args.begin(), c.args.end());
        auto ro = h::run(a), rs = h::run(b);
        INFO("args: " << (c.args.empty() ? "" : c.args[0]) << " ... stock err: " << rs.err
                      << " ours: " << ro.err);
        CHECK(ro.code == c.code);
        CHECK(rs.code == c.code);
        // Stock 2.11.3.2 prints a doubled ": " in "fatal: : unable to control" (a skalibs
        // version skew); ours prints it once.
        std::string se = rs.err;
        for (std::size_t at; (at = se.find("fatal: : ")) != std::string::npos;)
            se.erase(at + 7, 2);
        CHECK(ro.err == se);
    }
    CHECK(listening(s));
}

TEST_CASE("interop: s6-svscanctl and s6-svscan, stock and ours in every pairing", "[svscan]")
{
    auto pair = GENERATE(std::make_pair(h::ours("s6-svscan"), h::stock("s6-svscanctl")),
                         std::make_pair(h::stock("s6-svscan"), h::ours("s6-svscanctl")),
                         std::make_pair(h::ours("s6-svscan"), h::ours("s6-svscanctl")));
    INFO(pair.first << " driven by " << pair.second);
    h::tempdir t;
    std::string s = t / "scan", out = t / "out.txt";
    h::make_service(s + "/a", chatty("a"), {{"log/run", "#!/bin/sh\n" + logger_to(out) + "\n"}});
    svscan sc(pair.first, s, t.path());
    REQUIRE(h::wait_status(s + "/a", h::up));
    auto ctl = [&](std::string const &opt) {
        auto r = h::run({pair.second, opt, s});
        INFO(r.err);
        CHECK(r.code == 0);
    };
    h::make_service(s + "/b", chatty("b"), {{"log/run", "#!/bin/sh\n" + logger_to(out) + "\n"}});
    ctl("-a");
    REQUIRE(h::wait_status(s + "/b", h::up));
    REQUIRE(h::wait_status(s + "/b/log", h::up));
    REQUIRE(wait_contains(out, "hello-b\n"));
    REQUIRE(rename((s + "/b").c_str(), (t / "b-gone").c_str()) == 0);
    ctl("-an");
    CHECK(
        h::wait_until([&] { return !supervised(t / "b-gone") && !supervised(t / "b-gone/log"); }));
    CHECK(wait_contains(out, "bye-b\n"));
    ctl("-z");
    ctl("-t");
    CHECK(sc.proc().wait() == 0);
    CHECK(has_line(h::read_file(out), "bye-a"));
    CHECK(!supervised(s + "/a/log"));
}

TEST_CASE("interop: stock s6-svstat, s6-svc and s6-svok on services our s6-svscan runs", "[svscan]")
{
    h::tempdir t;
    std::string s = t / "scan";
    h::make_service(s + "/a", "exec sleep 100");
    svscan sc(h::ours("s6-svscan"), s, t.path());
    REQUIRE(h::wait_status(s + "/a", h::up));
    auto pid = std::to_string(h::status_of(s + "/a").pid);
    auto st = h::run({h::stock("s6-svstat"), s + "/a"});
    CHECK(st.code == 0);
    CHECK(st.out.starts_with("up (pid " + pid + ") "));
    CHECK(h::run({h::stock("s6-svok"), s + "/a"}).code == 0);
    CHECK(h::run({h::stock("s6-svc"), "-d", s + "/a"}).code == 0);
    CHECK(h::wait_status(s + "/a", h::down));
    CHECK(h::run({h::stock("s6-svstat"), "-o", "up", s + "/a"}).out == "false\n");
    CHECK(h::run({h::stock("s6-svc"), "-u", s + "/a"}).code == 0);
    CHECK(h::wait_status(s + "/a", h::up));
}

TEST_CASE("s6-svscan as PID 1: reaps every orphan, SIGTERM shuts down cleanly", "[svscan]")
{
    h::need_native("a SIGTERM sent to s6-svscan was not acted on (qemu's signal emulation)");
    h::tempdir t;
    std::string s = t / "scan", out = t / "out.txt", done = t / "done", fin = t / "finish.txt";
    // 1000 orphans: each ( : & ) leaves a child whose parent exits at once, so the kernel
    // hands it to PID 1.  One orphan sleeps, to show whose child it became.
    h::make_service(s + "/spawner", "i=0\nwhile [ $i -lt 1000 ]; do ( : & ); i=$((i+1)); done\n"
                                    "( exec sleep 100 & )\necho ok > " +
                                        done + "\nexec sleep 100");
    h::make_service(
        s + "/svc",
        "echo hello\ntrap 'echo got-usr1; exit 0' USR1\n"
        "while :; do sleep 0.05; done",
        {{"down-signal", "SIGUSR1\n"}, {"log/run", "#!/bin/sh\n" + logger_to(out) + "\n"}});
    h::mkdirs(s + "/.s6-svscan");
    h::write_file(s + "/.s6-svscan/finish", "#!/bin/sh\necho $$ > " + fin + "\nexit 3\n", 0755);

    h::proc ns({"/usr/bin/unshare", "--pid", "--fork", "--mount-proc", h::ours("s6-svscan"), s},
               t.path());
    pid_t pid1 = 0;
    REQUIRE(h::wait_until([&] {
        for (auto const &p : all_procs())
            if (p.ppid == ns.pid() && !p.argv.empty() && p.argv[0] == h::ours("s6-svscan"))
                pid1 = p.pid;
        return pid1 != 0;
    }));
    // 2000 forks by a shell: a minute at most, even under a sanitizer on a loaded machine.
    REQUIRE(h::wait_until([&] { return h::exists(done); }, 60000));
    REQUIRE(wait_contains(out, "hello\n"));
    // The sleeping orphan is now s6-svscan's child, and no zombie is left.
    CHECK(h::wait_until([&] {
        for (auto const &p : all_procs())
            if (p.ppid == pid1 && p.argv.size() == 2 && p.argv[0] == "sleep") return true;
        return false;
    }));
    CHECK(h::wait_until([&] { return h::count_zombies_of(pid1) == 0; }));

    REQUIRE(kill(pid1, SIGTERM) == 0);
    CHECK(ns.wait() == 3);
    // The service got its down-signal, its logger read everything, finish ran as PID 1.
    CHECK(has_line(h::read_file(out), "got-usr1"));
    CHECK(h::read_file(fin) == "1\n");
}
