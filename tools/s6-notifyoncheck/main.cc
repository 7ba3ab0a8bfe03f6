// s6-notifyoncheck: readiness notification by polling, as s6 2.11.3.2's s6-notifyoncheck does.
// Run from a service's ./run (the cwd is the service directory), it checks that s6-supervise
// is running, finds the notification fd (-3, or ./notification-fd), then forks: the parent
// closes the notification fd and execs prog..., so the daemon keeps the pid s6-supervise knows
// and never holds the fd; the child (a grandchild with -d) subscribes to ./event, then loops:
// sleep (-s initialsleep ms the first time, default 10; -w waitingtime ms after, default 1000,
// 0 = forever), run ./data/check (or `execlineb -Pc CHECKPROG` with -c), wait up to -t ms
// (0 = forever) for it; exit 0 from the check writes "\n" to the fd (readiness).  At most -n
// tries (default 7, 0 = unlimited); -T bounds the whole thing.  A 'd' event (the service died)
// ends the child.  The child's exit codes (0 ready, 1 tries exhausted, 2 service died, 3 global
// timeout) are informational; like stock, a check that outlives -t is left running.
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <string_view>
#include <sys/wait.h>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/exec.hh>
#include <supervise/fd.hh>
#include <supervise/fifodir.hh>
#include <supervise/lock.hh>
#include <supervise/notify.hh>
#include <supervise/opts.hh>
#include <supervise/sigtrap.hh>
#include <supervise/spawn.hh>
#include <supervise/svdir.hh>
#include <supervise/tai64n.hh>


