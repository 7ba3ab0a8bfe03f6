// s6-socklog [ -d notif ] [ -r ] [ -U | -u uid -g gid -G gidlist ] [ -l linelen ]
// [ -t lameducktimeout ] [ -x socket | -i ip_port ]: the syslogd of s6 2.11.3.2.  It binds a
// Unix datagram socket (default /dev/log, mode 0777, with the PATH.lock guard of
// s6-ipcserver-socketbinder) or with -i a UDP one, drops to -u/-g/-G (or $UID $GID $GIDLIST
// with -U), writes a newline to fd notif once ready, and prints each datagram as one line on
// stdout: "<PRI>" becomes "facility.priority: " (not with -r), NUL and newline inside become
// '~', trailing ones go, and a datagram longer than linelen (default 1024, clamped to
// 76..1048576) is cut after linelen + 1 bytes and marked "...".  SIGTERM: stop reading, flush
// stdout, exit 0; if that takes longer than -t ms, exit 99.
//
// On purpose unlike stock: an empty datagram is ignored (stock exits 111, "unable to recv:
// Broken pipe", so any local user could stop it); after SIGTERM the datagrams already queued
// (up to 1024) are still printed (stock drops them); a UDP line starts with "ADDR_PORT: "
// (stock's prefix is garbled); each wake-up reads the queued datagrams in batches (recvmmsg),
// not one; and a "<PRI" left open at the end of a datagram is printed as it is (stock reads
// on past the message there).
//
// Buffers are reserved once from -l; the decisions are in state.cc.
#include "state.hh"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include <arpa/inet.h>
#include <csignal>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/fd.hh>
#include <supervise/fork_self.hh>
#include <supervise/ipc.hh>
#include <supervise/notify.hh>
#include <supervise/opts.hh>
#include <supervise/sigtrap.hh>
#include <supervise/tai64n.hh>
#include <supervise/uidgid.hh>

