#include "harness.hh"

// For the listener below, which watches assertions outside Catch2's main file.
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#include <catch2/catch.hpp>

#include <cerrno>
#include <climits>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <iostream>
#include <map>
#include <poll.h>
#include <regex>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <linux/close_range.h>

#include <supervise/control.hh>
#include <supervise/diag.hh>
#include <supervise/fifodir.hh>
#include <supervise/tai64n.hh>

namespace h {

namespace {

using clock = std::chrono::steady_clock;

int decode(int wstat)
{
    if (WIFEXITED(wstat)) return WEXITSTATUS(wstat);
    if (WIFSIGNALED(wstat)) return 128 + WTERMSIG(wstat);
    return -1;
}

std::vector<char *> cargv(std::vector<std::string> const &argv)
{
    std::vector<char *> v;
    for (auto const &a : argv) v.push_back(const_cast<char *>(a.c_str()));
    v.push_back(nullptr);
    return v;
}

// Removes p and everything under it, as far as it can (best effort: a leftover must not fail
// the test that made it).
void remove_tree(std::string const &p)
{
    struct stat st;
    if (lstat(p.c_str(), &st) < 0) return;
    if (S_ISDIR(st.st_mode)) {
        if (DIR *d = opendir(p.c_str())) {
            while (dirent *e = readdir(d)) {
                if (!std::strcmp(e->d_name, ".") || !std::strcmp(e->d_name, "..")) continue;
                remove_tree(p + "/" + e->d_name);
            }
            closedir(d);
        }
        rmdir(p.c_str());
    } else {
        unlink(p.c_str());
    }
}

// In a freshly forked child about to exec the program under test: an empty signal mask and
// only fds 0, 1 and 2.
void exec_clean(std::vector<char *> &args)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    close_range(3, ~0U, 0);
    execv(args[0], args.data());
    _exit(errno == ENOENT ? 127 : 126);
}

result run_tool(std::string const &bin, strings const &args, run_opts const &o)
{
    strings argv{bin};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, o);
}

// Counts the failed assertions of the running test case, so that skip() never turns a failed
// test case into a skipped one.
int failures_in_test_case = 0;

// The program name diagnostics start with (sv::prog) before any test changed it.
std::string_view const default_prog = sv::prog;

struct test_case_watch : Catch::TestEventListenerBase {
    using TestEventListenerBase::TestEventListenerBase;
    // Each test case starts afresh: no failures yet, and sv::prog as at start-up whatever an
    // earlier test case set it to (so that no test depends on which ran before it).
    void testCaseStarting(Catch::TestCaseInfo const &info) override
    {
        TestEventListenerBase::testCaseStarting(info);
        failures_in_test_case = 0;
        sv::prog = default_prog;
    }
    bool assertionEnded(Catch::AssertionStats const &stats) override
    {
        if (!stats.assertionResult.isOk()) failures_in_test_case++;
        return TestEventListenerBase::assertionEnded(stats);
    }
};

} // namespace

CATCH_REGISTER_LISTENER(test_case_watch)

// --- skipping ------------------------------------------------------------------------------

void skip(std::string const &reason)
{
    // On Catch2's own stream, so the line lands among the test's other output; one line,
    // parsed by tests/summarize.py.
    if (failures_in_test_case == 0)
        std::cout << "SKIPPED: " << Catch::getResultCapture().getCurrentTestName() << " -- "
                  << reason << std::endl;
    // Catch2 ends a test case on this exception without recording a failure (it is what a
    // failed REQUIRE throws after reporting itself).
    throw Catch::TestFailureException{};
}

void need_root(std::string const &why)
{
    if (geteuid() != 0) skip("not root: " + why);
}

void need_stock(std::string const &tool)
{
    if (!exists(stock(tool))) skip("no stock " + stock(tool));
}

// --- files ---------------------------------------------------------------------------------

tempdir::tempdir()
{
    char const *base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/s6pp-test.XXXXXX";
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
}

