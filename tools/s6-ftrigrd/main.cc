// s6-ftrigrd: the helper behind libs6's ftrigr_* functions, as s6 2.11.3.2's s6-ftrigrd.  A
// client that calls ftrigr_startf() (stock s6-svwait, s6-svlisten1, s6-ftrig-wait, s6-rc,
// s6-linux-init...) spawns /usr/bin/s6-ftrigrd with pipes on fds 0 and 1 and a third pipe
// named by SKALIBS_CHILD_SPAWN_FDS; after the textclient handshake ("ftrigr v1.0 (b)\n" in,
// "ftrigr v1.0 (a)\n" out on both channels, 2 seconds allowed) it takes subscribe and
// unsubscribe requests, answers each with an errno byte, keeps one FIFO per subscription in
// the fifodir asked for, and sends an event to the client whenever what arrived matches the
// subscription's regex (supervise/ftrigr.hh has the bytes, supervise/ftrigsub.hh the matching
// rules).  It exits 0 when the client closes the connection, removing its FIFOs; 100 on a
// request that is not ftrigr ("invalid client request"); 111 on a system error; 1, silently,
// if the event channel breaks.
//
// It is one of the programs of the shared executable (tools/entries.hh): installed as a link
// to s6-supervise, so that an idle helper shares its pages with the supervision tree it runs
// beside instead of being charged, as a static binary alone in its file, for all of its text.
//
// Differences from stock, on purpose: answers and events are written as soon as they are
// queued instead of on the next wake-up (one poll round trip less per event); memory is
// bounded (fixed queues: when the client does not read its events, the FIFOs are left unread
// and the kernel holds the bytes, where stock grows its heap; a request over 16 KiB is
// refused with exit 111; see ftrigsub.hh for the history cap); the socket mode of skalibs'
// textclient (ftrigr_start on a Unix socket) is not served.
#include <cerrno>
#include <csignal>
#include <poll.h>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/ftrigr.hh>
#include <supervise/tai64n.hh>
#include <supervise/textclient.hh>

#include "entries.hh"
#include "state.hh"

namespace {

constexpr std::int64_t handshake_ms = 2000;

// The queues.  Requests: the largest a client sends is a path (PATH_MAX) and a regex.  All of
// this is constant-initialized, so the other programs of the shared executable never touch it.
char in_buf[16384 + sv::text_header_size];
char answer_buf[64 * ftd::answer_cost];
char event_buf[8192];
constinit sv::text_server server{sv::text_receiver{in_buf}, sv::text_sender{answer_buf},
                                 sv::text_sender{event_buf}};
constinit ftd::helper helper;
pollfd fds[3 + sv::ftrigr_max];

// Leaves with code after removing every FIFO, as stock does on every exit path.
[[noreturn]] void leave(int code) noexcept
{
    ftd::clear(helper);
    _exit(code);
}

[[noreturn]] void fail_sys(int code, std::string_view what) noexcept
{
    int const e = errno;
    ftd::clear(helper);
    errno = e;
    sv::die_sys(code, "unable to ", what);
}

// Writes out what can be written now.  A broken answer channel is fatal (111); a broken event
// channel ends the helper with 1 and no message, as stock does.
void flush_all() noexcept
{
    if (!server.sync.empty() && !server.sync.flush() && errno != EAGAIN)
        fail_sys(sv::exitcode::system, "flush stdout");
    if (!server.async.empty() && !server.async.flush() && errno != EAGAIN) leave(1);
}

// Handles the complete requests waiting in the input buffer, as long as answers fit.
void take_requests() noexcept
{
    std::string_view msg;
    while (ftd::can_take_request(helper)) {
        switch (server.in.next(msg)) {
        case sv::text_receiver::result::incomplete: return;
        case sv::text_receiver::result::too_big:
            errno = EMSGSIZE;
            fail_sys(sv::exitcode::system, "handle messages from client");
        case sv::text_receiver::result::message: break;
        }
        if (ftd::handle_request(helper, msg) == ftd::outcome::invalid) {
            ftd::clear(helper);
            sv::die(sv::exitcode::usage, "invalid client request");
        }
    }
}

} // namespace

int ftrigrd_main(int, char **)
{
    sv::prog = "s6-ftrigrd";
    if (std::signal(SIGPIPE, SIG_IGN) == SIG_ERR)
        sv::die_sys(sv::exitcode::system, "unable to ignore SIGPIPE");
    if (!sv::text_server_init(server, environ, sv::ftrigr_banner1, sv::ftrigr_banner2,
                              sv::mono_ms() + handshake_ms))
        sv::die_sys(sv::exitcode::system, "unable to sync with client");
    ftd::init(helper, server.sync, server.async);
    take_requests(); // anything the client sent right behind its banner
    flush_all();

    short const hangup = POLLERR | POLLHUP | POLLNVAL;
    for (;;) {
        fds[0] = {0, static_cast<short>(ftd::can_take_request(helper) ? POLLIN : 0), 0};
        fds[1] = {1, static_cast<short>(server.sync.empty() ? 0 : POLLOUT), 0};
        fds[2] = {server.async.fd(), static_cast<short>(server.async.empty() ? 0 : POLLOUT), 0};
        short const fifo_events = ftd::can_read_fifo(helper) ? POLLIN : 0;
        for (std::size_t i = 0; i < helper.n; i++) {
            helper.subs[i]->pollidx = 3 + i;
            fds[3 + i] = {helper.subs[i]->sub.fd(), fifo_events, 0};
        }
        if (::poll(fds, 3 + helper.n, -1) < 0) {
            if (errno == EINTR) continue;
            fail_sys(sv::exitcode::system, "poll");
        }

        // The client closed the connection (or its end of the answers): done.
        if ((fds[0].revents | fds[1].revents) & hangup) leave(0);
        if (fds[2].revents & (POLLOUT | hangup)) flush_all();

        // A removal moves the last subscription into the hole: look at index i again.
        for (std::size_t i = 0; i < helper.n; i++) {
            if (!(fds[helper.subs[i]->pollidx].revents & (POLLIN | hangup))) continue;
            if (ftd::handle_fifo(helper, i)) i--;
        }

        if (fds[0].revents & POLLIN) {
            ssize_t const r = server.in.fill();
            if (r == 0) leave(0); // EOF: the normal end
            if (r < 0 && errno != EAGAIN && errno != ENOBUFS)
                fail_sys(sv::exitcode::system, "handle messages from client");
        }
        take_requests();
        flush_all();
    }
}
