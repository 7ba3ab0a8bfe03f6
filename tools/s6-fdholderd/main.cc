// s6-fdholderd [ -v verbosity ] [ -1 ] [ -c maxconn ] [ -n maxfds ] [ -t timeout ]
// [ -T lameducktimeout ] [ -i rulesdir | -x rulesfile ]: s6 2.11.3.2's fd-holder daemon.  Its
// stdin is a bound, listening Unix socket; clients store fds under ids, retrieve, delete and
// list them, and dump or restore the whole set (fdholder.hh has the protocol).  A client is
// let in by the access rules (-i directory, -x cdb, reloaded on SIGHUP), whose environment
// says what it may do: S6_FDHOLDER_STORE_REGEX (store and delete), S6_FDHOLDER_RETRIEVE_REGEX,
// S6_FDHOLDER_LIST, S6_FDHOLDER_GETDUMP, S6_FDHOLDER_SETDUMP.  Each fd is closed when its limit
// passes.  -c caps the clients (at most 256), -n the fds (bounded by RLIMIT_NOFILE - 6); -t
// bounds a client's first request and every answer; -1 writes a newline on stdout once it
// serves.  SIGTERM: stop, and exit 1 if fds are still held, 2 if clients remain, or'ed.
//
// Answers are sent at once (bounded by -t) rather than queued, so there is nothing left to
// flush after SIGTERM and -T has nothing to wait for.  The tables and every client's receive
// buffer are reserved at start-up; what a new connection allocates (the rule's environment,
// the two compiled regexes) is what stock allocates too.
#include "state.hh"

#include <cerrno>
#include <csignal>
#include <memory>
#include <string_view>

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <supervise/accessrules.hh>
#include <supervise/cdb.hh>
#include <supervise/diag.hh>
#include <supervise/fd.hh>
#include <supervise/ipc.hh>
#include <supervise/notify.hh>
#include <supervise/opts.hh>
#include <supervise/sigtrap.hh>

namespace {

constexpr std::string_view usage =
    "s6-fdholderd [ -v verbosity ] [ -1 ] [ -c maxconn ] [ -n maxfds ] [ -t timeout ] "
    "[ -T lameducktimeout ] [ -i rulesdir | -x rulesfile ]";

// The largest message a client may send: a setdump data message of 255 full entries.
constexpr std::size_t rx_size =
    sv::umsg_header_size + 1 + sv::fdh::fds_per_trip * sv::fdh::entry_max;
constexpr std::size_t rx_fds = sv::fdh::fds_per_trip + 1;

std::int64_t answer_ms = -1; // -t; -1: none

bool send_real(int sock, std::span<std::string_view const> parts, std::span<int const> fds)
{
    std::int64_t const deadline = answer_ms < 0 ? -1 : sv::mono_ms() + answer_ms;
    return sv::umsg_send(sock, parts, fds, deadline);
}

void close_real(int fd) { ::close(fd); }

constexpr fdhd::sys real_sys{send_real, close_real};

struct rules_t {
    char const *path = nullptr;
    bool is_cdb = false;
    sv::cdb db;
};

// One of the S6_FDHOLDER_*_REGEX variables: 1 compiled, 0 not this variable, -1 invalid.
int make_re(regex_t &re, std::string_view var, std::string_view name, unsigned verbosity)
{
    if (var.size() <= name.size() || var.substr(0, name.size()) != name ||
        var[name.size()] != '=')
        return 0;
    char const *value = var.data() + name.size() + 1; // NUL-terminated in the env block
    int const r = regcomp(&re, value, REG_EXTENDED | REG_NOSUB);
    if (!r) return 1;
    if (verbosity) {
        char err[256];
        regerror(r, &re, err, sizeof err);
        sv::warn("invalid ", name, " value: ", std::string_view(value), ": ",
                 std::string_view(err));
    }
    return -1;
}

void default_re(regex_t &re) { regcomp(&re, ".^", REG_EXTENDED | REG_NOSUB); }

// The access check and the rights of a new connection; false to turn it away.
bool admit(rules_t const &rules, int fd, fdhd::client &c, unsigned verbosity)
{
    uid_t uid;
    gid_t gid;
    if (!sv::ipc_peer(fd, uid, gid)) {
        if (verbosity) sv::warn_sys("unable to getpeereid");
        return false;
    }
    sv::access_grant g;
    auto const v = rules.is_cdb ? sv::access_uidgid_cdb(uid, gid, rules.db, g)
                                : sv::access_uidgid_fs(uid, gid, rules.path, g);
    if (v != sv::access_verdict::allow) {
        if (verbosity && v == sv::access_verdict::error)
            sv::warn_sys("error while checking rules");
        return false;
    }
    if (!g.exec.empty() && verbosity)
        sv::warn("unused exec string in rules for uid ", sv::dec(uid), " gid ", sv::dec(gid));
    unsigned flags = 0, done = 0;
    std::string_view env = g.env;
    while (!env.empty()) {
        std::size_t const end = env.find('\0');
        std::string_view const var = env.substr(0, end);
        env.remove_prefix(end == env.npos ? env.size() : end + 1);
        if (var.starts_with("S6_FDHOLDER_GETDUMP=")) flags |= fdhd::may_getdump;
        if (var.starts_with("S6_FDHOLDER_SETDUMP=")) flags |= fdhd::may_setdump;
        if (var.starts_with("S6_FDHOLDER_LIST=")) flags |= fdhd::may_list;
        for (unsigned bit : {1u, 2u}) {
            if (done & bit) continue;
            int const r = make_re(bit == 1 ? c.rre : c.wre, var,
                                  bit == 1 ? "S6_FDHOLDER_RETRIEVE_REGEX"
                                           : "S6_FDHOLDER_STORE_REGEX",
                                  verbosity);
            if (r < 0) {
                if (done & 1) regfree(&c.rre);
                if (done & 2) regfree(&c.wre);
                if (verbosity) sv::warn_sys("unable to parse_env");
                return false;
            }
            done |= r ? bit : 0;
        }
    }
    if (!(done & 1)) default_re(c.rre);
    if (!(done & 2)) default_re(c.wre);
    c.flags = flags;
    return true;
}

// ms from now until the wall-clock time t, clamped to [0, 1 day].
std::int64_t ms_until(sv::tain now, sv::tain t)
{
    if (!(now < t)) return 0;
    std::uint64_t const s = t.sec - now.sec;
    if (s > 86400) return 86400000;
    return static_cast<std::int64_t>(s) * 1000 +
           (static_cast<std::int64_t>(t.nano) - static_cast<std::int64_t>(now.nano)) / 1000000 +
           1;
}

} // namespace