namespace {

// Kills (SIGKILL) every process but this one whose working directory is dir or under it;
// returns how many.  A zombie has no working directory left to read, and is not counted.
int kill_under_once(std::string const &dir)
{
    int killed = 0;
    pid_t const self = getpid();
    for (pid_t const pid : pids()) {
        if (pid == self) continue;
        char cwd[PATH_MAX];
        std::string const link = "/proc/" + std::to_string(pid) + "/cwd";
        ssize_t const n = readlink(link.c_str(), cwd, sizeof cwd);
        if (n <= 0) continue;
        std::string_view const in(cwd, static_cast<std::size_t>(n));
        if (in == dir || (in.starts_with(dir) && in[dir.size()] == '/')) {
            kill(pid, SIGKILL);
            killed++;
        }
    }
    return killed;
}

} // namespace

tempdir::~tempdir()
{
    // In rounds: a supervisor may start a child between one look and the kill.
    for (int round = 0; round < 50 && kill_under_once(path_) > 0; round++)
        std::this_thread::sleep_for(std::chrono::milliseconds(20)); // let them die
    remove_tree(path_);
}

bool try_write_file(std::string const &path, std::string_view content, unsigned mode)
{
    std::string const tmp = path + ".tmp-write";
    int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return false;
    bool ok = fchmod(fd, mode) == 0 && write_full_fd(fd, content);
    ok = close(fd) == 0 && ok;
    ok = ok && rename(tmp.c_str(), path.c_str()) == 0;
    if (!ok) unlink(tmp.c_str());
    return ok;
}

void write_file(std::string const &path, std::string_view content, unsigned mode)
{
    bool ok = try_write_file(path, content, mode);
    INFO("writing " << path << ": " << std::strerror(errno));
    REQUIRE(ok);
}

bool write_full_fd(int fd, std::string_view s)
{
    std::size_t done = 0;
    while (done < s.size()) {
        ssize_t w = ::write(fd, s.data() + done, s.size() - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        done += static_cast<std::size_t>(w);
    }
    return true;
}

bool try_read_file(std::string const &path, std::string &out)
{
    out.clear();
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    char buf[4096];
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            close(fd);
            return r == 0;
        }
        out.append(buf, static_cast<std::size_t>(r));
    }
}

std::string read_file(std::string const &path)
{
    std::string s;
    try_read_file(path, s);
    return s;
}

std::string read_existing(std::string const &path)
{
    std::string s;
    bool ok = try_read_file(path, s);
    INFO("reading " << path << ": " << std::strerror(errno));
    REQUIRE(ok);
    return s;
}

bool exists(std::string const &path)
{
    struct stat st;
    return lstat(path.c_str(), &st) == 0;
}

void mkdirs(std::string const &path)
{
    for (std::size_t i = 1; i <= path.size(); i++) {
        if (i == path.size() || path[i] == '/') mkdir(path.substr(0, i).c_str(), 0755);
    }
}

mode_t mode_of(std::string const &path)
{
    struct stat st;
    return lstat(path.c_str(), &st) == 0 ? st.st_mode : 0;
}

account_files::account_files(std::string_view passwd_text, std::string_view group_text)
    : passwd(t / "passwd"), group(t / "group")
{
    write_file(passwd, passwd_text);
    write_file(group, group_text);
}

// --- processes -----------------------------------------------------------------------------

std::string ours(std::string const &name)
{
    // $S6PP_TEST_BINDIR: another build's programs, e.g. a foreign architecture's tarball
    // unpacked and run under qemu-user (release/qemu-test.sh --tarball).
    static std::string const dir = [] {
        char const *d = std::getenv("S6PP_TEST_BINDIR");
        return std::string(d && *d ? d : S6PP_BINDIR);
    }();
    return dir + "/" + name;
}
std::string stock(std::string const &name) { return std::string(STOCK_BINDIR) + "/" + name; }

