// s6-svscan [ -c max ] [ -t rescan ] [ -d notif ] [ -X consoleholder ] [ scandir ]:
// the root of a supervision tree, as s6 2.11.3.2's s6-svscan.
//
// It chdirs to the scan directory, takes .s6-svscan/lock, listens on .s6-svscan/control, and
// runs one s6-supervise per subdirectory, plus one for DIR/log with a pipe between the two
// that it holds itself, so the pipe outlives restarts of either side.  It reaps every child
// (it is fit to be PID 1), reads the control letters z a b h i t q n N, runs
// .s6-svscan/SIG<NAME> for HUP INT TERM QUIT USR1 USR2 PWR WINCH (or does the default
// action), and when told to exit, signals the supervisors, waits for them and execs
// .s6-svscan/finish.  After start-up it never exits on a system error: it execs
// .s6-svscan/crash instead.  The table logic is in state.cc; this file has the set-up, the
// process plumbing and the loop (signalfd + poll, absolute monotonic deadlines).
//
// Unlike s6, which runs S6_BINPREFIX/s6-supervise, we run the s6-supervise installed next to
// this executable (sv::sibling_path), falling back to the compile-time bindir.  That file is
// normally the one we are running (s6-svscan is s6-supervise under another name): then a
// supervisor is a fork that calls s6-supervise's main, made to look exec'd (fork_self.hh),
// which spares it glibc's costly start-up; any other file is exec'd.
#include "state.hh"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <memory>
#include <poll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <supervise/control.hh>
#include <supervise/diag.hh>
#include <supervise/fd.hh>
#include <supervise/fork_self.hh>
#include <supervise/lock.hh>
#include <supervise/notify.hh>
#include <supervise/opts.hh>
#include <supervise/sibling.hh>
#include <supervise/sigtrap.hh>
#include <supervise/spawn.hh>
#include <supervise/signame.hh>
#include <supervise/tai64n.hh>

#include "entries.hh"

#ifndef S6PP_BINDIR
#define S6PP_BINDIR "/usr/local/bin"
#endif

namespace {

constexpr std::string_view usage =
    "s6-svscan [ -c maxservices ] [ -t timeout ] [ -d notif ] [ -X consoleholder ] [ dir ]";
constexpr unsigned max_lower = 2, max_upper = 90000;
constexpr char const *finish_prog = ".s6-svscan/finish";
constexpr char const *crash_prog = ".s6-svscan/crash";

// Everything lives here, reserved at start-up; the loop allocates nothing.
svs::scanner sc;
constinit sv::path_buf supervise_path;
sv::self_image self; // what a forked s6-supervise needs to pass for an exec'd one
int console = -1; // -X: the fd that holds the real console

[[noreturn]] void exec_crash(char const *what) noexcept
{
    sv::warn_sys("unable to ", what);
    sv::warn("executing into ", crash_prog);
    char *argv[] = {const_cast<char *>(crash_prog), nullptr};
    ::execv(crash_prog, argv);
    sv::die_sys(sv::exitcode::system, "unable to exec ", crash_prog);
}

// The child side of a supervisor started without exec: what the exec'd s6-supervise would
// have been given (fds, mask, default SIGPIPE, command line), then its main.  Failures are
// reported as s6's forked child reports them, and the reaper restarts it a second later.
[[noreturn]] void run_supervise(char **argv, int fd, int target, int fd2) noexcept
{
    sv::prog = "s6-svscan (child)";
    if ((fd >= 0 && ::dup2(fd, target) < 0) || (fd2 >= 0 && ::dup2(fd2, 2) < 0))
        sv::die_sys(sv::exitcode::system, "unable to set fds for ", argv[1]);
    sv::signal_restore();
    struct sigaction sa = {};
    sa.sa_handler = SIG_DFL;
    sigaction(SIGPIPE, &sa, nullptr);
    // The table and the scan buffer (which holds argv[1]) are ours: the supervisor lets them go.
    auto const names = svs::scan_buffer();
    sv::region const ours[] = {{sc.tab, sc.max * sizeof *sc.tab}, {names.data(), names.size()}};
    sv::self_image_run(self, supervise_path.c_str(), {argv, 2}, supervise_main, ours);
    ::execv(supervise_path.c_str(), argv);
    sv::die_sys(sv::exitcode::system, "unable to exec ", supervise_path.view());
}

void handle_signals(int sfd) noexcept
{
    int sig;
    while ((sig = sv::signal_next(sfd)) > 0)
        svs::on_signal(sc, sig);
    if (sig < 0) svs::sys::panic("selfpipe_read");
}

void handle_control(int fd) noexcept
{
    for (;;) {
        char buf[64];
        ssize_t r = ::read(fd, buf, sizeof buf);
        if (r < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) return;
            svs::sys::panic("read control pipe");
        }
        if (!r) return;
        for (ssize_t i = 0; i < r; i++)
            if (!svs::on_control(sc, buf[i]))
                sv::warn("received unknown control command: ", std::string_view(buf + i, 1));
    }
}

