// s6-sudoc [ -e ] [ -t timeoutconn ] [ -T timeoutrun ] [ args... ]: the client side of
// s6-sudo, as in s6 2.11.3.2.  It runs under s6-ipcclient (the connection on fds 6 and 7),
// waits for s6-sudod's banner, sends it args, its environment (not with -e) and its fds 0, 1
// and 2 (libsupervise/sudo.hh has the protocol), then waits for the program's end and exits
// with its code, or 128 + the signal that killed it.  -t bounds everything up to the
// server's confirmation, -T the run (milliseconds; 0 = no limit).
#include <cerrno>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/fd.hh>
#include <supervise/opts.hh>
#include <supervise/sudo.hh>
#include <supervise/tai64n.hh>
#include <supervise/unixmessage.hh>

extern char **environ;

namespace {

constexpr std::string_view usage = "s6-sudoc [ -e ] [ -t timeoutconn ] [ -T timeoutrun ] [ args... ]";

// Reads exactly n bytes from the non-blocking fd into out before the deadline (ms, -1 =
// none).  The count read; short with errno set: EPIPE at EOF, ETIMEDOUT, or a read error.
std::size_t read_until(int fd, char *out, std::size_t n, std::int64_t deadline) noexcept
{
    std::size_t got = 0;
    while (got < n) {
        ssize_t const r = ::read(fd, out + got, n - got);
        if (r > 0) {
            got += static_cast<std::size_t>(r);
            continue;
        }
        if (r == 0) {
            errno = EPIPE;
            return got;
        }
        if (errno == EINTR) continue;
        if (errno != EAGAIN) return got;
        pollfd p{fd, POLLIN, 0};
        int const t = deadline < 0 ? -1 : sv::poll_timeout(deadline, sv::mono_ms());
        int const pr = ::poll(&p, 1, t);
        if (pr == 0) {
            errno = ETIMEDOUT;
            return got;
        }
        if (pr < 0 && errno != EINTR) return got;
    }
    return got;
}

std::int64_t deadline_in(unsigned ms) noexcept { return ms ? sv::mono_ms() + ms : -1; }

} // namespace

int main(int argc, char **argv)
{
    sv::prog = "s6-sudoc";
    unsigned t = 0, T = 0;
    bool doenv = true;
    sv::opt_parser opts{argc, argv, "et:T:"};
    while (int c = opts.next()) {
        switch (c) {
        case 'e': doenv = false; break;
        case 't':
            if (!sv::scan_uint(opts.arg(), t)) sv::die_usage(usage);
            break;
        case 'T':
            if (!sv::scan_uint(opts.arg(), T)) sv::die_usage(usage);
            break;
        default: sv::die_usage(usage);
        }
    }
    auto const args = opts.operands();
    if (!sv::set_nonblock(6, true) || !sv::set_nonblock(7, true))
        sv::die_sys(sv::exitcode::system, "unable to make socket non-blocking");
    sv::ensure_std_fds();

    std::int64_t deadline = deadline_in(t);
    {
        char banner[sv::sudo_banner_server.size()];
        std::size_t const r = read_until(6, banner, sizeof banner, deadline);
        if (r == 0 && errno == EPIPE)
            sv::die(sv::exitcode::system, "unable to connect to the s6-sudod server - check that "
                                          "you have appropriate permissions");
        if (r < sizeof banner) sv::die_sys(sv::exitcode::system, "unable to read banner from s6-sudod");
        if (std::string_view(banner, sizeof banner) != sv::sudo_banner_server)
            sv::die(sv::exitcode::usage,
                    "wrong banner - check that you are connecting to a s6-sudod server");
    }
    {
        std::size_t envc = 0;
        if (doenv)
            while (environ[envc]) envc++;
        std::string const req = sv::sudo_request_pack(
            {args.data(), args.size()}, {const_cast<char const *const *>(environ), envc});
        int const fds[] = {0, 1, 2};
        if (!sv::umsg_send(7, req, fds, deadline))
            sv::die_sys(sv::exitcode::system, "unable to send args to server");
        // The server has its own copies of our stdin and stdout now.
        ::close(0);
        ::close(1);
    }
    {
        char c;
        if (read_until(6, &c, 1, deadline) < 1)
            sv::die_sys(sv::exitcode::system, "unable to get confirmation from server");
        if (c) {
            errno = static_cast<unsigned char>(c);
            sv::die_sys(sv::exitcode::system, "unable to start privileged program: server answered: ");
        }
    }
    char pack[4];
    if (read_until(6, pack, sizeof pack, deadline_in(T)) < sizeof pack)
        sv::die_sys(sv::exitcode::system, "unable to get exit status from server");
    unsigned const w = sv::sudo_status_unpack(pack);
    if (WIFSIGNALED(w)) return 128 + WTERMSIG(w);
    return WEXITSTATUS(w) >= 128 ? 128 : WEXITSTATUS(w);
}