result run(std::vector<std::string> const &argv, run_opts const &o)
{
    int outp[2], errp[2], inp[2];
    REQUIRE(pipe2(outp, O_CLOEXEC) == 0);
    REQUIRE(pipe2(errp, O_CLOEXEC) == 0);
    REQUIRE(pipe2(inp, O_CLOEXEC) == 0);
    auto args = cargv(argv);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        dup2(inp[0], 0);
        dup2(outp[1], 1);
        dup2(errp[1], 2);
        if (o.input.empty()) {
            int n = open("/dev/null", O_RDONLY);
            dup2(n, 0);
        }
        if (!o.cwd.empty() && chdir(o.cwd.c_str()) < 0) _exit(121);
        for (auto const &e : o.env) putenv(const_cast<char *>(e.c_str()));
        exec_clean(args);
    }
    close(outp[1]);
    close(errp[1]);
    close(inp[0]);
    if (!o.input.empty()) {
        ssize_t w = write(inp[1], o.input.data(), o.input.size());
        (void)w;
    }
    close(inp[1]);

    result r;
    auto deadline = clock::now() + std::chrono::milliseconds(o.timeout_ms);
    pollfd p[2] = {{outp[0], POLLIN, 0}, {errp[0], POLLIN, 0}};
    int open_fds = 2;
    while (open_fds) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
        if (left.count() <= 0) {
            r.timed_out = true;
            break;
        }
        int n = poll(p, 2, static_cast<int>(left.count()));
        if (n < 0 && errno == EINTR) continue;
        for (int i = 0; i < 2; i++) {
            if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buf[4096];
            ssize_t got = read(p[i].fd, buf, sizeof buf);
            if (got <= 0) {
                close(p[i].fd);
                p[i].fd = -1;
                open_fds--;
            } else {
                (i ? r.err : r.out).append(buf, static_cast<std::size_t>(got));
            }
        }
    }
    for (auto &x : p)
        if (x.fd >= 0) close(x.fd);
    int wstat = 0;
    if (r.timed_out) {
        kill(pid, SIGKILL);
        waitpid(pid, &wstat, 0);
        r.code = -1;
        return r;
    }
    // Output is closed; the process is about to exit (or has left a grandchild holding the
    // pipes, which the deadline covers).
    while (true) {
        pid_t w = waitpid(pid, &wstat, WNOHANG);
        if (w == pid) break;
        if (clock::now() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &wstat, 0);
            r.timed_out = true;
            r.code = -1;
            return r;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    r.code = decode(wstat);
    return r;
}

proc::proc(std::vector<std::string> const &argv, std::string const &log_dir,
           std::string const &cwd)
    : log_dir_(log_dir)
{
    auto args = cargv(argv);
    std::string out = log_dir + "/proc.out", err = log_dir + "/proc.err";
    pid_ = fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
        int n = open("/dev/null", O_RDONLY);
        dup2(n, 0);
        int o = open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        int e = open(err.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(o, 1);
        dup2(e, 2);
        if (!cwd.empty() && chdir(cwd.c_str()) < 0) _exit(121);
        exec_clean(args);
    }
}

proc::~proc()
{
    if (running()) {
        kill(pid_, SIGKILL);
        int wstat;
        waitpid(pid_, &wstat, 0);
    }
}

bool proc::running()
{
    if (code_ >= 0) return false;
    int wstat;
    pid_t w = waitpid(pid_, &wstat, WNOHANG);
    if (w == pid_) {
        code_ = decode(wstat);
        return false;
    }
    return true;
}

void proc::signal(int sig)
{
    if (running()) kill(pid_, sig);
}

int proc::wait(int timeout_ms)
{
    wait_until([&] { return !running(); }, timeout_ms);
    return code_;
}

std::string proc::err() const { return read_file(log_dir_ + "/proc.err"); }
std::string proc::out() const { return read_file(log_dir_ + "/proc.out"); }

pid_t child::fork_or_fail()
{
    pid_t p = ::fork();
    REQUIRE(p >= 0);
    return p;
}

void child::exit_now(int code) { ::_exit(code); }

child::~child()
{
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        int st;
        while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {}
    }
}

int child::wait(std::int64_t timeout_ms)
{
    int st = -1;
    pid_t got = 0;
    wait_until(
        [&] {
            got = ::waitpid(pid_, &st, WNOHANG);
            return got == pid_ || (got < 0 && errno != EINTR);
        },
        static_cast<int>(timeout_ms));
    if (got != pid_) return -1;
    pid_ = -1;
    return st;
}

