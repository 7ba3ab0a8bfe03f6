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
// Answers are sent at once (bounded by -t, or 2 seconds without it) rather than queued, so
// there is nothing left to flush after SIGTERM and -T has nothing to wait for: SIGTERM exits
// at once.  The tables and every client's receive
// buffer are reserved at start-up; what a new connection allocates (the rule's environment,
// the two compiled regexes) is what stock allocates too.
//
// It is one of the programs of the shared executable (tools/entries.hh): installed as a link
// to s6-supervise, so that the daemon shares its pages with the supervision tree it runs
// under instead of being charged, as a static binary alone in its file, for all of its text.
#include "entries.hh"
#include "rules.hh"
#include "state.hh"

#include <cerrno>
#include <csignal>
#include <memory>
#include <string_view>

#include <fcntl.h>
#include <malloc.h>
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
#include <supervise/fork_self.hh>
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

// How long an answer may wait for room in the client's socket: -t, or answer_default_ms
// without it.  Set once from the options, never changed after.
std::int64_t answer_ms = -1;        // -t; -1: none
constexpr std::int64_t answer_default_ms = 2000;

// Answers are sent at once, not queued (stock queues them): a client that leaves its answers
// unread until its socket is full is dropped after the wait above, so that it cannot hold
// up the daemon for good.  A client of libs6 reads each answer before its next request.
bool send_real(int sock, std::span<std::string_view const> parts, std::span<int const> fds)
{
    std::int64_t const wait = answer_ms < 0 ? answer_default_ms : answer_ms;
    return sv::umsg_send(sock, parts, fds, sv::mono_ms() + wait);
}

void close_real(int fd) { ::close(fd); }

constexpr fdhd::sys real_sys{send_real, close_real};

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

struct options {
    unsigned verbosity = 1, maxconn = 16, maxfds = 1000;
    bool ready = false;
    fdhd::rules_t rules;
};

// The options, checked and bounded as stock bounds them.
void parse_options(int argc, char **argv, options &o)
{
    unsigned t = 0, lameduck = 0;
    sv::opt_parser opts{argc, argv, "v:1c:n:i:x:t:T:"};
    while (int c = opts.next()) {
        switch (c) {
        case 'v': if (!sv::scan_uint(opts.arg(), o.verbosity)) sv::die_usage(usage); break;
        case '1': o.ready = true; break;
        case 'i': o.rules.path = opts.arg(); o.rules.is_cdb = false; break;
        case 'x': o.rules.path = opts.arg(); o.rules.is_cdb = true; break;
        case 't': if (!sv::scan_uint(opts.arg(), t)) sv::die_usage(usage); break;
        case 'T': if (!sv::scan_uint(opts.arg(), lameduck)) sv::die_usage(usage); break;
        case 'c': if (!sv::scan_uint(opts.arg(), o.maxconn)) sv::die_usage(usage); break;
        case 'n': if (!sv::scan_uint(opts.arg(), o.maxfds)) sv::die_usage(usage); break;
        default: sv::die_usage(usage);
        }
    }
    if (t) answer_ms = t;
    if (!o.rules.path) sv::die(sv::exitcode::usage, "no access rights specified!");
    if (o.maxconn > sv::fdh::conn_max) o.maxconn = sv::fdh::conn_max;
    if (!o.maxconn) o.maxconn = 1;
}

// Stock's start-up checks, in its order: the fd limit (which bounds -n), stdin, stdout for -1.
void check_startup(options &o)
{
    rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0) sv::die_sys(sv::exitcode::system, "unable to getrlimit");
    if (rl.rlim_cur != RLIM_INFINITY) {
        if (rl.rlim_cur < 7) sv::die(sv::exitcode::system, "open file limit too low");
        if (o.maxfds > rl.rlim_cur) o.maxfds = static_cast<unsigned>(rl.rlim_cur - 6);
    }
    if (!o.maxfds) o.maxfds = 1;
    struct stat st;
    if (fstat(0, &st) < 0) sv::die_sys(sv::exitcode::system, "unable to fstat stdin");
    if (!S_ISSOCK(st.st_mode)) sv::die(sv::exitcode::usage, "stdin is not a socket");
    if (!o.ready) ::close(1);
    else if (fcntl(1, F_GETFD) < 0)
        sv::die_sys(sv::exitcode::usage, "called with option -1 but stdout said");
}

