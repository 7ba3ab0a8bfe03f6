// Process and file-system plumbing for /init (see sys.hh).
#include "sys.hh"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>
#include <charconv>
#include <string>

#include <supervise/diag.hh>
#include <supervise/fd.hh>
#include <supervise/spawn.hh>
#include <supervise/tai64n.hh>

extern char **environ;

namespace init {

int stop_signal = 0;
bool halt_requested = false;
pid_t svscan_pid = 0;
int svscan_lost = -1;
pid_t cmd_pid = 0;
int wake_fd = -1;

namespace {

// Every signal we read through the signalfd; children get them back at their defaults.
constexpr int handled[] = {SIGCHLD, SIGTERM, SIGINT,  SIGHUP,   SIGQUIT, SIGUSR1,
                           SIGUSR2, SIGPWR,  SIGWINCH, SIGTTIN, SIGTTOU};
sigset_t handled_set;
int sfd = -1;

// The children we started ourselves (s6-svscan, scripts, the CMD) until someone has taken
// their status; wstatus is -1 while they run.  Orphans we reap are not recorded at all, so
// however many of them die at once, the status of the CMD cannot be lost.
struct started_rec {
    pid_t pid;
    int wstatus;
};
std::vector<started_rec> started;

// A stop that does not come from the signals we forward: halt and friends, or the end of
// s6-svscan.  The CMD, if one runs, gets SIGTERM, and its status will not be the container's.
void request_stop() noexcept
{
    halt_requested = true;
    if (!stop_signal) stop_signal = SIGTERM;
    if (cmd_pid > 0 && kill(-cmd_pid, SIGTERM) < 0) kill(cmd_pid, SIGTERM);
}

void reap() noexcept
{
    for (;;) {
        int ws;
        pid_t p = waitpid(-1, &ws, WNOHANG);
        if (p <= 0) return;
        if (p == cmd_pid) cmd_pid = -p; // gone: stop forwarding signals to it
        if (p == svscan_pid) {
            svscan_pid = 0;
            svscan_lost = ws;
            request_stop();
        }
        for (auto &r : started)
            if (r.pid == p) r.wstatus = ws;
    }
}

void on_signal(int sig) noexcept
{
    switch (sig) {
    case SIGCHLD: reap(); return;
    case SIGTTIN: case SIGTTOU: return;
    default: break;
    }
    if (sig >= halt_signal(0) && sig <= halt_signal(2)) {
        request_stop();
        return;
    }
    // While the CMD runs it gets every forwardable signal, as tini does: it decides when
    // the container ends, and its real status becomes the container's.
    if (cmd_pid > 0) {
        if (kill(-cmd_pid, sig) < 0) kill(cmd_pid, sig);
        return;
    }
    switch (sig) {
    case SIGTERM: case SIGINT: case SIGUSR1: case SIGUSR2: case SIGPWR:
        if (!stop_signal) stop_signal = sig;
        return;
    default: return; // HUP, QUIT, WINCH: nothing to do without a CMD
    }
}

// An fd that reads as EOF: /dev/null, or, in a root file system without /dev/null (a bare
// chroot), the read end of a pipe whose write end is closed.  Opened once and kept.
int null_input() noexcept
{
    static int fd = -1;
    if (fd >= 0) return fd;
    fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int p[2];
        if (pipe2(p, O_CLOEXEC) == 0) {
            close(p[1]);
            fd = p[0];
        }
    }
    return fd;
}

// True if, as PID 1, /proc shows a process other than us (false when /proc is unreadable).
bool others_in_namespace() noexcept
{
    if (getpid() != 1) return false;
    DIR *d = opendir("/proc");
    if (!d) return false;
    bool found = false;
    while (dirent *e = readdir(d))
        if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && strcmp(e->d_name, "1") != 0) {
            found = true;
            break;
        }
    closedir(d);
    return found;
}

bool take_reaped(pid_t pid, int &ws) noexcept
{
    for (auto it = started.begin(); it != started.end(); ++it)
        if (it->pid == pid && it->wstatus != -1) {
            ws = it->wstatus;
            started.erase(it);
            return true;
        }
    return false;
}

// The catch-all logger (keep_running): its argv, its pid (0 while it is not running), and
// when it may be started again.
char const *const *kept_argv = nullptr;
spawn_how kept_how;
pid_t kept_pid = 0;
std::int64_t kept_next = 0;
int drain_from = -1, drain_to = -1;