int child::exit_code(std::int64_t timeout_ms)
{
    int st = wait(timeout_ms);
    return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

pipe_pair::pipe_pair(int flags)
{
    int p[2];
    REQUIRE(::pipe2(p, flags) == 0);
    r.reset(p[0]);
    w.reset(p[1]);
}

umask_guard::umask_guard(mode_t m) : old_(::umask(m)) {}
umask_guard::~umask_guard() { ::umask(old_); }

small_fs::small_fs(std::string const &dir, std::string const &size) : dir_(dir)
{
    mkdirs(dir);
    ok_ = ::mount("tmpfs", dir.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
}
small_fs::~small_fs()
{
    if (ok_) ::umount2(dir_.c_str(), MNT_DETACH);
}

namespace {

constexpr std::int64_t ns_per_s = 1000000000;

std::int64_t ns_of(timespec const &t) { return t.tv_sec * ns_per_s + t.tv_nsec; }

timespec timespec_of(std::int64_t ns)
{
    return {static_cast<time_t>(ns / ns_per_s), static_cast<long>(ns % ns_per_s)};
}

} // namespace

wall_step::wall_step(std::int64_t jump_ms)
{
    clock_gettime(CLOCK_REALTIME, &wall0_);
    clock_gettime(CLOCK_MONOTONIC, &mono0_);
    timespec const to = timespec_of(ns_of(wall0_) + jump_ms * 1000000);
    ok_ = ::clock_settime(CLOCK_REALTIME, &to) == 0;
    err_ = errno;
}
wall_step::~wall_step()
{
    if (!ok_) return;
    timespec mono;
    clock_gettime(CLOCK_MONOTONIC, &mono);
    timespec const back = timespec_of(ns_of(wall0_) + ns_of(mono) - ns_of(mono0_));
    ::clock_settime(CLOCK_REALTIME, &back);
}

std::int64_t ms_to_minute_end(std::int64_t lead_ms)
{
    timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    std::int64_t const into_minute = ns_of(now) / 1000000 % 60000;
    return std::max<std::int64_t>(0, 60000 - lead_ms - into_minute);
}

strings without_dev_null()
{
    return {"/usr/bin/unshare", "--mount", "/bin/sh", "-c",
            "mount -t tmpfs nodev /dev && test ! -e /dev/null && exec \"$0\" \"$@\""};
}

std::vector<pid_t> pids()
{
    std::vector<pid_t> v;
    DIR *d = opendir("/proc");
    if (!d) return v;
    while (dirent const *e = readdir(d)) {
        pid_t const pid = static_cast<pid_t>(std::atol(e->d_name));
        if (pid > 0) v.push_back(pid);
    }
    closedir(d);
    return v;
}

bool read_proc_stat(pid_t pid, proc_stat &out)
{
    // "PID (COMM) S PPID ...": COMM may hold anything, ')' included; the last ')' ends it.
    std::string st;
    if (!try_read_file("/proc/" + std::to_string(pid) + "/stat", st)) return false;
    auto const rp = st.rfind(')');
    if (rp == std::string::npos || rp + 4 >= st.size()) return false;
    out.state = st[rp + 2];
    out.ppid = static_cast<pid_t>(std::strtol(st.c_str() + rp + 4, nullptr, 10));
    return true;
}

namespace {
// Counts the children of parent (via /proc) whose state passes keep.
template <typename F> int count_children_if(pid_t parent, F keep)
{
    int n = 0;
    proc_stat st;
    for (pid_t const pid : pids())
        if (read_proc_stat(pid, st) && st.ppid == parent && keep(st.state)) n++;
    return n;
}
} // namespace

int count_zombies_of(pid_t parent)
{
    return count_children_if(parent, [](char state) { return state == 'Z'; });
}

int count_children_of(pid_t parent)
{
    return count_children_if(parent, [](char) { return true; });
}

int count_fds(pid_t pid)
{
    int n = 0;
    DIR *d = opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
    if (!d) return -1;
    while (dirent *e = readdir(d))
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n;
}

namespace {

// e_machine of an ELF file, 0 if it cannot be read.
unsigned elf_machine(std::string const &path)
{
    unsigned char hdr[20] = {};
    sv::unique_fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0 || ::read(fd.get(), hdr, sizeof hdr) != sizeof hdr) return 0;
    if (hdr[0] != 0x7f || hdr[1] != 'E' || hdr[2] != 'L' || hdr[3] != 'F') return 0;
    return hdr[5] == 1 ? hdr[18] | hdr[19] << 8 : hdr[18] << 8 | hdr[19];
}

strings raw_cmdline(pid_t pid)
{
    std::string cl;
    strings v;
    if (!try_read_file("/proc/" + std::to_string(pid) + "/cmdline", cl)) return v;
    for (std::size_t i = 0; i < cl.size();) {
        std::size_t z = cl.find('\0', i);
        if (z == std::string::npos) z = cl.size();
        v.push_back(cl.substr(i, z - i));
        i = z + 1;
    }
    return v;
}

} // namespace

void need_native(std::string const &why)
{
    // Our programs are another architecture's than this test program's (a foreign tarball
    // driven by native tests), or release/qemu-test.sh says so: under qemu-user a foreign
    // test program's /proc/self/exe is its own emulated file, of the same machine as ours.
    static bool const foreign = [] {
        char const *e = std::getenv("S6PP_TEST_EMULATED");
        return (e && *e) || elf_machine(ours("s6-supervise")) != elf_machine("/proc/self/exe");
    }();
    if (foreign) skip("under qemu-user " + why);
}

bool emulated(pid_t pid)
{
    char buf[4096];
    ssize_t n = ::readlink(("/proc/" + std::to_string(pid) + "/exe").c_str(), buf, sizeof buf);
    if (n <= 0) return false;
    std::string_view exe(buf, static_cast<std::size_t>(n));
    exe.remove_prefix(exe.rfind('/') + 1);
    return exe.starts_with("qemu-");
}

strings proc_argv(pid_t pid)
{
    strings v = raw_cmdline(pid);
    // binfmt_misc with the P flag: interpreter, program path, then the program's own argv.
    if (v.size() >= 2 && emulated(pid)) v.erase(v.begin(), v.begin() + 2);
    return v;
}

std::string proc_exe(pid_t pid)
{
    std::string const exe = "/proc/" + std::to_string(pid) + "/exe";
    if (!emulated(pid)) return exe;
    strings v = raw_cmdline(pid);
    return v.size() >= 2 ? v[1] : exe;
}

bool unix_listening(std::string const &path)
{
    std::string const table = read_file("/proc/net/unix");
    std::size_t i = 0, j;
    while ((j = table.find('\n', i)) != table.npos) {
        std::string const line = table.substr(i, j - i);
        i = j + 1;
        if (line.size() < path.size() || line.compare(line.size() - path.size(), path.size(), path))
            continue;
        unsigned long num, ref, proto, flags;
        if (std::sscanf(line.c_str(), "%lx: %lx %lx %lx", &num, &ref, &proto, &flags) == 4 &&
            (flags & 0x10000))
            return true;
    }
    return false;
}

// --- waiting -------------------------------------------------------------------------------

bool wait_until(std::function<bool()> const &pred, int timeout_ms)
{
    auto deadline = clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        if (pred()) return true;
        if (clock::now() >= deadline) return pred();
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
}

bool wait_readable(int fd, std::int64_t deadline_ms)
{
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        int t = sv::poll_timeout(deadline_ms, sv::mono_ms());
        int r = ::poll(&p, 1, t);
        if (r > 0) return true;
        if (r == 0 && t == 0) return false;
        if (r < 0 && errno != EINTR) return false;
    }
}