int main(int argc, char **argv)
{
    sv::prog = "s6-fdholderd";
    unsigned verbosity = 1, maxconn = 16, maxfds = 1000, t = 0, lameduck = 0;
    bool ready = false;
    rules_t rules;
    sv::opt_parser opts{argc, argv, "v:1c:n:i:x:t:T:"};
    while (int c = opts.next()) {
        switch (c) {
        case 'v': if (!sv::scan_uint(opts.arg(), verbosity)) sv::die_usage(usage); break;
        case '1': ready = true; break;
        case 'i': rules.path = opts.arg(); rules.is_cdb = false; break;
        case 'x': rules.path = opts.arg(); rules.is_cdb = true; break;
        case 't': if (!sv::scan_uint(opts.arg(), t)) sv::die_usage(usage); break;
        case 'T': if (!sv::scan_uint(opts.arg(), lameduck)) sv::die_usage(usage); break;
        case 'c': if (!sv::scan_uint(opts.arg(), maxconn)) sv::die_usage(usage); break;
        case 'n': if (!sv::scan_uint(opts.arg(), maxfds)) sv::die_usage(usage); break;
        default: sv::die_usage(usage);
        }
    }
    if (t) answer_ms = t;
    if (!rules.path) sv::die(sv::exitcode::usage, "no access rights specified!");
    if (maxconn > sv::fdh::conn_max) maxconn = sv::fdh::conn_max;
    if (!maxconn) maxconn = 1;
    {
        rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
            sv::die_sys(sv::exitcode::system, "unable to getrlimit");
        if (rl.rlim_cur != RLIM_INFINITY) {
            if (rl.rlim_cur < 7) sv::die(sv::exitcode::system, "open file limit too low");
            if (maxfds > rl.rlim_cur) maxfds = static_cast<unsigned>(rl.rlim_cur - 6);
        }
    }
    if (!maxfds) maxfds = 1;
    {
        struct stat st;
        if (fstat(0, &st) < 0) sv::die_sys(sv::exitcode::system, "unable to fstat stdin");
        if (!S_ISSOCK(st.st_mode)) sv::die(sv::exitcode::usage, "stdin is not a socket");
    }
    if (ready) {
        if (fcntl(1, F_GETFD) < 0)
            sv::die_sys(sv::exitcode::usage, "called with option -1 but stdout said");
    } else {
        ::close(1);
    }
    int const sigfd = sv::signal_trap_or_die({SIGTERM, SIGHUP});
    signal(SIGPIPE, SIG_IGN);
    if (rules.is_cdb && !rules.db.open(rules.path))
        sv::die_sys(sv::exitcode::system, "unable to cdb_init ", rules.path);
    sv::set_nonblock(0, true);

    // Everything the loop needs, reserved now.
    auto held = std::make_unique<fdhd::held[]>(maxfds);
    auto clients = std::make_unique<fdhd::client[]>(maxconn);
    auto rxbuf = std::make_unique_for_overwrite<char[]>(rx_size * maxconn);
    auto rxfds = std::make_unique_for_overwrite<int[]>(rx_fds * maxconn);
    auto parts = std::make_unique<std::string_view[]>(2 * std::size_t{maxfds} + 1);
    auto fdlist = std::make_unique_for_overwrite<int[]>(maxfds);
    auto packs = std::make_unique_for_overwrite<char[]>(maxfds * (sv::tain_pack_size + 1));
    auto pfd = std::make_unique<pollfd[]>(2 + maxconn);
    auto slot_of = std::make_unique<unsigned[]>(2 + maxconn);
    fdhd::state s;
    s.fds = {held.get(), maxfds};
    s.clients = {clients.get(), maxconn};
    s.io = &real_sys;
    s.parts = {parts.get(), 2 * std::size_t{maxfds} + 1};
    s.fdlist = {fdlist.get(), maxfds};
    s.packs = {packs.get(), maxfds * (sv::tain_pack_size + 1)};
    auto reset_rx = [&](unsigned i) {
        fdhd::client &c = clients[i];
        c.rx.~umsg_receiver();
        new (&c.rx) sv::umsg_receiver({rxbuf.get() + i * rx_size, rx_size},
                                      {rxfds.get() + i * rx_fds, rx_fds});
    };
    for (unsigned i = 0; i < maxconn; i++) reset_rx(i);
    auto drop = [&](unsigned i) {
        fdhd::drop(s, clients[i]);
        reset_rx(i);
    };

    if (ready) {
        sv::notify_ready(1);
        ::close(1);
    }

    for (;;) {
        sv::tain const now = sv::tain_now();
        sv::tain const next = fdhd::expire(s, now);
        std::int64_t const mono = sv::mono_ms();
        std::int64_t wait = next == sv::tain{} ? -1 : ms_until(now, next);
        pfd[0] = {sigfd, POLLIN, 0};
        pfd[1] = {0, static_cast<short>(s.nclients < maxconn ? POLLIN : 0), 0};
        unsigned n = 2;
        for (unsigned i = 0; i < maxconn; i++) {
            fdhd::client &c = clients[i];
            if (c.fd < 0) continue;
            if (c.deadline_ms >= 0) {
                if (c.deadline_ms <= mono) {
                    drop(i);
                    continue;
                }
                std::int64_t const left = c.deadline_ms - mono;
                if (wait < 0 || left < wait) wait = left;
            }
            pfd[n] = {c.fd, POLLIN, 0};
            slot_of[n++] = i;
        }
        if (poll(pfd.get(), n, static_cast<int>(wait)) < 0) {
            if (errno == EINTR) continue;
            sv::die_sys(sv::exitcode::system, "unable to iopause");
        }
        if (pfd[0].revents) {
            for (int sig; (sig = sv::signal_next(sigfd)) > 0;) {
                if (sig == SIGTERM) return fdhd::exit_code(s);
                if (sig == SIGHUP && rules.is_cdb) {
                    sv::cdb fresh;
                    if (fresh.open(rules.path)) rules.db = std::move(fresh);
                }
            }
        }
        for (unsigned k = 2; k < n; k++) {
            if (!pfd[k].revents) continue;
            unsigned const i = slot_of[k];
            fdhd::client &c = clients[i];
            ssize_t const r = c.rx.fill();
            if (r < 0 && errno == EAGAIN) continue;
            bool keep = r > 0;
            for (sv::umsg m; keep;) {
                auto const res = c.rx.next(m);
                if (res == sv::umsg_receiver::result::incomplete) break;
                if (res == sv::umsg_receiver::result::invalid) keep = false;
                else if ((keep = fdhd::handle(s, c, m))) c.deadline_ms = -1;
            }
            if (!keep) drop(i);
        }
        if (pfd[1].revents & POLLIN) {
            int const fd = sv::ipc_accept(0, nullptr, 0, true, true);
            if (fd < 0) {
                if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED)
                    sv::die_sys(sv::exitcode::system, "unable to accept");
                continue;
            }
            unsigned i = 0;
            while (clients[i].fd >= 0) i++; // there is room: we only poll when there is
            fdhd::client &c = clients[i];
            if (!admit(rules, fd, c, verbosity)) {
                ::close(fd);
                continue;
            }
            c.fd = fd;
            c.dumping = 0;
            c.rx.set_fd(fd);
            c.deadline_ms = answer_ms < 0 ? -1 : sv::mono_ms() + answer_ms;
            s.nclients++;
        }
    }
}