// Start-up, step 4: .s6-svscan/, its lock and its control FIFO, created with umask 0.  The
// lock fd and the FIFO's write end (kept so reads never see EOF) live as long as the
// process: they are close-on-exec and deliberately never closed.  Returns the read end.
int control_init() noexcept
{
    mode_t const m = umask(0);
    struct stat st;
    if (::mkdir(".s6-svscan", 0700) < 0) {
        if (errno != EEXIST) sv::die_sys(sv::exitcode::system, "unable to mkdir .s6-svscan");
        if (::stat(".s6-svscan", &st) < 0)
            sv::die_sys(sv::exitcode::system, "unable to stat .s6-svscan");
        if (!S_ISDIR(st.st_mode))
            sv::die(sv::exitcode::usage, ".s6-svscan exists and is not a directory");
    }
    int const lck = sv::lock_open(".s6-svscan/lock", 0600);
    if (lck < 0) sv::die_sys(sv::exitcode::system, "unable to open .s6-svscan/lock");
    if (sv::lock_fd(lck, true, false) < 0) {
        if (errno == EWOULDBLOCK)
            sv::die(sv::exitcode::usage,
                    "another instance of s6-svscan is already running on the same directory");
        sv::die_sys(sv::exitcode::system, "unable to lock .s6-svscan/lock");
    }
    sv::unique_fd rd, wr;
    sv::control_listen_or_die(".s6-svscan/control", rd, wr);
    wr.release();
    umask(m);
    return rd.release();
}

} // namespace

namespace svs::sys {

std::int64_t now_ms() noexcept
{
    return sv::mono_ms();
}

pid_t spawn_supervise(char const *name, int fd, int target, bool with_console) noexcept
{
    char arg0[] = "s6-supervise";
    char *argv[] = {arg0, const_cast<char *>(name), nullptr};
    bool const c = with_console && console >= 0;
    if (sv::self_image_is(self, supervise_path.c_str())) {
        // Like s6, we do not wait for the child: it reports its own failure and dies.
        pid_t pid = ::fork();
        if (pid == 0) run_supervise(argv, fd, target, c ? console : -1);
        return pid < 0 ? 0 : pid;
    }
    sv::spawn_opts const how{.mask = &sv::signal_child_mask(),
                             .from = {fd, c ? console : -1, -1},
                             .to = {target, 2, -1}};
    pid_t pid = sv::spawn(supervise_path.c_str(), argv, how);
    if (pid) return pid;
    if (errno == EAGAIN || errno == ENOMEM) return 0;
    // The exec failed (sv::spawn reports it and leaves no process).  Say it the way s6's
    // forked child would have before dying.
    sv::child_fatal_line_sys("unable to exec ", supervise_path.view());
    return -1;
}

pid_t wait_child(int *wstat, bool block) noexcept
{
    return ::waitpid(-1, wstat, block ? 0 : WNOHANG);
}

void send_signal(pid_t pid, int sig) noexcept
{
    if (pid > 0) ::kill(pid, sig);
}

bool spawn_signal_script(int sig) noexcept
{
    sv::path_buf script(".s6-svscan/SIG", sv::sig_name(sig));
    char *argv[] = {const_cast<char *>(script.c_str()), nullptr};
    if (sv::spawn(script.c_str(), argv)) return true; // an empty mask, like s6's scripts
    if (errno != ENOENT) sv::warn_sys("unable to spawn ", script.view());
    return false;
}

void release_stdout() noexcept
{
    ::close(1);
    if (!sv::reopen_devnull(1)) sv::warn_sys("unable to open /dev/null");
}

void restore_console() noexcept
{
    if (console < 0) return;
    ::dup2(console, 2);
    ::close(console);
    console = -1;
    if (::dup2(2, 1) < 0) sv::warn_sys("unable to restore stdout");
}

void panic(char const *what) noexcept
{
    int const e = errno;
    sv::signal_restore();
    svs::sys::restore_console();
    errno = e;
    exec_crash(what);
}

} // namespace svs::sys