void start_kept() noexcept
{
    kept_next = sv::mono_ms() + 1000;
    kept_pid = spawn(kept_argv, nullptr, kept_how);
    if (kept_pid < 0) {
        sv::warn_sys("unable to spawn ", kept_argv[0]);
        kept_pid = 0;
    }
}

// Restarts the kept child if it is gone and may be restarted now; returns the poll timeout
// that wakes us when it may (or -1 if nothing is pending).
int tend_kept(std::int64_t now) noexcept
{
    if (!kept_argv) return -1;
    if (kept_pid > 0) {
        int ws;
        if (!take_reaped(kept_pid, ws)) return -1;
        kept_pid = 0;
    }
    if (now < kept_next) return static_cast<int>(kept_next - now);
    start_kept();
    return -1;
}

// Polls the signalfd, and the kept child's input while that child is down, until timeout
// (-1: none); copies what that input holds meanwhile.
// Returns true if wake_fd is readable.
bool poll_and_drain(int timeout) noexcept
{
    bool const draining = kept_argv && kept_pid == 0 && drain_from >= 0;
    pollfd p[3] = {{sfd, POLLIN, 0}, {wake_fd, POLLIN, 0}, {drain_from, POLLIN, 0}};
    if (!draining) p[2].fd = -1;
    if (poll(p, 3, timeout) <= 0) return false;
    bool const woken = p[1].revents & (POLLIN | POLLHUP);
    if (!(p[2].revents & POLLIN)) return woken;
    char buf[8192];
    ssize_t n = read(drain_from, buf, sizeof buf);
    if (n > 0) sv::write_full(drain_to, buf, static_cast<std::size_t>(n));
    return woken;
}

// The earlier of two poll timeouts (-1: none).
int earlier(int a, int b) noexcept
{
    if (a < 0) return b;
    if (b < 0) return a;
    return a < b ? a : b;
}

void drain_signals() noexcept
{
    signalfd_siginfo si;
    while (read(sfd, &si, sizeof si) == static_cast<ssize_t>(sizeof si))
        on_signal(static_cast<int>(si.ssi_signo));
    reap(); // SIGCHLD coalesces; reaping every round costs one syscall
}

} // namespace

void signals_init() noexcept
{
    sigemptyset(&handled_set);
    for (int s : handled) sigaddset(&handled_set, s);
    for (int i = 0; i < 3; i++) sigaddset(&handled_set, halt_signal(i));
    if (sigprocmask(SIG_BLOCK, &handled_set, nullptr) < 0)
        sv::die_sys(sv::exitcode::system, "unable to block signals");
    sfd = signalfd(-1, &handled_set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sfd < 0) sv::die_sys(sv::exitcode::system, "unable to create signalfd");
    started.reserve(64);
}

pid_t spawn(char const *const *argv, char const *const *envp, spawn_how how) noexcept
{
    // sv::spawn (vfork + exec), not posix_spawn: glibc's posix_spawn would leave the CMD and
    // every service with signals 32 and 33 ignored.  The child gets an empty mask, which is
    // all it takes to undo our blocking: we catch nothing, we only block and read a signalfd.
    sv::spawn_opts o;
    o.envp = envp;
    o.new_session = how.new_session;
    o.new_pgroup = how.new_pgrp;
    o.search_path = how.search_path;
    if (how.devnull_stdin && null_input() >= 0) {
        o.from[0] = null_input();
        o.to[0] = 0;
    }
    if (how.out >= 0) {
        o.from[1] = how.out;
        o.to[1] = 1;
    }
    if (how.err >= 0) {
        o.from[2] = how.err;
        o.to[2] = 2;
    }
    pid_t pid = sv::spawn(argv[0], argv, o);
    if (pid <= 0) return -1;
    started.push_back({pid, -1});
    return pid;
}

void keep_running(char const *const *argv, spawn_how how, int from, int to) noexcept
{
    kept_argv = argv;
    kept_how = how;
    drain_from = from;
    drain_to = to;
    start_kept();
}

void stop_keeping() noexcept
{
    kept_argv = nullptr;
}

