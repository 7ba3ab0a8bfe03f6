// s6-ipcserverd [ -v verbosity ] [ -1 ] [ -P | -p ] [ -c maxconn ] [ -C localmaxconn ] prog...:
// the UCSPI local server daemon of s6 2.11.3.2.  Its stdin is a bound, listening Unix socket
// (from s6-ipcserver-socketbinder); for each connection it runs prog with the connection on
// fds 0 and 1 and PROTO=IPC, IPCREMOTEEUID, IPCREMOTEEGID (the client's credentials),
// IPCCONNNUM (that uid's count) and IPCREMOTEPATH in its environment.  With -P it does not
// ask the credentials: the two id variables are removed and IPCCONNNUM is empty, as in
// stock.  It serves at most -c connections at once (it stops accepting while full) and -C
// per uid (more are closed at once); -1 writes a newline on stdout once it listens.
// SIGTERM: stop serving and exit, SIGHUP: TERM+CONT to every child, SIGQUIT: both,
// SIGABRT: KILL every child and exit.
//
// The tables are reserved from -c at start-up and each child's environment is put together
// in fixed buffers, so nothing is allocated once it serves.  The bookkeeping is in state.cc.
#include "state.hh"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstring>
#include <string_view>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/envdir.hh>
#include <supervise/fd.hh>
#include <supervise/ipc.hh>
#include <supervise/fork_self.hh>
#include <supervise/notify.hh>
#include <supervise/opts.hh>
#include <supervise/sigtrap.hh>
#include <supervise/spawn.hh>

extern char **environ;

