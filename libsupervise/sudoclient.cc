#include <supervise/sudoclient.hh>

#include <cerrno>
#include <cstdint>
#include <string>
#include <string_view>

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/fd.hh>
#include <supervise/sudo.hh>
#include <supervise/tai64n.hh>
#include <supervise/unixmessage.hh>

namespace sv {

namespace {

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
        int const t = deadline < 0 ? -1 : poll_timeout(deadline, mono_ms());
        int const pr = ::poll(&p, 1, t);
        if (pr == 0) {
            errno = ETIMEDOUT;
            return got;
        }
        if (pr < 0 && errno != EINTR) return got;
    }
    return got;
}

std::int64_t deadline_in(unsigned ms) noexcept { return ms ? mono_ms() + ms : -1; }

void expect_banner(int rfd, std::int64_t deadline) noexcept
{
    char banner[sudo_banner_server.size()];
    std::size_t const r = read_until(rfd, banner, sizeof banner, deadline);
    if (r == 0 && errno == EPIPE)
        die(exitcode::system, "unable to connect to the s6-sudod server - check that "
                              "you have appropriate permissions");
    if (r < sizeof banner) die_sys(exitcode::system, "unable to read banner from s6-sudod");
    if (std::string_view(banner, sizeof banner) != sudo_banner_server)
        die(exitcode::usage, "wrong banner - check that you are connecting to a s6-sudod server");
}

} // namespace

int sudo_client_run(int rfd, int wfd, std::span<char const *const> args,
                    std::span<char const *const> env, sudo_client_opts const &o) noexcept
{
    if (!set_nonblock(rfd, true) || !set_nonblock(wfd, true))
        die_sys(exitcode::system, "unable to make socket non-blocking");
    ensure_std_fds();

    std::int64_t const deadline = deadline_in(o.timeout_conn);
    expect_banner(rfd, deadline);
    {
        std::string const req = sudo_request_pack(args, env);
        int const fds[] = {0, 1, 2};
        if (!umsg_send(wfd, req, fds, deadline))
            die_sys(exitcode::system, "unable to send args to server");
        ::close(0);
        ::close(1);
    }
    char c;
    if (read_until(rfd, &c, 1, deadline) < 1)
        die_sys(exitcode::system, "unable to get confirmation from server");
    if (c) {
        errno = static_cast<unsigned char>(c);
        die_sys(exitcode::system, "unable to start privileged program: server answered: ");
    }
    char pack[4];
    if (read_until(rfd, pack, sizeof pack, deadline_in(o.timeout_run)) < sizeof pack)
        die_sys(exitcode::system, "unable to get exit status from server");
    unsigned const w = sudo_status_unpack(pack);
    if (WIFSIGNALED(w)) return 128 + WTERMSIG(w);
    return WEXITSTATUS(w) >= 128 ? 128 : WEXITSTATUS(w);
}

} // namespace sv
