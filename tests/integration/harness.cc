#include "harness.hh"

#include <catch2/catch.hpp>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <memory>
#include <poll.h>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <linux/close_range.h>

#include <supervise/control.hh>

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

} // namespace

std::string ours(std::string const &name) { return std::string(S6PP_BINDIR) + "/" + name; }
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
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        close_range(3, ~0U, 0); // the program under test starts with only fds 0, 1 and 2
        execv(args[0], args.data());
        _exit(errno == ENOENT ? 127 : 126);
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
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        close_range(3, ~0U, 0); // the program under test starts with only fds 0, 1 and 2
        execv(args[0], args.data());
        _exit(127);
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

tempdir::tempdir()
{
    char tmpl[] = "/tmp/s6pp-test.XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path_ = tmpl;
}

tempdir::~tempdir() { remove_tree(path_); }

bool wait_until(std::function<bool()> const &pred, int timeout_ms)
{
    auto deadline = clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        if (pred()) return true;
        if (clock::now() >= deadline) return pred();
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
}

void write_file(std::string const &path, std::string const &content, unsigned mode)
{
    std::string tmp = path + ".tmp-write";
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        REQUIRE(f.good());
        f << content;
    }
    REQUIRE(chmod(tmp.c_str(), mode) == 0);
    REQUIRE(rename(tmp.c_str(), path.c_str()) == 0);
}

std::string read_file(std::string const &path)
{
    std::ifstream f(path, std::ios::binary);
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
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
    bool up = wait_until([&] {
        return sv::lock_probe(lock.c_str()) == sv::lock_state::held && exists(dir + "/supervise/status");
    });
    INFO("supervisor stderr: " << p->err());
    REQUIRE(up);
    return p;
}

int count_zombies_of(pid_t parent)
{
    int n = 0;
    DIR *d = opendir("/proc");
    if (!d) return -1;
    while (dirent *e = readdir(d)) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        std::string st = read_file(std::string("/proc/") + e->d_name + "/stat");
        auto rp = st.rfind(')');
        if (rp == std::string::npos || rp + 4 >= st.size()) continue;
        char state = st[rp + 2];
        long ppid = std::strtol(st.c_str() + rp + 4, nullptr, 10);
        if (state == 'Z' && ppid == parent) n++;
    }
    closedir(d);
    return n;
}

} // namespace h