// The daemon: its state and everything the loop needs, reserved once at start-up.
class server {
public:
    explicit server(options &o) : o_(o) { reserve(); }
    // What the process holds is given back on the way out, so a leak checker finds none.
    ~server();
    server(server const &) = delete;
    server &operator=(server const &) = delete;
    // Serves until SIGTERM; the exit code.
    int run();

private:
    void reserve();
    void reset_rx(unsigned i);
    void drop(unsigned i);
    unsigned prepare_poll(std::int64_t &wait);
    void serve(unsigned i);
    void accept_one();
    bool on_signals(); // false at SIGTERM

    options &o_;
    int sigfd_ = -1;
    fdhd::state s_;
    std::unique_ptr<std::uint32_t[]> free_;
    std::unique_ptr<fdhd::client[]> clients_;
    std::unique_ptr<char[]> rxbuf_;
    std::unique_ptr<int[]> rxfds_, fdlist_;
    std::unique_ptr<char[]> scratch_;
    std::unique_ptr<pollfd[]> pfd_;
    std::unique_ptr<unsigned[]> slot_of_;
};

server::~server()
{
    for (auto &c : s_.clients)
        if (c.fd >= 0) fdhd::drop(s_, c);
    std::allocator<fdhd::held>().deallocate(s_.fds.data(), s_.fds.size());
}

void server::reserve()
{
    std::size_t const nf = o_.maxfds, nc = o_.maxconn;
    // The slots are reserved for the process's lifetime and never constructed as a whole:
    // their pages are touched only as they are used (as the scratch's are).
    fdhd::held *const held = std::allocator<fdhd::held>().allocate(nf);
    free_ = std::make_unique_for_overwrite<std::uint32_t[]>(nf);
    clients_ = std::make_unique<fdhd::client[]>(nc);
    rxbuf_ = std::make_unique_for_overwrite<char[]>(rx_size * nc);
    rxfds_ = std::make_unique_for_overwrite<int[]>(rx_fds * nc);
    fdlist_ = std::make_unique_for_overwrite<int[]>(sv::fdh::fds_per_trip);
    scratch_ = std::make_unique_for_overwrite<char[]>(fdhd::scratch_size(nf));
    pfd_ = std::make_unique<pollfd[]>(2 + nc);
    slot_of_ = std::make_unique<unsigned[]>(2 + nc);
    s_.fds = {held, nf};
    s_.free = {free_.get(), nf};
    fdhd::init_slots(s_);
    s_.clients = {clients_.get(), nc};
    s_.io = &real_sys;
    s_.fdlist = {fdlist_.get(), sv::fdh::fds_per_trip};
    s_.scratch = {scratch_.get(), fdhd::scratch_size(nf)};
    for (unsigned i = 0; i < nc; i++) reset_rx(i);
}

// Gives client slot i a fresh receiver over its part of the reserved buffers.
void server::reset_rx(unsigned i)
{
    fdhd::client &c = clients_[i];
    c.rx.~umsg_receiver();
    new (&c.rx) sv::umsg_receiver({rxbuf_.get() + i * rx_size, rx_size},
                                  {rxfds_.get() + i * rx_fds, rx_fds});
}

void server::drop(unsigned i)
{
    fdhd::drop(s_, clients_[i]);
    reset_rx(i);
    // The last client gone, what the clients allocated (their rules' environment, their
    // compiled regexes, the rules directory's listing) goes back to the system instead of
    // staying resident, freed, while the daemon idles.
    if (!s_.nclients) malloc_trim(0);
}