namespace {

constexpr std::string_view usage =
    "s6-ipcserverd [ -v verbosity ] [ -1 ] [ -P | -p ] [ -c maxconn ] [ -C localmaxconn ] prog...";

// Plain data, all zero bits until main sets the defaults: the one instance is in .bss, needs
// no guard or destructor, and the connections' first slots share its page.
struct server {
    ipcd::table t{};
    unsigned verbosity = 0;
    char const *const *argv = nullptr;
    // The children's environment: ours merged with the connection's variables (reserve).
    char const **envp = nullptr;
    char euid[40]{}, egid[40]{}, connnum[40]{}, remotepath[32 + sv::ipc_path_max]{};
    char status_fmt[16]{}, local_fmt[16]{}; // "/maxconn", "/localmaxconn"
    ipcd::conn conns[ipcd::absolute_maxconn]{};
};

void log_status(server const &s) noexcept
{
    sv::info("status: ", sv::dec(s.t.nconn), s.status_fmt);
}

// "NAME=" followed by n, into buf.
char const *assign(char *buf, std::size_t size, std::string_view name, unsigned long long n) noexcept
{
    std::memcpy(buf, name.data(), name.size());
    buf[name.size()] = '=';
    auto r = std::to_chars(buf + name.size() + 1, buf + size - 1, n);
    *r.ptr = 0;
    return buf;
}

void kill_all(server const &s, int sig) noexcept
{
    for (unsigned i = 0; i < s.t.nconn; i++) ::kill(s.t.conns[i].pid, sig);
}

void reap(server &s) noexcept
{
    for (;;) {
        int w;
        pid_t const pid = ::waitpid(-1, &w, WNOHANG);
        if (pid < 0) {
            if (errno != ECHILD) sv::die_sys(sv::exitcode::system, "unable to wait_nohang");
            return;
        }
        if (!pid) return;
        uid_t uid;
        if (ipcd::remove(s.t, pid, uid) && s.verbosity >= 2) {
            bool const sig = WIFSIGNALED(w);
            sv::info("end pid ", sv::dec(pid), " uid ", s.t.lookup ? std::string_view(sv::dec(uid)) : "?",
                     sig ? " signal " : " exitcode ", sv::dec(sig ? WTERMSIG(w) : WEXITSTATUS(w)));
            log_status(s);
        }
    }
}

// Handles the pending signals; false once told to quit.
bool on_signals(server &s, int sfd) noexcept
{
    bool cont = true;
    for (;;) {
        int const sig = sv::signal_next(sfd);
        if (sig < 0) sv::die_sys(sv::exitcode::system, "unable to read selfpipe");
        if (!sig) return cont;
        switch (sig) {
        case SIGCHLD: reap(s); break;
        case SIGTERM:
            if (s.verbosity >= 2) sv::info("received SIGTERM, quitting");
            cont = false;
            break;
        case SIGHUP:
            if (s.verbosity >= 2)
                sv::info("received SIGHUP, sending SIGTERM+SIGCONT to all connections");
            kill_all(s, SIGTERM);
            kill_all(s, SIGCONT);
            break;
        case SIGQUIT:
            if (s.verbosity >= 2)
                sv::info("received SIGQUIT, sending SIGTERM+SIGCONT to all connections and quitting");
            cont = false;
            kill_all(s, SIGTERM);
            kill_all(s, SIGCONT);
            break;
        case SIGABRT:
            if (s.verbosity >= 2)
                sv::info("received SIGABRT, sending SIGKILL to all connections and quitting");
            cont = false;
            kill_all(s, SIGKILL);
            break;
        default: break;
        }
    }
}

void serve(server &s, int conn, char const *remote) noexcept
{
    uid_t uid = 0;
    gid_t gid = 0;
    if (s.t.lookup && !sv::ipc_peer(conn, uid, gid)) {
        if (s.verbosity) sv::warn_sys("unable to getpeereid");
        return;
    }
    unsigned count;
    if (!ipcd::admit(s.t, uid, count)) {
        // Stock logs this line with whatever errno holds, which is 0 there: ": Success".
        errno = 0;
        sv::info_sys("deny ", s.t.lookup ? std::string_view(sv::dec(uid)) : "?", ":",
                     s.t.lookup ? std::string_view(sv::dec(gid)) : "?", " count ",
                     s.t.lookup ? std::string_view(sv::dec(count)) : "?", s.local_fmt);
        return;
    }
    // The environment's layout was merged once (reserve); only the values change.
    if (s.t.lookup) {
        assign(s.euid, sizeof s.euid, "IPCREMOTEEUID", uid);
        assign(s.egid, sizeof s.egid, "IPCREMOTEEGID", gid);
        assign(s.connnum, sizeof s.connnum, "IPCCONNNUM", count + 1);
    }
    std::size_t const rl = std::strlen(remote);
    std::memcpy(s.remotepath, "IPCREMOTEPATH=", 14);
    std::memcpy(s.remotepath + 14, remote, rl + 1);

    sv::spawn_opts o;
    o.envp = s.envp;
    o.search_path = true;
    o.mask = &sv::signal_child_mask();
    o.from[0] = conn;
    o.to[0] = 1;
    o.from[1] = conn;
    o.to[1] = 0;
    pid_t const pid = sv::spawn(s.argv[0], s.argv, o);
    if (!pid) {
        // What the forked child of stock would print before dying.
        int const e = errno;
        std::string_view const self = sv::prog;
        sv::prog = "s6-ipcserver (child)";
        errno = e;
        sv::fatal_line_sys("unable to exec ", s.argv[0]);
        sv::prog = self;
        return;
    }
    ipcd::add(s.t, pid, uid);
    if (s.verbosity >= 2) {
        unsigned now;
        ipcd::admit(s.t, uid, now);
        sv::info("allow ", s.t.lookup ? std::string_view(sv::dec(uid)) : "?",
                 s.t.lookup ? ":" : "", s.t.lookup ? std::string_view(sv::dec(gid)) : ":?", " pid ",
                 sv::dec(pid), " count ", s.t.lookup ? std::string_view(sv::dec(now)) : "?",
                 s.local_fmt);
        log_status(s);
    }
}

// Reserves everything the loop needs: the tables, and the children's environment (ours
// less the variables set per connection, then room for those).
void reserve(server &s)
{
    s.t.conns = {s.conns, s.t.maxconn};
    // The connection's variables, merged into our environment as skalibs' exec does (a
    // variable already there gives its slot to the last entry); the buffers named here get
    // each connection's values.  Without -P/-p the credentials are unset, not set.
    std::memcpy(s.euid, "IPCREMOTEEUID=", 15);
    std::memcpy(s.egid, "IPCREMOTEEGID=", 15);
    std::memcpy(s.connnum, "IPCCONNNUM=", 12);
    std::memcpy(s.remotepath, "IPCREMOTEPATH=", 15);
    char const *const mods[] = {"PROTO=IPC", s.t.lookup ? s.euid : "IPCREMOTEEUID",
                                s.t.lookup ? s.egid : "IPCREMOTEEGID",
                                s.t.lookup ? s.connnum : "IPCCONNNUM=", s.remotepath};
    std::vector<char const *> envp;
    for (char **e = environ; *e; e++) envp.push_back(*e);
    envp.reserve(envp.size() + std::size(mods) + 1);
    sv::env_merge_into(envp, mods);
    envp.push_back(nullptr);
    s.envp = new char const *[envp.size()]; // kept for the process's lifetime
    std::copy(envp.begin(), envp.end(), s.envp);
    auto fmt = [](char *buf, unsigned n) {
        buf[0] = '/';
        *std::to_chars(buf + 1, buf + 15, n).ptr = 0;
    };
    fmt(s.status_fmt, s.t.maxconn);
    fmt(s.local_fmt, s.t.localmaxconn);

}

// Accepts and serves connections until a signal says to stop.
void serve_until_told(server &s, int sfd) noexcept
{
    for (bool cont = true; cont;) {
        pollfd p[2] = {{sfd, POLLIN, 0}, {0, POLLIN, 0}};
        if (::poll(p, ipcd::room(s.t) ? 2 : 1, -1) < 0 && errno != EINTR)
            sv::die_sys(sv::exitcode::system, "unable to iopause");
        if (p[0].revents & (POLLERR | POLLNVAL)) sv::die(sv::exitcode::system, "trouble with selfpipe");
        if (p[0].revents & POLLIN) {
            cont = on_signals(s, sfd);
            continue;
        }
        if (!ipcd::room(s.t)) continue;
        if (p[1].revents & (POLLERR | POLLNVAL)) sv::die(sv::exitcode::system, "trouble with socket");
        if (p[1].revents & POLLIN) {
            char remote[sv::ipc_path_max + 1];
            int const conn = sv::ipc_accept(0, remote, sizeof remote, false, true);
            if (conn < 0) {
                if (s.verbosity) sv::warn_sys("unable to accept");
            } else {
                serve(s, conn, remote);
                ::close(conn);
            }
        }
    }
}

} // namespace