namespace {

constexpr std::string_view usage =
    "s6-socklog [ -d notif ] [ -r ] [ -U | -u uid -g gid -G gidlist ] [ -l linelen ] "
    "[ -t lameducktimeout ] [ -x socket | -i ip_port ]";

// A UDP address: ADDR, ADDR_PORT, or for IPv4 also ADDR:PORT; the port defaults to 514.
struct udp_addr
{
    sockaddr_storage ss{};
    socklen_t len = 0;
    char ip[INET6_ADDRSTRLEN] = "";
    unsigned port = 514;
};

bool scan_udp(std::string_view arg, udp_addr &a) noexcept
{
    std::size_t sep = arg.rfind('_');
    bool const colon = sep == std::string_view::npos;
    if (colon) {
        sep = arg.find(':');
        if (sep != arg.rfind(':')) sep = std::string_view::npos; // IPv6, no port
    }
    std::string_view ip = arg.substr(0, sep);
    if (sep != std::string_view::npos) {
        if (!sv::scan_uint(arg.substr(sep + 1), a.port) || a.port > 65535) return false;
    }
    if (ip.size() >= sizeof a.ip) return false;
    std::memcpy(a.ip, ip.data(), ip.size());
    a.ip[ip.size()] = 0;
    auto *v4 = reinterpret_cast<sockaddr_in *>(&a.ss);
    auto *v6 = reinterpret_cast<sockaddr_in6 *>(&a.ss);
    if (inet_pton(AF_INET, a.ip, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(static_cast<std::uint16_t>(a.port));
        a.len = sizeof *v4;
    } else if (!colon || sep == std::string_view::npos) {
        if (inet_pton(AF_INET6, a.ip, &v6->sin6_addr) != 1) return false;
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(static_cast<std::uint16_t>(a.port));
        a.len = sizeof *v6;
    } else {
        return false;
    }
    return true;
}

// "ADDR_PORT: " for a UDP sender, into buf (socklog::from_max bytes).
std::string_view format_from(sockaddr_storage const &ss, char *buf) noexcept
{
    char ip[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (ss.ss_family == AF_INET) {
        auto const *v4 = reinterpret_cast<sockaddr_in const *>(&ss);
        inet_ntop(AF_INET, &v4->sin_addr, ip, sizeof ip);
        port = ntohs(v4->sin_port);
    } else if (ss.ss_family == AF_INET6) {
        auto const *v6 = reinterpret_cast<sockaddr_in6 const *>(&ss);
        inet_ntop(AF_INET6, &v6->sin6_addr, ip, sizeof ip);
        port = ntohs(v6->sin6_port);
    }
    std::size_t n = std::strlen(ip);
    std::memcpy(buf, ip, n);
    buf[n++] = '_';
    auto const digits = sv::dec(port); // the buffer the view below points into
    std::string_view const p = digits;
    std::memcpy(buf + n, p.data(), p.size());
    n += p.size();
    buf[n++] = ':';
    buf[n++] = ' ';
    return {buf, n};
}

struct options
{
    char const *path = "/dev/log";
    bool udp = false;
    udp_addr addr;
    unsigned notif = 0;
    std::uint32_t uid = 0, gid = 0;
    std::vector<gid_t> gids;
    bool set_list = false;
};

void parse(int argc, char **argv, options &o, socklog::state &s) noexcept
{
    unsigned linelen = 1024, t = 0;
    sv::opt_parser opts{argc, argv, "rd:l:t:u:g:G:Ux:i:"};
    while (int c = opts.next()) {
        switch (c) {
        case 'r':
            s.raw = true;
            break;
        case 'd':
            if (!sv::scan_uint(opts.arg(), o.notif)) sv::die_usage(usage);
            break;
        case 'l':
            if (!sv::scan_uint(opts.arg(), linelen)) sv::die_usage(usage);
            break;
        case 't':
            if (!sv::scan_uint(opts.arg(), t)) sv::die_usage(usage);
            break;
        case 'u':
            if (!sv::scan_u32(opts.arg(), o.uid)) sv::die_usage(usage);
            break;
        case 'g':
            if (!sv::scan_u32(opts.arg(), o.gid)) sv::die_usage(usage);
            break;
        case 'G': {
            std::string_view a = opts.arg();
            if (!sv::scan_gid_list(a, o.gids, sv::gid_list_max) && !a.empty()) sv::die_usage(usage);
            o.set_list = true;
            break;
        }
        case 'U':
            sv::uidgid_from_env(o.uid, o.gid, o.gids);
            o.set_list = true;
            break;
        case 'x':
            o.path = opts.arg();
            o.udp = false;
            break;
        case 'i':
            if (!scan_udp(opts.arg(), o.addr)) sv::die_usage(usage);
            o.udp = true;
            break;
        default:
            sv::die_usage(usage);
        }
    }
    if (linelen < socklog::linelen_min) linelen = socklog::linelen_min;
    if (linelen > socklog::linelen_max) linelen = socklog::linelen_max;
    s.linelen = linelen;
    if (t) s.lameduck_ms = t;
}

// The bound socket.  The Unix socket's PATH.lock stays locked as long as we run.
int bind_socket(options const &o) noexcept
{
    int fd;
    if (!o.udp) {
        fd = sv::ipc_socket(true, true, true);
        if (fd < 0) sv::die_sys(sv::exitcode::system, "unable to create socket");
        int lockfd; // held until we exit, on purpose
        if (sv::ipc_bind_reuse(fd, o.path, 0777, &lockfd) < 0)
            sv::die_sys(sv::exitcode::system, "unable to bind socket to ", o.path);
        return fd;
    }
    fd = ::socket(o.addr.ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) sv::die_sys(sv::exitcode::system, "unable to create socket");
    int one = 1;
    if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        ::bind(fd, reinterpret_cast<sockaddr const *>(&o.addr.ss), o.addr.len) < 0)
        sv::die_sys(sv::exitcode::system, "unable to bind socket to ip ", o.addr.ip, " port ",
                    sv::dec(o.addr.port));
    return fd;
}

// Writes what stdout takes now; false if it took nothing (it would block).
bool write_out(socklog::state &s) noexcept
{
    ssize_t const w = ::write(1, s.out.data(), s.len);
    if (w < 0) {
        if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) return false;
        sv::die_sys(sv::exitcode::system, "unable to write to stdout");
    }
    socklog::on_written(s, static_cast<std::size_t>(w));
    return w > 0;
}

// Reads datagrams, a batch per recvmmsg, while the state wants them and the socket has some.
// When the output buffer fills, it is written in between if stdout takes it, so that every
// read takes a whole batch.
void read_socket(socklog::state &s, int fd, bool udp) noexcept
{
    constexpr unsigned max = 32;
    mmsghdr m[max];
    iovec v[max];
    sockaddr_storage peers[max];
    char from[socklog::from_max];
    for (unsigned k; (k = socklog::read_count(s)) != 0;) {
        if (socklog::flush_first(s) && write_out(s)) continue;
        for (unsigned i = 0; i < k; ++i) {
            v[i] = {s.line.data() + i * (s.linelen + 1), s.linelen + 1};
            m[i].msg_hdr = {};
            m[i].msg_hdr.msg_iov = &v[i];
            m[i].msg_hdr.msg_iovlen = 1;
            if (udp) m[i].msg_hdr.msg_name = &peers[i];
            if (udp) m[i].msg_hdr.msg_namelen = sizeof peers[i];
        }
        int const r = ::recvmmsg(fd, m, k, MSG_DONTWAIT, nullptr);
        if (r < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                sv::die_sys(sv::exitcode::system, "unable to recv");
            socklog::on_empty(s);
            return;
        }
        for (int i = 0; i < r; ++i) {
            if (!m[i].msg_len) continue; // an empty datagram: nothing to print
            char *msg = static_cast<char *>(v[i].iov_base);
            socklog::on_datagram(s, msg, m[i].msg_len,
                                 udp ? format_from(peers[i], from) : std::string_view{});
        }
        if (static_cast<unsigned>(r) < k) return; // the socket is empty for now
    }
}

[[noreturn]] void serve(socklog::state &s, int sock, int sigfd, bool udp) noexcept
{
    for (;;) {
        if (socklog::finished(s)) ::_exit(0);
        pollfd p[3] = {{sigfd, POLLIN, 0},
                       {1, static_cast<short>(socklog::want_write(s) ? POLLOUT : 0), 0},
                       {sock, static_cast<short>(socklog::read_count(s) ? POLLIN : 0), 0}};
        // The clock is read only once there is a lame-duck deadline: not once per wake-up.
        std::int64_t const now = s.deadline < 0 ? 0 : sv::mono_ms();
        int const r = ::poll(p, 3, socklog::poll_timeout(s, now));
        if (r < 0 && errno != EINTR) sv::die_sys(sv::exitcode::system, "unable to iopause");
        if (r == 0 && s.deadline >= 0 && sv::mono_ms() >= s.deadline) ::_exit(99);
        if (r <= 0) continue;
        if (p[0].revents & POLLIN) {
            for (int sig; (sig = sv::signal_next(sigfd)) != 0;) {
                if (sig < 0) sv::die_sys(sv::exitcode::system, "unable to selfpipe_read()");
                if (sig == SIGTERM) socklog::on_term(s, sv::mono_ms());
            }
        }
        if (p[1].revents) (void)write_out(s);
        // After SIGTERM, read at once: only an empty socket ends the draining.
        if (p[2].revents || (!s.cont && s.drain)) read_socket(s, sock, udp);
    }
}

} // namespace