std::string drain(int fd)
{
    std::string s;
    char buf[4096];
    for (;;) {
        ssize_t r = ::read(fd, buf, sizeof buf);
        if (r <= 0) break;
        s.append(buf, static_cast<std::size_t>(r));
    }
    return s;
}

// --- service directories -------------------------------------------------------------------

void make_service(std::string const &dir, std::string const &run_body,
                  std::vector<std::pair<std::string, std::string>> const &files)
{
    mkdirs(dir);
    write_file(dir + "/run", "#!/bin/sh\n" + run_body + "\n", 0755);
    for (auto const &[name, content] : files) {
        bool exe = name.ends_with("run") || name.ends_with("finish") || name.ends_with("check");
        auto slash = name.rfind('/');
        if (slash != std::string::npos) mkdirs(dir + "/" + name.substr(0, slash));
        write_file(dir + "/" + name, content, exe ? 0755 : 0644);
    }
}

void fake_status(std::string const &dir, std::uint64_t pid, bool ready, bool wantup)
{
    mkdirs(dir + "/supervise");
    sv::status s;
    s.stamp = s.readystamp = sv::tain_now();
    s.pid = pid;
    s.ready = ready;
    s.wantup = wantup;
    REQUIRE(sv::status_write(dir, s));
}

void make_fake_service(std::string const &dir, bool up, bool ready)
{
    REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
    REQUIRE(sv::fifodir_make((dir + "/event").c_str()));
    fake_status(dir, up ? 4242 : 0, ready);
}