wake wait_for(pid_t pid, int &wstatus, std::int64_t deadline_ms, bool stoppable) noexcept
{
    for (;;) {
        drain_signals();
        if (pid > 0 && take_reaped(pid, wstatus)) return wake::child;
        if (stoppable && stop_signal) return wake::stop;
        std::int64_t now = sv::mono_ms();
        if (deadline_ms >= 0 && now >= deadline_ms) return wake::timeout;
        if (poll_and_drain(earlier(tend_kept(now), sv::poll_timeout(deadline_ms, now))))
            return wake::fd;
    }
}

bool reap_until_empty(std::int64_t deadline_ms) noexcept
{
    for (;;) {
        drain_signals();
        // ECHILD: no child left, so no descendant either (orphans are re-parented to us).
        // As PID 1 we also wait for the namespace's other processes, which are not our
        // children (docker exec / runc exec, a halt that has not exited yet): they got the
        // broadcast too, and our exit would SIGKILL them.
        if (waitpid(-1, nullptr, WNOHANG) < 0 && errno == ECHILD && !others_in_namespace())
            return true;
        std::int64_t now = sv::mono_ms();
        if (deadline_ms >= 0 && now >= deadline_ms) return false;
        // SIGCHLD wakes us; the short cap covers a child that died between the two checks.
        int t = earlier(tend_kept(now), sv::poll_timeout(deadline_ms, now));
        poll_and_drain(t < 0 || t > 50 ? 50 : t);
    }
}

void broadcast(int sig) noexcept
{
    if (getpid() == 1) {
        kill(-1, sig); // spares PID 1 itself
        return;
    }
    // A subreaper must not kill(-1): that would hit the whole host.  Walk /proc for our
    // descendants instead (parents listed after children are caught by the repeat).
    std::vector<std::pair<pid_t, pid_t>> procs; // pid, ppid
    if (DIR *d = opendir("/proc")) {
        while (dirent *e = readdir(d)) {
            if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
            std::string path = std::string("/proc/") + e->d_name + "/stat";
            char buf[512];
            sv::unique_fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
            if (!fd) continue;
            ssize_t n = read(fd.get(), buf, sizeof buf);
            if (n <= 0) continue;
            // "pid (comm) S ppid ...": comm may hold anything, so parse from the last ')'.
            std::string_view st(buf, static_cast<std::size_t>(n));
            auto rp = st.rfind(')');
            if (rp == st.npos || st.size() < rp + 5) continue;
            st.remove_prefix(rp + 4); // ") S "
            int ppid = 0, pid = 0;
            std::from_chars(st.data(), st.data() + st.size(), ppid);
            std::string_view name = e->d_name;
            std::from_chars(name.data(), name.data() + name.size(), pid);
            procs.push_back({pid, ppid});
        }
        closedir(d);
    }
    std::vector<pid_t> ours{getpid()};
    for (bool grew = true; grew;) {
        grew = false;
        for (auto [p, pp] : procs)
            if (std::find(ours.begin(), ours.end(), pp) != ours.end() &&
                std::find(ours.begin(), ours.end(), p) == ours.end()) {
                ours.push_back(p);
                grew = true;
            }
    }
    for (std::size_t i = 1; i < ours.size(); i++) kill(ours[i], sig);
}

int status_code(int ws) noexcept
{
    if (WIFEXITED(ws)) return WEXITSTATUS(ws);
    if (WIFSIGNALED(ws)) return 128 + WTERMSIG(ws);
    return 255;
}

bool rm_rf(char const *path) noexcept
{
    struct stat st;
    if (lstat(path, &st) < 0) return errno == ENOENT;
    if (!S_ISDIR(st.st_mode)) return unlink(path) == 0 || errno == ENOENT;
    DIR *d = opendir(path);
    if (!d) return false;
    bool ok = true;
    while (dirent *e = readdir(d)) {
        std::string_view n = e->d_name;
        if (n == "." || n == "..") continue;
        std::string sub = std::string(path) + "/" + e->d_name;
        ok = rm_rf(sub.c_str()) && ok;
    }
    closedir(d);
    return rmdir(path) == 0 && ok;
}

