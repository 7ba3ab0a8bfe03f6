// s6lockd: the lock daemon behind libs6's s6lock_* functions, as s6 2.11.3.2's documentation
// describes it.  A client that calls s6lock_startf(lockdir) spawns /usr/bin/s6lockd LOCKDIR
// with the skalibs textclient pipes (supervise/textclient.hh); after the handshake
// ("s6lock v1.0 (b)\n" in, "s6lock v1.0 (a)\n" out, 2 seconds allowed) it takes acquire and
// release requests (supervise/s6lock.hh has the bytes), answers each with an errno byte, and
// for every acquire starts an s6lockd-helper (supervise/lockhelper.hh) that waits for a shared
// or exclusive lock on the file under LOCKDIR and holds it.  It tells the client on the
// asynchronous channel when a lock comes (0), when its limit passed first (ETIMEDOUT, and the
// helper is killed), or when a helper failed or died (EPIPE, EPROTO).  A release kills the
// helper, which drops the lock.  It exits 0 when the client closes the connection or on
// SIGTERM, SIGINT, SIGHUP, SIGQUIT or SIGABRT, killing every helper first; 100 on usage or a
// request that is not s6lock ("invalid client request"); 111 on a system error.
//
// Stock s6lockd 2.11.3.2 is broken: it answers EPROTO to every acquire libs6 sends (its length
// check is one byte short) and, with that corrected, fails to start its helper (EBADF).  This
// one does what the documentation says.  Other differences, on purpose: an acquire for an id
// that is still in use is answered EEXIST (stock keeps both, and a release then picks one);
// memory is reserved at start (65536 slots, one per 16-bit id; a request longer than 8 KiB
// ends the daemon with exit 111); a helper that speaks twice loses its lock (EPROTO); the
// socket mode of skalibs' textclient (s6lock_start on a Unix socket) is not served, as it is
// not by stock.
#include <cerrno>
#include <csignal>
#include <memory>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/lockhelper.hh>
#include <supervise/s6lock.hh>
#include <supervise/sibling.hh>
#include <supervise/sigtrap.hh>
#include <supervise/tai64n.hh>
#include <supervise/textclient.hh>

#include "state.hh"

#ifndef S6PP_LIBEXECDIR
#define S6PP_LIBEXECDIR "/usr/local/libexec/s6pp"
#endif

namespace {

constexpr std::int64_t handshake_ms = 2000;

// The queues: a request is at most a path; answers go one per request; events are what the
// client has not read yet (see lkd::can_send_event).
char in_buf[8192];
char answer_buf[64 * lkd::answer_cost];
char event_buf[4096 * lkd::event_cost];
sv::text_server server{sv::text_receiver{in_buf}, sv::text_sender{answer_buf},
                       sv::text_sender{event_buf}};
lkd::table table;
pollfd fds[4 + lkd::max_locks];
constinit sv::path_buf helper_path;

// Leaves with code after stopping every helper, as stock does on every exit path.
[[noreturn]] void leave(int code) noexcept
{
    lkd::clear(table);
    _exit(code);
}

[[noreturn]] void fail_sys(std::string_view what) noexcept
{
    int const e = errno;
    lkd::clear(table);
    errno = e;
    sv::die_sys(sv::exitcode::system, "unable to ", what);
}

void flush_all() noexcept
{
    if (!server.sync.empty() && !server.sync.flush() && errno != EAGAIN) fail_sys("flush stdout");
    if (!server.async.empty() && !server.async.flush() && errno != EAGAIN)
        fail_sys("flush asyncout");
}

// Handles the complete requests waiting in the input buffer, as long as answers fit.
void take_requests() noexcept
{
    std::string_view msg;
    while (lkd::can_take_request(table)) {
        switch (server.in.next(msg)) {
        case sv::text_receiver::result::incomplete: return;
        case sv::text_receiver::result::too_big:
            errno = EMSGSIZE;
            fail_sys("handle messages from client");
        case sv::text_receiver::result::message: break;
        }
        if (lkd::handle_request(table, msg) == lkd::outcome::invalid) {
            lkd::clear(table);
            sv::die(sv::exitcode::usage, "invalid client request");
        }
    }
}

void handle_signals(int sigfd) noexcept
{
    for (;;) {
        int const sig = sv::signal_next(sigfd);
        if (sig < 0) fail_sys("read signals");
        if (sig == 0) return;
        if (sig != SIGCHLD) leave(0);
        while (::waitpid(-1, nullptr, WNOHANG) > 0) {
        }
    }
}

} // namespace

