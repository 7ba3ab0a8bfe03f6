// s6-sudod [ -0 ] [ -1 ] [ -2 ] [ -d ] [ -t timeout ] args...: the server side of s6-sudo, as
// in s6 2.11.3.2.  It runs under a UCSPI server (the client's connection on fds 0 and 1):
// it sends its banner, takes the client's request and fds (libsupervise/sudo.hh), runs args
// followed by the client's args, with its own environment in which every variable set to
// the empty string takes the client's value, on the client's fds 0, 1 and 2 (-0, -1, -2:
// /dev/null or our own stderr instead), confirms, and sends the program's wait status back
// when it ends.  If the client goes away first, the program gets SIGTERM and SIGCONT and
// we exit 1; -d (which also implies -0 -1 -2) lets it run on.  -t bounds everything up to
// the confirmation (milliseconds).
#include <cerrno>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/fd.hh>
#include <supervise/opts.hh>
#include <supervise/sigtrap.hh>
#include <supervise/spawn.hh>
#include <supervise/sudo.hh>
#include <supervise/tai64n.hh>
#include <supervise/unixmessage.hh>

extern char **environ;

namespace {

constexpr std::string_view usage = "s6-sudod [ -0 ] [ -1 ] [ -2 ] [ -d ] [ -t timeout ] args...";
// Stock's exit code when the client goes away before the program ends.
constexpr int exit_client_gone = 1;

// A request holds the client's whole argv and environment: as much as the kernel lets one
// exec take.  The buffer is static, so only the pages a request touches cost memory.
char request_buf[4 << 20];
int request_fds[sv::umsg_max_fds];

std::int64_t deadline = -1;

// Sends the client one byte (an errno value, or 0 for success), giving up at the deadline.
bool answer(char c) noexcept
{
    if (!sv::set_nonblock(1, true)) return false;
    for (;;) {
        ssize_t const r = ::write(1, &c, 1);
        if (r == 1) return true;
        if (r < 0 && errno != EAGAIN && errno != EINTR) return false;
        pollfd p{1, POLLOUT, 0};
        int const t = deadline < 0 ? -1 : sv::poll_timeout(deadline, sv::mono_ms());
        if (::poll(&p, 1, t) == 0) {
            errno = ETIMEDOUT;
            return false;
        }
    }
}

// Tells the client why its program cannot start, then dies with the same reason.
template <class... A>
[[noreturn]] void refuse_sys(A const &...a) noexcept
{
    int const e = errno;
    answer(static_cast<char>(e));
    errno = e;
    sv::die_sys(sv::exitcode::system, a...);
}

// Sends the banner on fd 1 before the deadline.
void send_banner() noexcept
{
    std::size_t done = 0;
    auto const banner = sv::sudo_banner_server;
    while (done < banner.size()) {
        ssize_t const r = ::write(1, banner.data() + done, banner.size() - done);
        if (r > 0) {
            done += static_cast<std::size_t>(r);
            continue;
        }
        if (r < 0 && errno != EAGAIN && errno != EINTR)
            sv::die_sys(sv::exitcode::system, "unable to write banner to client");
        pollfd p{1, POLLOUT, 0};
        int const to = deadline < 0 ? -1 : sv::poll_timeout(deadline, sv::mono_ms());
        if (::poll(&p, 1, to) == 0) {
            errno = ETIMEDOUT;
            sv::die_sys(sv::exitcode::system, "unable to write banner to client");
        }
    }
}

// Receives the client's request and its three fds, checked as stock checks them.
void take_request(sv::umsg_receiver &rcv, sv::sudo_request &req, int fds[3]) noexcept
{
    sv::umsg m;
    if (!sv::umsg_receive_until(rcv, m, deadline))
        sv::die_sys(sv::exitcode::system, "unable to read message from client");
    if (m.fds.size() != 3) sv::die(sv::exitcode::usage, "client did not send 3 fds");
    for (int i = 0; i < 3; i++) fds[i] = m.fds[i];
    switch (sv::sudo_request_parse(m.data, req)) {
    case sv::sudo_parse::ok: break;
    case sv::sudo_parse::wrong_message: sv::die(sv::exitcode::usage, "wrong client message");
    case sv::sudo_parse::wrong_banner: sv::die(sv::exitcode::usage, "wrong client banner");
    case sv::sudo_parse::wrong_lengths: sv::die(sv::exitcode::usage, "wrong client argc/envlen");
    case sv::sudo_parse::too_many:
        sv::die(sv::exitcode::usage, "too many args/envvars from client");
    }
}

// Replaces the client's fds that -0, -1, -2 keep from the program.
void null_fds(unsigned nullfds, int fds[3]) noexcept
{
    if (nullfds & 1) {
        ::close(fds[0]);
        fds[0] = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fds[0] < 0) sv::die_sys(sv::exitcode::system, "unable to open /dev/null for ", "reading");
    }
    if (nullfds & 2) {
        ::close(fds[1]);
        fds[1] = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (fds[1] < 0) sv::die_sys(sv::exitcode::system, "unable to open /dev/null for ", "writing");
    }
    if (nullfds & 4) {
        ::close(fds[2]);
        fds[2] = 2;
    }
}