sv::status status_of(std::string const &dir)
{
    sv::status s;
    INFO("reading status of " << dir);
    REQUIRE(sv::status_read(dir, s));
    return s;
}

bool wait_status(std::string const &dir, std::function<bool(sv::status const &)> const &pred,
                 int timeout_ms)
{
    return wait_until(
        [&] {
            sv::status s;
            return sv::status_read(dir, s) && pred(s);
        },
        timeout_ms);
}

std::unique_ptr<proc> start_supervise(std::string const &binary, std::string const &dir,
                                      std::string const &log_dir)
{
    auto p = std::make_unique<proc>(std::vector<std::string>{binary, dir}, log_dir);
    std::string lock = dir + "/supervise/lock";
    // Its lock, its status and its control FIFO: a status file a previous supervisor left
    // is there before this one listens.
    bool listening = wait_until([&] {
        return sv::lock_probe(lock.c_str()) == sv::lock_state::held &&
               exists(dir + "/supervise/status") &&
               sv::send_control(dir, "supervise", "") == sv::control_result::ok;
    });
    INFO("supervisor stderr: " << p->err());
    REQUIRE(listening);
    return p;
}

service::service(std::string const &supervisor, std::string const &run_body,
                 std::vector<std::pair<std::string, std::string>> const &files)
    : dir_(td_ / "svc")
{
    make_service(dir_, run_body, files);
    sup_ = start_supervise(supervisor, dir_, td_.path());
}

service::~service()
{
    try_write_file(path("release"), "");
    if (sup_->running()) sv::send_control(dir_, "supervise", "dx");
    if (sup_->wait(5000) != 0) {
        sv::status st;
        if (sv::status_read(dir_, st) && st.pid) kill(-static_cast<pid_t>(st.pid), SIGKILL);
    }
}

std::unique_ptr<proc> start_waiter(strings const &argv, strings const &dirs,
                                   std::string const &logdir)
{
    for (auto const &d : dirs)
        listeners(d, true);
    auto p = std::make_unique<proc>(argv, logdir);
    bool subscribed = wait_until([&] {
        for (auto const &d : dirs)
            if (listeners(d) < 1) return false;
        return true;
    });
    INFO("waiter stderr: " << p->err());
    REQUIRE(subscribed);
    // Its FIFOs exist before it has read the services' status files (stock's s6-svlisten
    // subscribes first, through s6-ftrigrd): events sent before it reads them can be taken
    // against the wrong initial state.  Wait, boundedly, until it sleeps for its first event.
    wait_until([&] { return waiting_in_poll(p->pid()); }, 2000);
    return p;
}