// The seam, with the real system calls.
namespace lkd::sys {
std::int64_t now_ms() noexcept { return sv::mono_ms(); }
sv::tain now_tain() noexcept { return sv::tain_now(); }
bool start_helper(char const *path, bool exclusive, sv::lockhelper_child &out) noexcept
{
    return sv::lockhelper_start(helper_path.c_str(), path, exclusive, out);
}
void stop_helper(pid_t pid) noexcept { ::kill(pid, SIGTERM); }
} // namespace lkd::sys

int s6lockd_main(int argc, char **argv)
{
    sv::prog = "s6lockd";
    if (argc < 2) sv::die_usage("s6lockd lockdir");
    if (::chdir(argv[1]) < 0) sv::die_sys(sv::exitcode::system, "unable to chdir to ", argv[1]);
    // Before anything else, as stock does (and with its wording): both ends must be open.
    if (!sv::set_nonblock(0, true)) sv::die_sys(sv::exitcode::system, "unable to ndelay_on 0");
    if (!sv::set_nonblock(1, true)) sv::die_sys(sv::exitcode::system, "unable to ndelay_on 1");
    // Our own helper: next to this executable, else in the compiled-in libexec directory.
    if (!sv::sibling_path(sv::lockhelper_name, S6PP_LIBEXECDIR, helper_path))
        sv::die_sys(sv::exitcode::system, "unable to find ", sv::lockhelper_name);
    if (!sv::signal_absorb(SIGPIPE)) sv::die_sys(sv::exitcode::system, "unable to ignore SIGPIPE");
    int const sigfd =
        sv::signal_trap_or_die({SIGCHLD, SIGTERM, SIGQUIT, SIGHUP, SIGABRT, SIGINT});
    if (!sv::text_server_init(server, environ, sv::s6lock_banner1, sv::s6lock_banner2,
                              sv::mono_ms() + handshake_ms))
        sv::die_sys(sv::exitcode::system, "unable to sync with client");
    // Reserved once, never constructed as a whole: pages are touched as slots are used.
    lkd::init(table, std::allocator<lkd::slot>().allocate(lkd::max_locks), server.sync,
              server.async);
    take_requests(); // anything the client sent right behind its banner
    flush_all();

    short const hangup = POLLERR | POLLHUP | POLLNVAL;
    for (;;) {
        bool const room = lkd::can_send_event(table);
        // An fd we do not want to hear from now is left out (-1), not just asked for no
        // events: poll() reports a hang-up whatever is asked, and that would spin the loop.
        // A hang-up on the asynchronous channel shows up when there is something to write.
        fds[0] = {lkd::can_take_request(table) ? 0 : -1, POLLIN, 0};
        fds[1] = {1, static_cast<short>(server.sync.empty() ? 0 : POLLOUT), 0};
        fds[2] = {server.async.empty() ? -1 : server.async.fd(), POLLOUT, 0};
        fds[3] = {sigfd, POLLIN, 0};
        for (std::size_t i = 0; i < table.n; i++)
            fds[4 + i] = {room ? table.tab[i].ack.get() : -1, POLLIN, 0};
        std::int64_t const deadline = room ? lkd::next_deadline(table) : -1;
        int const r = ::poll(fds, 4 + table.n, sv::poll_timeout(deadline, sv::mono_ms()));
        if (r < 0) {
            if (errno == EINTR) continue;
            fail_sys("poll");
        }

        // The client stopped reading answers: done.  (Its end of the requests closing shows up
        // as EOF below, once whatever it sent before is handled.)
        if (fds[1].revents & hangup) leave(0);
        if (fds[2].revents & (POLLOUT | hangup)) flush_all();

        // Helpers, before the limits: a lock that came in time is not timed out.  The poll
        // array is not renumbered by a removal, so walk it backwards by slot: a removal moves
        // the last slot (already seen) into the hole.
        std::size_t const polled = table.n;
        for (std::size_t i = polled; i-- > 0;)
            if (i < table.n && fds[4 + i].revents & (POLLIN | hangup))
                lkd::handle_helper(table, i);
        lkd::expire(table, sv::mono_ms());

        if (fds[3].revents & POLLIN) handle_signals(sigfd);

        if (fds[0].revents & (POLLIN | hangup)) {
            ssize_t const n = server.in.fill();
            if (n == 0) leave(0); // EOF: the normal end
            if (n < 0 && errno != EAGAIN && errno != ENOBUFS)
                fail_sys("handle messages from client");
        }
        take_requests();
        flush_all();
    }
}