namespace {

// The checker's exit codes, as stock's: nobody waits for them, but they tell why it ended.
namespace checker_exit {
constexpr int ready = 0;
constexpr int tries_exhausted = 1;
constexpr int service_died = 2;
constexpr int no_parent = 2; // the parent could not be told we listen (stock's code too)
constexpr int timed_out = 3; // -T
} // namespace checker_exit

constexpr std::string_view usage =
    "s6-notifyoncheck [ -d ] [ -3 fd ] [ -s initialsleep ] [ -T globaltimeout ] "
    "[ -t localtimeout ] [ -w waitingtime ] [ -n tries ] [ -c \"checkprog...\" ] prog...";

struct config
{
    int fd = -1;
    unsigned initialsleep = 10, globaltimeout = 0, localtimeout = 0, waitingtime = 1000;
    unsigned tries = 7;
    char const *check[4] = {"./data/check", nullptr, nullptr, nullptr};
};

std::int64_t min_deadline(std::int64_t a, std::int64_t b) noexcept
{
    if (a < 0) return b;
    if (b < 0) return a;
    return a < b ? a : b;
}

// True if the service's event stream contains a death ('d').
bool died(sv::listener &l) noexcept
{
    char buf[64];
    ssize_t r;
    bool d = false;
    while ((r = ::read(l.fd(), buf, sizeof buf)) > 0)
        if (std::string_view(buf, static_cast<std::size_t>(r)).find('d') != std::string_view::npos)
            d = true;
    return d;
}

// The checker: runs in the (grand)child after the daemon has been exec'd.
[[noreturn]] void checker(config const &cf, int sync_fd, std::int64_t global) noexcept
{
    sv::prog = "s6-notifyoncheck (child)";
    sv::listener ev;
    if (!ev.subscribe("event"))
        sv::die_sys(sv::exitcode::system, "unable to ftrigr_subscribe to event fifodir");
    sv::unique_fd sfd(sv::signal_trap_or_die({SIGCHLD}));
    if (::write(sync_fd, "", 1) < 1)
        sv::die_sys(checker_exit::no_parent, "unable to synchronize with parent");
    ::close(sync_fd);

    sv::spawn_opts spawn_how;
    spawn_how.search_path = true;

    unsigned sleep_ms = cf.initialsleep;
    bool sleep_forever = false;
    for (unsigned tries = cf.tries; !cf.tries || tries; tries--) {
        // Sleep, listening for the service's death.
        std::int64_t deadline = min_deadline(global, sleep_forever ? -1 : sv::mono_ms() + sleep_ms);
        sleep_ms = cf.waitingtime;
        sleep_forever = !cf.waitingtime;
        for (;;) {
            pollfd p{ev.fd(), POLLIN, 0};
            int r = ::poll(&p, 1, sv::poll_timeout(deadline, sv::mono_ms()));
            if (r < 0 && errno != EINTR) sv::die_sys(sv::exitcode::system, "unable to iopause");
            if (r == 0) {
                if (global >= 0 && sv::mono_ms() >= global) _exit(checker_exit::timed_out);
                if (sv::mono_ms() >= deadline) break;
            }
            if (r > 0 && died(ev)) _exit(checker_exit::service_died);
        }

        pid_t pid = sv::spawn(cf.check[0], cf.check, spawn_how);
        if (!pid) {
            sv::warn_sys("unable to spawn ", cf.check[0]);
            continue;
        }
        deadline = min_deadline(global, cf.localtimeout ? sv::mono_ms() + cf.localtimeout : -1);
        for (;;) {
            pollfd p[2] = {{sfd.get(), POLLIN, 0}, {ev.fd(), POLLIN, 0}};
            int r = ::poll(p, 2, sv::poll_timeout(deadline, sv::mono_ms()));
            if (r < 0 && errno != EINTR) sv::die_sys(sv::exitcode::system, "unable to iopause");
            if (r == 0 && deadline >= 0 && sv::mono_ms() >= deadline) {
                if (global >= 0 && sv::mono_ms() >= global) {
                    kill(pid, SIGTERM);
                    _exit(checker_exit::timed_out);
                }
                break; // local timeout: the check is left running, as in s6
            }
            if (r > 0 && (p[0].revents & POLLIN)) {
                while (sv::signal_next(sfd.get()) > 0) {
                }
                int wstat;
                if (waitpid(pid, &wstat, WNOHANG) == pid) {
                    if (WIFEXITED(wstat) && !WEXITSTATUS(wstat)) {
                        sv::notify_ready(cf.fd);
                        _exit(checker_exit::ready);
                    }
                    break;
                }
            }
            if (r > 0 && (p[1].revents & POLLIN) && died(ev)) {
                kill(pid, SIGTERM);
                _exit(checker_exit::service_died);
            }
        }
    }
    _exit(checker_exit::tries_exhausted);
}

// Where -c finds execlineb: Debian's private directory first, then /usr/bin, then $PATH.
char const *execlineb() noexcept
{
    for (char const *p : {"/usr/lib/execline/bin/execlineb", "/usr/bin/execlineb"})
        if (access(p, X_OK) == 0) return p;
    return "execlineb";
}

// What the command line asks for, besides the checker's settings.
struct invocation
{
    config cf;
    bool dfork = false;
    bool autodetect = true;
    char const *checkprog = nullptr;
    char const *const *prog = nullptr;
};

invocation parse_options(int argc, char **argv) noexcept
{
    invocation in;
    sv::opt_parser opts{argc, argv, "d3:s:T:t:w:n:c:"};
    while (int c = opts.next()) {
        unsigned *target = nullptr;
        unsigned fdnum;
        switch (c) {
        case 'd':
            in.dfork = true;
            break;
        case '3':
            target = &fdnum;
            in.autodetect = false;
            break;
        case 's':
            target = &in.cf.initialsleep;
            break;
        case 'T':
            target = &in.cf.globaltimeout;
            break;
        case 't':
            target = &in.cf.localtimeout;
            break;
        case 'w':
            target = &in.cf.waitingtime;
            break;
        case 'n':
            target = &in.cf.tries;
            break;
        case 'c':
            in.checkprog = opts.arg();
            break;
        default:
            sv::die_usage(usage);
        }
        if (target && !sv::scan_uint(opts.arg(), *target)) sv::die_usage(usage);
        if (c == '3') in.cf.fd = static_cast<int>(fdnum);
    }
    auto prog = opts.operands();
    if (prog.empty()) sv::die_usage(usage);
    in.prog = prog.data();
    return in;
}

// The checks stock makes before forking: s6-supervise holds the service's lock, and the
// notification fd (from -3 or ./notification-fd) is open.
void sanity_check(invocation &in) noexcept
{
    switch (sv::lock_probe("supervise/lock")) {
    case sv::lock_state::held:
        break;
    case sv::lock_state::error:
        sv::die_sys(sv::exitcode::system, "unable to sanity-check current service directory");
    default:
        sv::die(sv::exitcode::usage, "s6-supervise not running.");
    }
    if (in.checkprog) {
        in.cf.check[0] = execlineb();
        in.cf.check[1] = "-Pc";
        in.cf.check[2] = in.checkprog;
    }
    if (in.autodetect) {
        std::uint32_t v;
        switch (sv::read_uint_file("notification-fd", v)) {
        case sv::file_read::ok:
            in.cf.fd = static_cast<int>(v);
            break;
        case sv::file_read::invalid:
            sv::die(sv::exitcode::usage, "invalid ./notification-fd");
        default:
            sv::die_sys(sv::exitcode::system, "unable to read ./notification-fd");
        }
    }
    if (in.cf.fd < 0 || fcntl(in.cf.fd, F_GETFD) < 0) {
        if (in.cf.fd < 0) errno = EBADF;
        sv::die_sys(sv::exitcode::system, "notification-fd sanity check failed");
    }
}

} // namespace

int notifyoncheck_main(int argc, char **argv)
{
    sv::prog = "s6-notifyoncheck";
    invocation in = parse_options(argc, argv);
    sanity_check(in);
    std::int64_t const global = in.cf.globaltimeout ? sv::mono_ms() + in.cf.globaltimeout : -1;

    // The child tells the parent when it has subscribed, so no death can go unnoticed.
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) sv::die_sys(sv::exitcode::system, "unable to pipe");
    pid_t pid = fork();
    if (pid < 0)
        sv::die_sys(sv::exitcode::system, in.dfork ? "unable to doublefork" : "unable to fork");
    if (pid == 0) {
        ::close(p[0]);
        if (in.dfork) {
            // -d: the checker becomes a grandchild, so a daemon that never reaps its
            // children is not left with a zombie.
            pid_t g = fork();
            if (g < 0) _exit(sv::exitcode::system);
            if (g > 0) _exit(sv::exitcode::ok);
        }
        checker(in.cf, p[1], global);
    }
    if (in.dfork) waitpid(pid, nullptr, 0);
    ::close(in.cf.fd);
    ::close(p[1]);
    char c;
    if (sv::read_full(p[0], &c, 1) < 1)
        sv::die(sv::exitcode::system, "unable to synchronize with child");
    ::close(p[0]);
    sv::exec_or_die(in.prog);
}