bool waiting_in_poll(pid_t pid)
{
    // /proc/PID/syscall: the number of the system call the process sleeps in.
#if defined(__x86_64__)
    constexpr std::array calls{7L, 232L, 271L, 281L, 441L}; // poll epoll_wait ppoll epoll_pwait(2)
#elif defined(__aarch64__) || defined(__riscv)
    constexpr std::array calls{22L, 73L, 441L}; // epoll_pwait ppoll epoll_pwait2
#else
    constexpr std::array<long, 0> calls{};
#endif
    if (calls.empty()) return true; // numbers not known here: take it as waiting
    std::string const sc = read_file("/proc/" + std::to_string(pid) + "/syscall");
    if (sc.empty() || sc[0] < '0' || sc[0] > '9') return false;
    long const n = std::strtol(sc.c_str(), nullptr, 10);
    return std::find(calls.begin(), calls.end(), n) != calls.end();
}

bool up(sv::status const &s) { return s.is_up(); }
bool down(sv::status const &s) { return !s.is_up(); }
bool down_and_finished(sv::status const &s) { return s.pid == 0 && !s.finishing; }

int listeners(std::string const &dir, bool purge)
{
    int n = 0;
    DIR *d = opendir((dir + "/event").c_str());
    if (!d) return -1;
    while (dirent *e = readdir(d)) {
        if (!sv::is_listener_name(e->d_name)) continue;
        n++;
        if (purge) unlink((dir + "/event/" + e->d_name).c_str());
    }
    closedir(d);
    return n;
}

void notify(std::string const &dir, std::string_view events)
{
    sv::fifodir_notify((dir + "/event").c_str(), events);
}

void notify_drained(std::string const &dir, std::string_view events)
{
    std::string ev = dir + "/event";
    notify(dir, events);
    bool drained = wait_until([&] {
        bool empty = true;
        if (DIR *d = opendir(ev.c_str())) {
            while (dirent *e = readdir(d)) {
                if (!sv::is_listener_name(e->d_name)) continue;
                int fd = open((ev + "/" + e->d_name).c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
                int n = 0;
                if (fd >= 0 && ioctl(fd, FIONREAD, &n) == 0 && n > 0) empty = false;
                if (fd >= 0) close(fd);
            }
            closedir(d);
        }
        return empty;
    });
    REQUIRE(drained);
}

// --- ours against stock --------------------------------------------------------------------

result run_ours(std::string const &tool, strings const &args, run_opts const &o)
{
    return run_tool(ours(tool), args, o);
}

result run_stock(std::string const &tool, strings const &args, run_opts const &o)
{
    return run_tool(stock(tool), args, o);
}

std::string stock_message(std::string s)
{
    for (std::size_t p; (p = s.find("fatal: : ")) != std::string::npos;)
        s.erase(p + 7, 2);
    return s;
}

void check_same(result const &o, result const &s)
{
    REQUIRE_FALSE(s.timed_out);
    REQUIRE_FALSE(o.timed_out);
    CHECK(o.code == s.code);
    CHECK(o.out == s.out);
    CHECK(o.err == stock_message(s.err));
}

void compare(std::string const &tool, strings const &args, run_opts const &o)
{
    INFO(tool << " with " << args.size() << " args: " << (args.empty() ? "" : args.back()));
    // Stock's listeners give their s6-ftrigrd helper the command's own deadline to start (200 ms
    // in some cases); on a loaded machine it can miss it, which is stock's scheduling, not its
    // answer.  Such a run is done again, a bounded number of times.
    auto const helper_late = [](result const &r) {
        return r.err.find("unable to ftrigr_startf: Connection timed out") != std::string::npos;
    };
    result s = run_stock(tool, args, o);
    for (int i = 0; i < 5 && helper_late(s); ++i)
        s = run_stock(tool, args, o);
    check_same(run_ours(tool, args, o), s);
}

std::string mask_stamps(std::string s)
{
    static std::regex const tai("@[0-9a-f]{24}"),
        iso("[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{9}");
    return std::regex_replace(std::regex_replace(s, tai, "@TAI"), iso, "ISO");
}

std::string mask_seconds(std::string s)
{
    static std::regex const secs("[0-9]+ seconds");
    return mask_stamps(std::regex_replace(s, secs, "N seconds"));
}

} // namespace h