// Starts the program on fds; on failure tells the client why, as stock's child would, and
// exits 111.
pid_t start(char const *const *argv, char const *const *envp, int const fds[3]) noexcept
{
    sv::spawn_opts o;
    o.envp = envp;
    o.search_path = true;
    o.mask = &sv::signal_child_mask();
    for (int i = 0; i < 3; i++) {
        o.from[i] = fds[i];
        o.to[i] = i;
    }
    pid_t const pid = sv::spawn(argv[0], argv, o);
    if (pid) return pid;
    // As the forked child of stock s6-sudod would, say why on the client's stderr, then
    // send the client the reason and exit 111.
    int const e = errno;
    sv::prog = "s6-sudod (child)";
    if (::dup2(fds[2], 2) >= 0) {
        errno = e;
        sv::fatal_line_sys("unable to exec ", argv[0] ? argv[0] : "");
    }
    answer(static_cast<char>(e));
    ::_exit(sv::exitcode::system);
}

// Waits for the program's end and returns its wait status; a client that hangs up first
// stops it and makes us exit 1, unless -d (nullfds & 8), where client_gone is set instead.
int wait_program(pid_t pid, int sfd, unsigned nullfds, bool &client_gone) noexcept
{
    bool watch_client = true;
    for (;;) {
        pollfd p[2] = {{sfd, POLLIN, 0}, {0, 0, 0}};
        if (::poll(p, watch_client ? 2 : 1, -1) < 0 && errno != EINTR)
            sv::die_sys(sv::exitcode::system, "unable to iopause");
        if (p[0].revents) {
            int s, wstat = 0;
            bool done = false;
            while ((s = sv::signal_next(sfd)) > 0) {
                int w;
                pid_t const r = ::waitpid(pid, &w, WNOHANG);
                if (r < 0 && errno != ECHILD)
                    sv::die_sys(sv::exitcode::system, "unable to wait_pid_nohang");
                if (r > 0) {
                    done = true;
                    wstat = w;
                }
            }
            if (s < 0) sv::die_sys(sv::exitcode::system, "unable to read from selfpipe");
            if (done) return wstat;
        }
        if (watch_client && p[1].revents) {
            client_gone = true;
            watch_client = false;
            if (!(nullfds & 8)) {
                ::kill(pid, SIGTERM);
                ::kill(pid, SIGCONT);
                ::_exit(1);
            }
        }
    }
}

} // namespace

int sudod_main(int argc, char **argv)
{
    sv::prog = "s6-sudod";
    unsigned nullfds = 0, t = 0;
    sv::opt_parser opts{argc, argv, "012dt:"};
    while (int c = opts.next()) {
        switch (c) {
        case '0': nullfds |= 1; break;
        case '1': nullfds |= 2; break;
        case '2': nullfds |= 4; break;
        case 'd': nullfds |= 15; break;
        case 't':
            if (!sv::scan_uint(opts.arg(), t)) sv::die_usage(usage);
            break;
        default: sv::die_usage(usage);
        }
    }
    auto const args = opts.operands();
    if (t) deadline = sv::mono_ms() + t;
    if (!sv::set_nonblock(0, true) || !sv::set_nonblock(1, true))
        sv::die_sys(sv::exitcode::system, "unable to make socket non-blocking");

    send_banner();
    sv::umsg_receiver rcv(request_buf, request_fds, 0);
    sv::sudo_request req;
    int fds[3];
    take_request(rcv, req, fds);
    null_fds(nullfds, fds);

    std::vector<char const *> child_argv(args.begin(), args.end());
    if (!sv::sudo_strings(req.args, req.argc, child_argv))
        refuse_sys("unable to make child argv");
    child_argv.push_back(nullptr);
    std::vector<char const *> client_env;
    if (!sv::sudo_strings(req.env, req.envc, client_env)) refuse_sys("unable to make child envp");
    std::vector<char const *> env;
    for (char **e = environ; *e; e++) env.push_back(*e);
    if (!sv::sudo_merge_env(env, client_env)) {
        answer(EINVAL);
        sv::die(sv::exitcode::usage, "bad environment from client");
    }
    env.push_back(nullptr);

    int const sfd = sv::signal_trap_or_die({SIGCHLD});
    pid_t const pid = start(child_argv.data(), env.data(), fds);
    for (int i = 0; i < 3; i++)
        if (fds[i] != 2 || !(nullfds & 4)) ::close(fds[i]);
    if (!answer(0)) sv::die_sys(sv::exitcode::system, "unable to send confirmation to client");

    bool client_gone = false;
    int const wstat = wait_program(pid, sfd, nullfds, client_gone);
    if (!client_gone) {
        char pack[4];
        sv::sudo_status_pack(pack, static_cast<unsigned>(wstat));
        if (!sv::set_nonblock(1, false))
            sv::die_sys(sv::exitcode::system, "unable to set stdout blocking");
        if (!sv::write_full(1, pack, sizeof pack))
            sv::die_sys(sv::exitcode::system, "unable to write status to client");
    }
    return 0;
}