bool copy_tree(std::string const &src, std::string const &dst, bool link_executables) noexcept
{
    struct stat st;
    if (lstat(src.c_str(), &st) < 0) return false;
    if (link_executables && S_ISREG(st.st_mode) && (st.st_mode & 0111))
        return symlink(src.c_str(), dst.c_str()) == 0;
    if (S_ISLNK(st.st_mode)) {
        char buf[PATH_MAX];
        ssize_t n = readlink(src.c_str(), buf, sizeof buf - 1);
        if (n < 0) return false;
        buf[n] = 0;
        return symlink(buf, dst.c_str()) == 0;
    }
    if (S_ISDIR(st.st_mode)) {
        if (mkdir(dst.c_str(), 0700) < 0 && errno != EEXIST) return false;
        DIR *d = opendir(src.c_str());
        if (!d) return false;
        bool ok = true;
        while (dirent *e = readdir(d)) {
            std::string_view n = e->d_name;
            if (n == "." || n == "..") continue;
            ok = copy_tree(src + "/" + e->d_name, dst + "/" + e->d_name, link_executables) && ok;
        }
        closedir(d);
        return chmod(dst.c_str(), st.st_mode & 07777) == 0 && ok;
    }
    if (S_ISFIFO(st.st_mode)) return mkfifo(dst.c_str(), st.st_mode & 07777) == 0;
    if (!S_ISREG(st.st_mode)) return true; // sockets, devices: not part of a service dir
    sv::unique_fd in(open(src.c_str(), O_RDONLY | O_CLOEXEC));
    if (!in) return false;
    sv::unique_fd out(open(dst.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!out) return false;
    char buf[8192];
    for (;;) {
        ssize_t n = read(in.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return false;
        if (n == 0) break;
        if (!sv::write_full(out.get(), buf, static_cast<std::size_t>(n))) return false;
    }
    return fchmod(out.get(), st.st_mode & 07777) == 0;
}

std::vector<std::string> sorted_entries(char const *dir) noexcept
{
    std::vector<std::string> v;
    if (DIR *d = opendir(dir)) {
        while (dirent *e = readdir(d))
            if (e->d_name[0] != '.') v.emplace_back(e->d_name);
        closedir(d);
    }
    std::sort(v.begin(), v.end()); // std::string compares bytes: the C-locale order of s6-ls
    return v;
}

bool write_file(char const *path, std::string_view content) noexcept
{
    sv::unique_fd fd(open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    return fd && sv::write_full(fd.get(), content);
}

bool read_file(char const *path, std::string &out) noexcept
{
    sv::unique_fd fd(open(path, O_RDONLY | O_CLOEXEC));
    if (!fd) return false;
    char buf[4096];
    for (;;) {
        ssize_t n = read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return false;
        if (n == 0) return true;
        out.append(buf, static_cast<std::size_t>(n));
    }
}

std::string exec_problem(char const *path) noexcept
{
    struct stat st;
    if (stat(path, &st) < 0) return std::string("does not exist: ") + strerror(errno);
    if (!S_ISREG(st.st_mode)) return "is not a regular file";
    if (!(st.st_mode & 0111)) return "is not executable (it needs chmod +x)";
    char head[256];
    ssize_t n = 0;
    if (sv::unique_fd fd{open(path, O_RDONLY | O_CLOEXEC)}) n = read(fd.get(), head, sizeof head);
    if (n >= 2 && head[0] == '#' && head[1] == '!') {
        std::string_view line(head + 2, static_cast<std::size_t>(n - 2));
        line = line.substr(0, line.find('\n'));
        if (line.find('\r') != std::string_view::npos)
            return "has a CRLF line ending in its #! line (convert it to Unix line endings)";
        while (!line.empty() && (line[0] == ' ' || line[0] == '\t')) line.remove_prefix(1);
        std::string interp(line.substr(0, line.find_first_of(" \t")));
        if (interp.empty()) return "has an empty #! line";
        if (access(interp.c_str(), F_OK) < 0)
            return "names an interpreter that does not exist: " + interp;
        if (access(interp.c_str(), X_OK) < 0)
            return "names an interpreter that is not executable: " + interp;
    } else if (n < 4 || memcmp(head, "\x7f" "ELF", 4) != 0) {
        return "is neither a binary nor a script with a #! line";
    }
    return {};
}

std::string explain_exec_failure(char const *path, int e) noexcept
{
    std::string why = exec_problem(path);
    if (!why.empty()) return why;
    if (e == ENOEXEC) return "is neither a binary nor a script with a #! line";
    return std::string("cannot be executed: ") + strerror(e);
}

} // namespace init