// Fills pfd_ (signals, the listening socket, then the clients) and lowers wait to the
// earliest client deadline, dropping the clients already past theirs.  The number of entries.
unsigned server::prepare_poll(std::int64_t &wait)
{
    std::int64_t const mono = sv::mono_ms();
    pfd_[0] = {sigfd_, POLLIN, 0};
    pfd_[1] = {0, static_cast<short>(s_.nclients < o_.maxconn ? POLLIN : 0), 0};
    unsigned n = 2;
    for (unsigned i = 0; i < o_.maxconn; i++) {
        fdhd::client &c = clients_[i];
        if (c.fd < 0) continue;
        if (c.deadline_ms >= 0) {
            if (c.deadline_ms <= mono) {
                drop(i);
                continue;
            }
            std::int64_t const left = c.deadline_ms - mono;
            if (wait < 0 || left < wait) wait = left;
        }
        pfd_[n] = {c.fd, POLLIN, 0};
        slot_of_[n++] = i;
    }
    return n;
}

// Reads what client slot i sent and handles every whole request in it.
void server::serve(unsigned i)
{
    fdhd::client &c = clients_[i];
    ssize_t const r = c.rx.fill();
    if (r < 0 && errno == EAGAIN) return;
    bool keep = r > 0;
    for (sv::umsg m; keep;) {
        auto const res = c.rx.next(m);
        if (res == sv::umsg_receiver::result::incomplete) break;
        if (res == sv::umsg_receiver::result::invalid) keep = false;
        else if ((keep = fdhd::handle(s_, c, m))) c.deadline_ms = -1;
    }
    if (!keep) drop(i);
}

// Takes one new connection, if the rules let it in.
void server::accept_one()
{
    int const fd = sv::ipc_accept(0, nullptr, 0, true, true);
    if (fd < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED)
            sv::die_sys(sv::exitcode::system, "unable to accept");
        return;
    }
    unsigned i = 0;
    while (clients_[i].fd >= 0) i++; // there is room: we only poll when there is
    fdhd::client &c = clients_[i];
    if (!fdhd::admit(o_.rules, fd, c, o_.verbosity)) {
        ::close(fd);
        return;
    }
    c.fd = fd;
    c.dumping = 0;
    c.rx.set_fd(fd);
    c.deadline_ms = answer_ms < 0 ? -1 : sv::mono_ms() + answer_ms;
    s_.nclients++;
}

bool server::on_signals()
{
    for (int sig; (sig = sv::signal_next(sigfd_)) > 0;) {
        if (sig == SIGTERM) return false;
        if (sig == SIGHUP && o_.rules.is_cdb) {
            sv::cdb fresh;
            if (fresh.open(o_.rules.path)) o_.rules.db = std::move(fresh);
        }
    }
    return true;
}

int server::run()
{
    sigfd_ = sv::signal_trap_or_die({SIGTERM, SIGHUP});
    signal(SIGPIPE, SIG_IGN);
    if (o_.rules.is_cdb && !o_.rules.db.open(o_.rules.path))
        sv::die_sys(sv::exitcode::system, "unable to cdb_init ", o_.rules.path);
    sv::set_nonblock(0, true);
    sv::drop_startup_code(); // before readiness: what a client then finds is what idles
    if (o_.ready) {
        sv::notify_ready(1);
        ::close(1);
    }
    for (;;) {
        // Held fds have wall-clock limits, as in stock; client deadlines are monotonic.
        sv::tain const now = sv::tain_now();
        sv::tain const next = fdhd::expire(s_, now);
        std::int64_t wait = next == sv::tain{} ? -1 : ms_until(now, next);
        unsigned const n = prepare_poll(wait);
        if (poll(pfd_.get(), n, static_cast<int>(wait)) < 0) {
            if (errno == EINTR) continue;
            sv::die_sys(sv::exitcode::system, "unable to iopause");
        }
        // After SIGTERM, what the clients sent with it is still read (a client that has left
        // is no longer counted in the exit code), as in stock; nobody new is let in.
        bool const stop = pfd_[0].revents && !on_signals();
        for (unsigned k = 2; k < n; k++)
            if (pfd_[k].revents) serve(slot_of_[k]);
        if (stop) return fdhd::exit_code(s_);
        if (pfd_[1].revents & POLLIN) accept_one();
    }
}

} // namespace

int fdholderd_main(int argc, char **argv)
{
    sv::prog = "s6-fdholderd";
    options o;
    parse_options(argc, argv, o);
    check_startup(o);
    server srv(o);
    return srv.run();
}