int socklog_main(int argc, char **argv)
{
    sv::prog = "s6-socklog";
    options o;
    socklog::state s;
    parse(argc, argv, o, s);
    if (o.notif) {
        if (o.notif < 3) sv::die(sv::exitcode::usage, "notification fd must be 3 or more");
        if (::fcntl(static_cast<int>(o.notif), F_GETFD) < 0)
            sv::die_sys(sv::exitcode::usage, "invalid notification fd");
    }
    ::close(0);
    if (::fcntl(1, F_GETFD) < 0) sv::die_sys(sv::exitcode::usage, "invalid stdout");
    if (::fcntl(2, F_GETFD) < 0) sv::die_sys(sv::exitcode::usage, "invalid stderr");
    int const sock = bind_socket(o);
    sv::apply_uidgid(o.uid, o.gid, o.gids, o.set_list);
    if (!sv::signal_absorb(SIGPIPE)) sv::die_sys(sv::exitcode::system, "unable to ignore SIGPIPE");
    int const sigfd = sv::signal_trap_or_die({SIGTERM});

    // The only allocation once the options are read: both buffers, for the whole run.
    s.batch = socklog::batch_size(s.linelen);
    std::unique_ptr<char[]> line{new char[s.batch * (s.linelen + 1)]};
    std::size_t const outsz = socklog::out_size(s.linelen);
    std::unique_ptr<char[]> out{new char[outsz]};
    s.line = {line.get(), s.batch * (s.linelen + 1)};
    s.out = {out.get(), outsz};

    sv::drop_startup_code(); // before readiness: what is mapped from then on is what runs
    if (o.notif) sv::notify_ready(static_cast<int>(o.notif));
    serve(s, sock, sigfd, o.udp);
}