namespace {

// The command line: sets the scanner's limits and the console holder, enters the scan
// directory, and returns the readiness fd (-1 without -d).
int parse_options(int argc, char **argv) noexcept
{
    int notif = -1;
    unsigned t = 0;
    sv::opt_parser opts{argc, argv, "c:t:d:X:"};
    while (int c = opts.next()) {
        switch (c) {
        case 'c':
            if (!sv::scan_uint(opts.arg(), sc.max)) sv::die_usage(usage);
            break;
        case 't':
            if (!sv::scan_uint(opts.arg(), t)) sv::die_usage(usage);
            break;
        case 'd':
        case 'X': {
            unsigned u;
            if (!sv::scan_uint(opts.arg(), u) || u > INT32_MAX) sv::die_usage(usage);
            (c == 'd' ? notif : console) = static_cast<int>(u);
            break;
        }
        default:
            sv::die_usage(usage);
        }
    }
    sc.rescan_ms = t;
    if (sc.max < max_lower) sc.max = max_lower;
    if (sc.max > max_upper) sc.max = max_upper;
    auto ops = opts.operands();
    if (notif >= 0) {
        if (notif < 3) sv::die(sv::exitcode::usage, "notification fd must be 3 or more");
        if (fcntl(notif, F_GETFD) < 0)
            sv::die_sys(sv::exitcode::usage, "invalid notification fd");
    }
    if (console >= 0) {
        if (console < 3) sv::die(sv::exitcode::usage, "console holder fd must be 3 or more");
        if (fcntl(console, F_GETFD) < 0)
            sv::die_sys(sv::exitcode::usage, "invalid console holder fd");
        if (!sv::set_cloexec(console, true))
            sv::die_sys(sv::exitcode::system, "unable to coe console holder");
    }
    sv::ensure_std_fds();
    if (!ops.empty() && ::chdir(ops[0]) < 0)
        sv::die_sys(sv::exitcode::system, "unable to chdir");
    return notif;
}

// The scanner's life: signals and control commands until it is told to stop.
void serve(int sfd, int ctl) noexcept
{
    while (sc.cont) {
        svs::run_pending(sc);
        pollfd p[2] = {{sfd, POLLIN, 0}, {ctl, POLLIN, 0}};
        int r = poll(p, 2, sv::poll_timeout(sc.deadline, sv::mono_ms()));
        if (r < 0) {
            if (errno == EINTR) continue;
            svs::sys::panic("iopause");
        }
        if ((p[0].revents | p[1].revents) & (POLLERR | POLLNVAL)) {
            errno = EIO;
            svs::sys::panic("check internal pipes");
        }
        if (p[0].revents & POLLIN) handle_signals(sfd);
        if (p[1].revents & POLLIN) handle_control(ctl);
        if (sc.deadline >= 0 && sv::mono_ms() >= sc.deadline) sc.want_scan = true;
    }
}

} // namespace

int svscan_main(int argc, char **argv)
{
    sv::prog = "s6-svscan";
    int const notif = parse_options(argc, argv);
    int const ctl = control_init();

    // Signals: blocked and read through a signalfd.  SIGCHLD, SIGALRM and SIGABRT have fixed
    // meanings; the others are diverted to scripts.  SIGPIPE is absorbed rather than ignored,
    // so children start with the default disposition.  Children get the mask we started
    // with, minus these (sv::signal_child_mask).
    if (!sv::signal_absorb(SIGPIPE)) sv::die_sys(sv::exitcode::system, "unable to ignore SIGPIPE");
    int const sfd = sv::signal_trap_or_die({SIGCHLD, SIGALRM, SIGABRT, SIGHUP, SIGINT, SIGTERM,
                                            SIGQUIT, SIGUSR1, SIGUSR2, SIGPWR, SIGWINCH});

    // The whole table, once, on pages of its own: only those used are touched, and a forked
    // supervisor lets every one of them go (run_supervise).
    void *const tab = mmap(nullptr, sc.max * sizeof *sc.tab, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (tab == MAP_FAILED)
        sv::die_sys(sv::exitcode::system, "unable to allocate the service table");
    sc.tab = static_cast<svs::service *>(tab);
    if (!sv::sibling_path("s6-supervise", S6PP_BINDIR, supervise_path))
        sv::die_sys(sv::exitcode::system, "unable to find s6-supervise");

    // Shallow readiness: the control FIFO works; nothing has been scanned yet.
    if (notif >= 0) sv::notify_ready(notif);
    // Our own fds are all close-on-exec now, and notif is gone: any other is inherited.  If
    // this fails, supervisors are exec'd.  If it works, the pages of code and constants our
    // start-up mapped are no longer shared with the supervisors, which never run that code
    // (an exec'd one would, in glibc's start-up): let them go.
    if (sv::self_image_init(self)) sv::drop_startup_code();

    serve(sfd, ctl);

    // Finish phase: kill, close the pipes, wait (state.cc); then exec finish, or crash.
    svs::finish(sc);
    sv::signal_restore();
    char *eargv[] = {const_cast<char *>(finish_prog), nullptr};
    ::execv(finish_prog, eargv);
    if (errno != ENOENT) exec_crash("exec finish script .s6-svscan/finish");
    return 0;
}