int ipcserverd_main(int argc, char **argv)
{
    sv::prog = "s6-ipcserverd";
    static constinit server s;
    s.t.maxconn = s.t.localmaxconn = ipcd::default_maxconn;
    s.t.lookup = true;
    s.verbosity = 1;
    bool ready_fd = false;
    sv::opt_parser opts{argc, argv, "Pp1c:C:v:"};
    while (int c = opts.next()) {
        switch (c) {
        case 'P': s.t.lookup = false; break;
        case 'p': s.t.lookup = true; break;
        case '1': ready_fd = true; break;
        case 'c':
            if (!sv::scan_uint(opts.arg(), s.t.maxconn)) sv::die_usage(usage);
            break;
        case 'C':
            if (!sv::scan_uint(opts.arg(), s.t.localmaxconn)) sv::die_usage(usage);
            break;
        case 'v':
            if (!sv::scan_uint(opts.arg(), s.verbosity)) sv::die_usage(usage);
            break;
        default: sv::die_usage(usage);
        }
    }
    auto const rest = opts.operands();
    if (rest.empty() || !*rest[0]) sv::die_usage(usage);
    s.argv = rest.data();
    {
        struct stat st;
        if (::fstat(0, &st) < 0) sv::die_sys(sv::exitcode::system, "unable to fstat stdin");
        if (!S_ISSOCK(st.st_mode)) sv::die(sv::exitcode::usage, "stdin is not a socket");
    }
    if (!sv::set_cloexec(0, true))
        sv::die_sys(sv::exitcode::system, "unable to make socket close-on-exec");
    if (ready_fd) {
        if (::fcntl(1, F_GETFD) < 0)
            sv::die_sys(sv::exitcode::usage, "called with option -1 but stdout said");
    } else {
        ::close(1);
    }
    ipcd::normalise(s.t);

    reserve(s);

    int const sfd = sv::signal_trap({SIGCHLD, SIGTERM, SIGHUP, SIGQUIT, SIGABRT});
    if (sfd < 0) sv::die_sys(sv::exitcode::system, "unable to trap signals");
    if (!sv::signal_absorb(SIGPIPE)) sv::die_sys(sv::exitcode::system, "unable to ignore SIGPIPE");
    if (s.verbosity >= 2) {
        sv::info("starting");
        log_status(s);
    }
    sv::drop_startup_code(); // before readiness: what a client then finds is what idles
    if (ready_fd) sv::notify_ready(1);

    serve_until_told(s, sfd);
    if (s.verbosity >= 2) sv::info("exiting");
    return 0;
}
