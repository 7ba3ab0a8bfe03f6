// The processes of /init (the real side of the seam's process calls, and signals_init): one
// signalfd-driven wait loop that reaps every child (we are PID 1 or a subreaper), spawning,
// and the kill-everything broadcast.  What a signal or a death means, and when the kept
// child (the catch-all logger) is started again, is decided in events.cc.
#include "runtime.hh"
#include "sys.hh"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/fd.hh>
#include <supervise/spawn.hh>
#include <supervise/status.hh>
#include <supervise/fifodir.hh>
#include <supervise/fork_self.hh>
#include <supervise/sigtrap.hh>
#include <supervise/tai64n.hh>

namespace init {
namespace {

// Every signal we read through the signalfd; children get them back at their defaults.
constexpr int handled[] = {SIGCHLD, SIGTERM, SIGINT,  SIGHUP,   SIGQUIT, SIGUSR1,
                           SIGUSR2, SIGPWR,  SIGWINCH, SIGTTIN, SIGTTOU};

void reap(context &c) noexcept
{
    for (;;) {
        int ws;
        pid_t p = waitpid(-1, &ws, WNOHANG);
        if (p <= 0) return;
        on_reaped(c, p, ws);
    }
}

void drain_signals(context &c) noexcept
{
    int sig;
    while ((sig = sv::signal_next(c.ev.signals.get())) > 0) {
        if (sig == SIGCHLD) reap(c);
        else on_signal(c, sig);
    }
    reap(c); // SIGCHLD coalesces; reaping every round costs one syscall
}

// An fd that reads as EOF: /dev/null, or, in a root file system without /dev/null (a bare
// chroot), the read end of a pipe whose write end is closed.  Opened once and kept.
int null_input(context &c) noexcept
{
    if (c.ev.null_in) return c.ev.null_in.get();
    c.ev.null_in.reset(open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!c.ev.null_in) {
        int p[2];
        if (pipe2(p, O_CLOEXEC) == 0) {
            close(p[1]);
            c.ev.null_in.reset(p[0]);
        }
    }
    return c.ev.null_in.get();
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

// Polls the signalfd, c.ev.wake_fd, and the kept child's input while that child is down,
// until timeout (-1: none); copies what that input holds meanwhile.  True if wake_fd is
// readable.
bool poll_and_drain(context &c, int timeout) noexcept
{
    keeper const &k = c.kept;
    bool const draining = k.argv && k.pid == 0 && k.drain_from >= 0;
    pollfd p[3] = {{c.ev.signals.get(), POLLIN, 0},
                   {c.ev.wake_fd, POLLIN, 0},
                   {draining ? k.drain_from : -1, POLLIN, 0}};
    if (poll(p, 3, timeout) <= 0) return false;
    bool const woken = p[1].revents & (POLLIN | POLLHUP);
    if (!(p[2].revents & POLLIN)) return woken;
    char buf[8192];
    ssize_t n = read(k.drain_from, buf, sizeof buf);
    if (n > 0) sv::write_full(k.drain_to, buf, static_cast<std::size_t>(n));
    return woken;
}

// The earlier of two poll timeouts (-1: none).
int earlier(int a, int b) noexcept
{
    if (a < 0) return b;
    if (b < 0) return a;
    return a < b ? a : b;
}

// Our descendants, found in /proc (parents listed after children are caught by the repeat).
std::vector<pid_t> descendants() noexcept
{
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
    ours.erase(ours.begin());
    return ours;
}

// spawn_how::entry: a child forked from us that runs the entry as if it had exec'd argv[0]
// (its fds, session, mask and command line as exec would leave them).  The pid, 0 if that
// cannot be done here (exec instead), -1 with errno set if fork failed.
pid_t fork_entry(context &c, char const *const *argv, char const *const *envp,
                 spawn_how const &how) noexcept
{
    if (!c.ev.self_tried) {
        c.ev.self_tried = true;
        sv::self_image_init(c.ev.self);
    }
    sv::self_image img = c.ev.self;
    if (!img.ok || how.search_path || !sv::self_image_is(img, argv[0])) return 0;
    if (how.keep >= 3) { // kept across the "exec": one more fd in the ascending list
        if (img.n_kept == std::size(img.kept)) return 0;
        unsigned i = img.n_kept++;
        for (; i > 0 && img.kept[i - 1] > how.keep; i--) img.kept[i] = img.kept[i - 1];
        img.kept[i] = how.keep;
    }
    int const in = how.in >= 0 ? how.in : how.devnull_stdin ? null_input(c) : -1;
    pid_t const pid = fork();
    if (pid != 0) return pid;
    // The child: never returns.
    if (envp) environ = const_cast<char **>(envp); // the parent's copy, ours to keep
    sv::signal_restore();
    if (how.new_session) setsid();
    else if (how.new_pgrp) setpgid(0, 0);
    if ((in >= 0 && dup2(in, 0) < 0) || (how.out >= 0 && dup2(how.out, 1) < 0) ||
        (how.err >= 0 && dup2(how.err, 2) < 0))
        _exit(sv::exitcode::system);
    int argc = 0;
    while (argv[argc]) argc++;
    char *args[16];
    if (argc >= static_cast<int>(std::size(args))) _exit(sv::exitcode::system);
    for (int i = 0; i <= argc; i++) args[i] = const_cast<char *>(argv[i]);
    if (how.keep >= 0) {
        int const fl = fcntl(how.keep, F_GETFD);
        if (fl >= 0) fcntl(how.keep, F_SETFD, fl & ~FD_CLOEXEC);
    }
    sv::self_image_run(img, argv[0], {args, static_cast<std::size_t>(argc)}, how.entry);
    execv(argv[0], args);
    _exit(errno == ENOENT ? 127 : 126);
}

} // namespace

void signals_init(context &c) noexcept
{
    sigset_t set;
    sigemptyset(&set);
    for (int s : handled) sigaddset(&set, s);
    for (int i = 0; i < 3; i++) sigaddset(&set, halt_signal(i));
    c.ev.signals.reset(sv::signal_trap_or_die(set));
    c.ev.started.reserve(64);
}

namespace sys {

pid_t spawn(context &c, char const *const *argv, char const *const *envp, spawn_how how) noexcept
{
    // sv::spawn (vfork + exec), not posix_spawn: glibc's posix_spawn would leave the CMD and
    // every service with signals 32 and 33 ignored.  The child gets an empty mask, which is
    // all it takes to undo our blocking: we catch nothing, we only block and read a signalfd.
    sv::spawn_opts o;
    o.envp = envp;
    o.new_session = how.new_session;
    o.new_pgroup = how.new_pgrp;
    o.search_path = how.search_path;
    if (how.in >= 0) {
        o.from[0] = how.in;
        o.to[0] = 0;
    } else if (how.devnull_stdin && null_input(c) >= 0) {
        o.from[0] = null_input(c);
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
    if (how.keep >= 0) { // a slot left free: stdout or stderr is not moved when one is kept
        int const slot = how.err < 0 ? 2 : 1;
        o.from[slot] = how.keep;
        o.to[slot] = how.keep;
    }
    if (how.entry) {
        pid_t const pid = fork_entry(c, argv, envp, how);
        if (pid < 0) return -1;
        if (pid > 0) {
            c.ev.started.push_back({pid, -1});
            return pid;
        }
    }
    pid_t pid = sv::spawn(argv[0], argv, o);
    std::vector<std::string> alt;
    if (pid <= 0 && errno == ENOENT && overlay_argv(argv, how.search_path, alt)) {
        // A v3 script whose #!/command/NAME is missing here: run through NAME found elsewhere.
        std::vector<char const *> v;
        for (auto const &a : alt) v.push_back(a.c_str());
        v.push_back(nullptr);
        o.search_path = false;
        pid = sv::spawn(v[0], v.data(), o);
    }
    if (pid <= 0) return -1;
    c.ev.started.push_back({pid, -1});
    return pid;
}

wake wait_for(context &c, pid_t pid, int &wstatus, std::int64_t deadline_ms,
              bool stoppable) noexcept
{
    for (;;) {
        drain_signals(c);
        if (pid > 0 && take_reaped(c, pid, wstatus)) return wake::child;
        if (stoppable && c.ev.stop_signal) return wake::stop;
        std::int64_t now = sv::mono_ms();
        if (deadline_ms >= 0 && now >= deadline_ms) return wake::timeout;
        if (poll_and_drain(c, earlier(tend_kept(c, now), sv::poll_timeout(deadline_ms, now))))
            return wake::fd;
    }
}

wake wait_children(context &c, std::vector<pid_t> const &pids, std::int64_t deadline_ms,
                   bool stoppable) noexcept
{
    for (;;) {
        drain_signals(c);
        for (auto const &s : c.ev.started)
            if (s.wstatus >= 0 && std::find(pids.begin(), pids.end(), s.pid) != pids.end())
                return wake::child;
        if (stoppable && c.ev.stop_signal) return wake::stop;
        std::int64_t now = sv::mono_ms();
        if (deadline_ms >= 0 && now >= deadline_ms) return wake::timeout;
        poll_and_drain(c, earlier(tend_kept(c, now), sv::poll_timeout(deadline_ms, now)));
    }
}

service_wait wait_service(context &c, std::string const &dir, bool need_ready,
                          std::int64_t deadline) noexcept
{
    // Each service's event/ fifodir wakes us when its state changes (subscribed to before
    // the status is read, so no change can slip in between), as s6-svwait does.  Without a
    // subscription (s6-supervise has not made event/ yet and we could not either), a 20 ms
    // poll of the status file does the job.
    sv::listener events;
    bool const subscribed = events.subscribe(dir + "/event");
    struct watching { // wait_for watches the subscription while we are here
        context &c;
        watching(context &cc, int fd) noexcept : c(cc) { c.ev.wake_fd = fd; }
        ~watching() { c.ev.wake_fd = -1; }
    } const guard(c, subscribed ? events.fd() : -1);
    for (;;) {
        sv::status st;
        if (sv::status_read(dir, st) && st.is_up() && (!need_ready || st.ready))
            return service_wait::up;
        int ws;
        std::int64_t next = subscribed ? deadline : sv::mono_ms() + 20;
        if (deadline >= 0 && (next < 0 || next > deadline)) next = deadline;
        wake const w = wait_for(c, 0, ws, next, true);
        if (w == wake::fd) {
            char buf[64];
            events.wait(buf, sizeof buf, 0);
        }
        if (w == wake::stop) return service_wait::stop;
        if (deadline >= 0 && sv::mono_ms() >= deadline) return service_wait::timeout;
    }
}

bool reap_until_empty(context &c, std::int64_t deadline_ms) noexcept
{
    for (;;) {
        drain_signals(c);
        // ECHILD: no child left, so no descendant either (orphans are re-parented to us).
        // As PID 1 we also wait for the namespace's other processes, which are not our
        // children (docker exec / runc exec, a halt that has not exited yet): they got the
        // broadcast too, and our exit would SIGKILL them.
        if (waitpid(-1, nullptr, WNOHANG) < 0 && errno == ECHILD && !others_in_namespace())
            return true;
        std::int64_t now = sv::mono_ms();
        if (deadline_ms >= 0 && now >= deadline_ms) return false;
        // SIGCHLD wakes us; the short cap covers a child that died between the two checks.
        int t = earlier(tend_kept(c, now), sv::poll_timeout(deadline_ms, now));
        poll_and_drain(c, t < 0 || t > 50 ? 50 : t);
    }
}

void broadcast(int sig) noexcept
{
    if (getpid() == 1) {
        kill(-1, sig); // spares PID 1 itself
        return;
    }
    // A subreaper must not kill(-1): that would hit the whole host.
    for (pid_t p : descendants()) kill(p, sig);
}

void signal(pid_t pid, int sig) noexcept
{
    kill(pid, sig);
}

void signal_group(pid_t pgrp, int sig) noexcept
{
    if (kill(-pgrp, sig) < 0) kill(pgrp, sig);
}

} // namespace sys
} // namespace init
