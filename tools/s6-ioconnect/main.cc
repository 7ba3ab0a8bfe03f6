// s6-ioconnect [ -t timeout ] [ -r fdr ] [ -w fdw ]
//
// The relay a UCSPI client or server runs to join its own stdin/stdout to a connection, as
// s6 2.11.3.2 has it: bytes from fd 0 go to fdw (7 by default), bytes from fdr (6 by default)
// go to fd 1, both ways at once, through a buffer of 8192 bytes per direction.  When a reader
// reaches end of file the matching writer is closed once its buffer is empty (shut down for
// writing if it is a socket, so the peer sees the end of file while the other direction goes
// on); when a writer fails the whole direction is dropped.  It exits 0 once both directions
// are closed, 1 when nothing moved for -t milliseconds while both buffers were empty.  fdr
// and fdw below 3 are a usage error (100); the deprecated -0 -1 -6 -7 are accepted and
// ignored; SIGTERM makes it try to read both inputs at once, as stock does.
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/fd.hh>
#include <supervise/opts.hh>
#include <supervise/sigtrap.hh>
#include <supervise/tai64n.hh>

namespace {

constexpr std::string_view usage = "s6-ioconnect [ -t timeout ] [ -r fdr ] [ -w fdw ]";
constexpr std::size_t bufsize = 8192;

// One direction: bytes read from `in`, held in buf[start, end), written to `out`.
// All zero at start-up (dirs is set in main), so the shared executable touches no page for it
// unless s6-ioconnect runs.
struct direction
{
    int in, out;
    bool in_sock = false, out_sock = false;
    char buf[bufsize];
    std::size_t start = 0, end = 0;
    bool empty() const noexcept { return start == end; }
    bool full() const noexcept { return end == bufsize && start == 0; }
};

constinit direction dirs[2];

void close_in(direction &d) noexcept
{
    if (d.in_sock) ::shutdown(d.in, SHUT_RD);
    ::close(d.in);
    d.in = -1;
}

void close_out(direction &d) noexcept
{
    if (d.out_sock) ::shutdown(d.out, SHUT_WR);
    ::close(d.out);
    d.out = -1;
}

// Reads what is there; false at end of file or on an error other than EAGAIN (errno is
// EPIPE at end of file, as skalibs reports it).
bool fill(direction &d) noexcept
{
    if (d.start == d.end) d.start = d.end = 0;
    if (d.end == bufsize) { // move the pending bytes to the front to make room
        std::size_t n = d.end - d.start;
        for (std::size_t i = 0; i < n; i++)
            d.buf[i] = d.buf[d.start + i];
        d.start = 0;
        d.end = n;
    }
    ssize_t r = ::read(d.in, d.buf + d.end, bufsize - d.end);
    if (r > 0) {
        d.end += static_cast<std::size_t>(r);
        return true;
    }
    if (r == 0) {
        errno = EPIPE;
        return false;
    }
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

// Writes what it can; false on an error other than EAGAIN.  True and empty when all is out.
bool flush(direction &d) noexcept
{
    while (!d.empty()) {
        ssize_t w = ::write(d.out, d.buf + d.start, d.end - d.start);
        if (w < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        d.start += static_cast<std::size_t>(w);
    }
    d.start = d.end = 0;
    return true;
}

void check_fd(int fd, bool &is_sock) noexcept
{
    struct stat st;
    if (::fstat(fd, &st) < 0) sv::die_sys(sv::exitcode::system, "unable to fstat fd ", sv::dec(fd));
    is_sock = S_ISSOCK(st.st_mode);
    if (!sv::set_nonblock(fd, true))
        sv::die_sys(sv::exitcode::system, "unable to set fd ", sv::dec(fd), " non-blocking");
}

// The writer's turn in one round: flush, and drop the direction when the writer is broken.
void handle_out(direction &d, short revents) noexcept
{
    bool dead = false;
    if (revents & (POLLERR | POLLHUP | POLLNVAL)) {
        if (!d.empty()) {
            int const fd = d.out;
            flush(d);
            sv::warn_sys("unable to write to fd ", sv::dec(fd));
        }
        dead = true;
    } else if (revents & POLLOUT) {
        if (!flush(d)) {
            if (errno != EAGAIN && errno != EWOULDBLOCK) dead = true;
        } else if (d.in < 0) {
            dead = true;
        }
    }
    if (dead) {
        if (d.in >= 0) close_in(d);
        close_out(d);
    }
}

void handle_in(direction &d, short revents) noexcept
{
    if (!(revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))) return;
    if (fill(d)) return;
    if (errno != EPIPE) sv::warn_sys("unable to read from fd ", sv::dec(d.in));
    close_in(d);
    if (d.empty()) close_out(d);
}

} // namespace

int ioconnect_main(int argc, char **argv)
{
    sv::prog = "s6-ioconnect";
    unsigned timeout = 0, fdr = 6, fdw = 7;
    sv::opt_parser opts{argc, argv, "0167t:r:w:"};
    while (int c = opts.next()) {
        switch (c) {
        case '0':
        case '1':
        case '6':
        case '7':
            break; // deprecated, ignored as in stock
        case 't':
            if (!sv::scan_uint(opts.arg(), timeout)) sv::die_usage(usage);
            break;
        case 'r':
            if (!sv::scan_uint(opts.arg(), fdr)) sv::die_usage(usage);
            break;
        case 'w':
            if (!sv::scan_uint(opts.arg(), fdw)) sv::die_usage(usage);
            break;
        default:
            sv::die_usage(usage);
        }
    }
    if (fdr < 3 || fdw < 3 || fdr > 0x7fffffff || fdw > 0x7fffffff) sv::die_usage(usage);
    dirs[0].in = 0;
    dirs[0].out = static_cast<int>(fdw);
    dirs[1].in = static_cast<int>(fdr);
    dirs[1].out = 1;
    for (auto &d : dirs) {
        check_fd(d.in, d.in_sock);
        check_fd(d.out, d.out_sock);
    }
    if (!sv::signal_absorb(SIGPIPE)) sv::die_sys(sv::exitcode::system, "unable to ignore SIGPIPE");
    int const trap = sv::signal_trap_or_die({SIGTERM});

    for (;;) {
        pollfd x[5];
        int xi[2][2] = {{-1, -1}, {-1, -1}}; // [direction][0 in, 1 out] -> index in x
        nfds_t n = 0;
        x[n++] = {trap, POLLIN, 0};
        for (int i = 0; i < 2; i++) {
            direction &d = dirs[i];
            if (d.in >= 0 && !d.full()) {
                xi[i][0] = static_cast<int>(n);
                x[n++] = {d.in, POLLIN, 0};
            }
            if (d.out >= 0) {
                xi[i][1] = static_cast<int>(n);
                x[n++] = {d.out, static_cast<short>(d.empty() ? 0 : POLLOUT), 0};
            }
        }
        if (n == 1) break;
        int const wait = timeout && dirs[0].empty() && dirs[1].empty()
                             ? static_cast<int>(timeout > 0x7fffffff ? 0x7fffffff : timeout)
                             : -1;
        int r = ::poll(x, n, wait);
        if (r < 0) {
            if (errno == EINTR) continue;
            sv::die_sys(sv::exitcode::system, "unable to iopause");
        }
        if (r == 0) return sv::exitcode::negative;

        if (x[0].revents & POLLIN) {
            for (;;) {
                int sig = sv::signal_next(trap);
                if (sig < 0) sv::die_sys(sv::exitcode::system, "unable to read signals");
                if (sig == 0) break;
                for (int i = 0; i < 2; i++)
                    if (xi[i][0] >= 0) x[xi[i][0]].revents |= POLLERR;
            }
        }
        for (int i = 0; i < 2; i++)
            if (xi[i][1] >= 0) handle_out(dirs[i], x[xi[i][1]].revents);
        for (int i = 0; i < 2; i++)
            if (xi[i][0] >= 0 && dirs[i].in >= 0) handle_in(dirs[i], x[xi[i][0]].revents);
    }
    return sv::exitcode::ok;
}
