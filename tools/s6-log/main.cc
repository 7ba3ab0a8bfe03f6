// s6-log: reads lines on stdin and runs them through a logging script (s6 2.11.3.2).
//
// Mirrors s6-log's interface and behaviour: the options (-d -q -v -b -p -l), the script
// language (libsupervise/logscript), 2.11's line splitting (a line ends at '\n' or NUL; longer
// than linelimit it is cut), per-line stamps, the actions 1 2 = and logdirs, the signals
// (ALRM rotates, TERM/HUP finish after the current line, -p ignores TERM), and the rule that
// no accepted byte is ever dropped: failed writes are retried every r ms, for ever, and
// s6-log does not exit while anything is pending.  The logdir engine is in state.cc.
//
// Performance comes from doing the same work with fewer copies and syscalls: a large read
// buffer, lines processed in place, one append per record into each logdir's queue, and
// large writes cut at the rotation point.  The wall clock is read once per line, as s6 does.
#include "s6log.hh"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include <supervise/diag.hh>
#include <supervise/fd.hh>
#include <supervise/opts.hh>
#include <supervise/tai64n.hh>
#include <supervise/timestamp.hh>

namespace {

namespace ls = sv::logscript;
using s6log::logdir;
using s6log::verbosity;

constexpr std::string_view usage =
    "s6-log [ -d notif ] [ -q | -v ] [ -b ] [ -p ] [ -l linelimit ] [ -- ] logging_script";

// The whole state of the running logger.
struct logger
{
    ls::script const *sc = nullptr;
    std::vector<logdir> lds;
    std::size_t linelimit = ls::default_linelimit;
    bool block = false, protect = false;
    bool exiting = false, draining = false; // draining: TERM/HUP seen, finishing the line
    bool stdout_open = true;
    s6log::queue out1; // the stdout buffer
    int sigfd = -1;

    // stdin buffer: unprocessed bytes in [start, end); one spare byte after end.
    char *in = nullptr;
    std::size_t cap = 0, start = 0, end = 0;
    bool have_nul = false;

    // Stamps of the line being processed.
    sv::tai_stamper tai;
    sv::iso_stamper iso;
    char tstamp[sv::tain_label_size + 1];
    char hstamp[sv::iso_stamp_max + 2];
    std::size_t hlen = 0;

    std::size_t pieces(iovec *v, ls::action const &a, char const *line, std::size_t len,
                       char const *tail, std::size_t taillen) noexcept
    {
        std::size_t k = 0;
        if (a.tai) v[k++] = {tstamp, sizeof tstamp};
        if (a.iso) v[k++] = {hstamp, hlen};
        if (!a.prefix.empty()) {
            v[k++] = {const_cast<char *>(a.prefix.data()), a.prefix.size()};
            v[k++] = {const_cast<char *>(" "), 1};
        }
        v[k++] = {const_cast<char *>(line), len};
        v[k++] = {const_cast<char *>(tail), taillen};
        return k;
    }

    void append(s6log::queue &q, ls::action const &a, char const *line, std::size_t len) noexcept
    {
        std::size_t total = len + 1;
        if (a.tai) total += sizeof tstamp;
        if (a.iso) total += hlen;
        if (!a.prefix.empty()) total += a.prefix.size() + 1;
        char *d = q.reserve(total);
        if (a.tai) d = static_cast<char *>(std::memcpy(d, tstamp, sizeof tstamp)) + sizeof tstamp;
        if (a.iso) d = static_cast<char *>(std::memcpy(d, hstamp, hlen)) + hlen;
        if (!a.prefix.empty()) {
            d = static_cast<char *>(std::memcpy(d, a.prefix.data(), a.prefix.size())) +
                a.prefix.size();
            *d++ = ' ';
        }
        std::memcpy(d, line, len);
        d[len] = '\n';
        q.commit(total);
    }

    void alert(ls::action const &a, char const *line, std::size_t len) noexcept
    {
        bool dots;
        std::size_t keep = ls::alert_keep(len, a.size, dots);
        iovec v[8];
        v[0] = {const_cast<char *>(sv::prog.data()), sv::prog.size()};
        v[1] = {const_cast<char *>(": alert: "), 9};
        std::size_t k = 2 + pieces(v + 2, a, line, keep, dots ? "...\n" : "\n", dots ? 4 : 1);
        writev_all(2, v, k); // blocks if stderr blocks, as s6's does
    }

    void status(ls::action const &a, char const *line, std::size_t len) noexcept
    {
        iovec v[8];
        std::size_t k = pieces(v, a, line, len, "\n", 1), total = 0;
        for (std::size_t i = 0; i < k; i++)
            total += v[i].iov_len;
        std::size_t pad;
        std::size_t keep = ls::status_layout(total, a.size, pad);
        // Cut the pieces to keep bytes.
        std::size_t n = 0, left = keep;
        for (; n < k && left; n++) {
            if (v[n].iov_len > left) v[n].iov_len = left;
            left -= v[n].iov_len;
        }
        char *padbuf = nullptr;
        if (pad) {
            padbuf = static_cast<char *>(std::malloc(pad));
            if (!padbuf) sv::die_sys(111, "unable to allocate memory");
            std::memset(padbuf, '\n', pad);
            v[n++] = {padbuf, pad};
        }
        sv::path_buf tmp(a.target, ".new");
        int fd = tmp.ok() ? open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NONBLOCK | O_CLOEXEC,
                                 0666)
                          : -1;
        bool ok = fd >= 0;
        if (!tmp.ok()) errno = ENAMETOOLONG;
        if (ok) {
            ok = writev_all(fd, v, n);
            close(fd);
            ok = ok && rename(tmp.c_str(), a.target.data()) == 0;
        }
        std::free(padbuf);
        if (!ok && verbosity) sv::warn_sys("unable to write status file ", a.target);
    }

    static bool writev_all(int fd, iovec *v, std::size_t n) noexcept
    {
        while (n) {
            ssize_t r = writev(fd, v, static_cast<int>(n));
            if (r < 0) {
                if (errno == EINTR) continue;
                if (errno != EAGAIN) return false;
                pollfd p{fd, POLLOUT, 0};
                poll(&p, 1, -1);
                continue;
            }
            auto done = static_cast<std::size_t>(r);
            while (n && done >= v->iov_len) {
                done -= v->iov_len;
                v++;
                n--;
            }
            if (n) {
                v->iov_base = static_cast<char *>(v->iov_base) + done;
                v->iov_len -= done;
            }
        }
        return true;
    }

    void act(ls::action const &a, char const *line, std::size_t len) noexcept
    {
        switch (a.type) {
        case ls::act_type::logdir:
            append(lds[a.logdir].out, a, line, len);
            break;
        case ls::act_type::out1:
            if (stdout_open) append(out1, a, line, len);
            break;
        case ls::act_type::alert:
            alert(a, line, len);
            break;
        case ls::act_type::status:
            status(a, line, len);
            break;
        }
    }

    // One input line (line[len] is a byte of the buffer: we may put a NUL there).
    void run_line(char *line, std::size_t len) noexcept
    {
        if (sc->any_tai || sc->any_iso) {
            timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            if (sc->any_tai) {
                tai.fmt(tstamp, ts);
                tstamp[sv::tain_label_size] = ' ';
            }
            if (sc->any_iso) {
                hlen = iso.fmt(hstamp, ts);
                hstamp[hlen++] = ' ';
                hstamp[hlen++] = ' ';
            }
        }
        if (!sc->any_select) {
            for (auto const &a : sc->acts)
                act(a, line, len);
            return;
        }
        char saved = line[len];
        line[len] = 0; // regexec wants a C string
        ls::select(*sc, line, [&](std::size_t g) {
            auto const &gr = sc->groups[g];
            for (auto i = gr.act_begin; i < gr.act_end; i++)
                act(sc->acts[i], line, len);
        });
        line[len] = saved;
    }

    // Runs every complete line (or linelimit piece) in the buffer.
    void process() noexcept
    {
        std::size_t len, used;
        while (start < end &&
               ls::next_line(in + start, end - start, linelimit, have_nul, len, used)) {
            run_line(in + start, len);
            start += used;
        }
        if (start == end) {
            start = end = 0;
            have_nul = false;
        } else if (have_nul)
            have_nul = std::memchr(in + start, 0, end - start);
    }

    void prepare_to_exit() noexcept
    {
        close(0);
        exiting = true;
    }

    // The partial line, with a newline added: at the end of stdin, or when it breaks.
    void last_line() noexcept
    {
        if (start == end) return;
        in[end] = '\n';
        run_line(in + start, end - start);
        start = end = 0;
    }

    void read_stdin() noexcept
    {
        if (draining) return read_last();
        if (start && cap - end < cap / 4) {
            std::memmove(in, in + start, end - start);
            end -= start;
            start = 0;
        }
        if (end + 1 >= cap) grow();
        ssize_t r = read(0, in + end, cap - 1 - end);
        if (r < 0) {
            if (errno == EINTR || errno == EAGAIN) return;
            if (errno != EPIPE && verbosity) sv::warn_sys("unable to read from stdin");
            last_line();
            prepare_to_exit();
            return;
        }
        if (!r) {
            // An unterminated last line is logged with a newline added, as newer s6 does and
            // as the SIGTERM path does; s6 2.11.3.2 silently drops it here.
            last_line();
            prepare_to_exit();
            return;
        }
        if (!have_nul && std::memchr(in + end, 0, static_cast<std::size_t>(r))) have_nul = true;
        end += static_cast<std::size_t>(r);
        process();
    }

    // After TERM/HUP: finish the pending line one byte at a time, so that nothing after it
    // is taken from stdin (the next reader gets it).
    void read_last() noexcept
    {
        for (;;) {
            if (end + 1 >= cap) grow();
            char c;
            ssize_t r = read(0, &c, 1);
            if (r < 0) {
                if (errno == EINTR) continue;
                if (errno == EAGAIN) return;
                if (errno != EPIPE && verbosity) sv::warn_sys("unable to read from stdin");
                last_line();
                return prepare_to_exit();
            }
            if (!r) {
                last_line();
                return prepare_to_exit();
            }
            if (c == '\n' || !c) {
                run_line(in + start, end - start);
                start = end = 0;
                return prepare_to_exit();
            }
            in[end++] = c;
            if (linelimit && end - start > linelimit) {
                if (verbosity) sv::warn("input line too long, stopping before the end");
                last_line();
                return prepare_to_exit();
            }
        }
    }

    void grow() noexcept
    {
        std::size_t ncap = cap * 2;
        auto *n = static_cast<char *>(std::realloc(in, ncap));
        if (!n) sv::die_sys(111, "unable to allocate memory");
        in = n;
        cap = ncap;
    }

    void flush_stdout() noexcept
    {
        while (out1.size()) {
            ssize_t r = write(1, out1.data(), out1.size());
            if (r < 0) {
                if (errno == EINTR) continue;
                if (errno == EAGAIN) return;
                // Printed at any verbosity, as s6 does.
                sv::warn_sys("unable to write to stdout, closing the stream - error was");
                close(1);
                stdout_open = false;
                out1.clear();
                return;
            }
            out1.consume(static_cast<std::size_t>(r));
        }
    }

    void handle_signals() noexcept
    {
        signalfd_siginfo si;
        while (read(sigfd, &si, sizeof si) == sizeof si) {
            switch (si.ssi_signo) {
            case SIGALRM:
                for (auto &ld : lds)
                    if (ld.state == s6log::rot::writable && ld.b) s6log::rotation_start(ld);
                break;
            case SIGTERM:
                if (protect) break;
                [[fallthrough]];
            case SIGHUP:
                if (exiting) break;
                draining = true;
                if (start == end) prepare_to_exit();
                break;
            case SIGCHLD:
                for (;;) {
                    int wstat;
                    pid_t pid = waitpid(-1, &wstat, WNOHANG);
                    if (pid <= 0) break;
                    for (auto &ld : lds)
                        if (ld.pid == pid) s6log::processor_died(ld, wstat);
                }
                break;
            }
        }
    }

    void loop() noexcept
    {
        for (;;) {
            std::int64_t now = sv::mono_ms(), wake = s6log::never;
            bool busy = false;
            for (auto &ld : lds) {
                if (ld.busy() && ld.deadline <= now) s6log::rotate_or_flush(ld);
                if (!ld.busy()) continue;
                busy = true;
                if (ld.deadline < wake) wake = ld.deadline;
            }
            if (out1.size()) {
                flush_stdout();
                if (out1.size()) busy = true;
            }
            if (exiting && !busy) return;
            pollfd x[3];
            nfds_t n = 0;
            x[n++] = {sigfd, POLLIN, 0};
            int i1 = -1, i0 = -1;
            if (out1.size()) {
                i1 = static_cast<int>(n);
                x[n++] = {1, POLLOUT, 0};
            }
            if (!exiting && !(block && busy)) {
                i0 = static_cast<int>(n);
                x[n++] = {0, POLLIN, 0};
            }
            int r = poll(x, n, wake == s6log::never ? -1 : sv::poll_timeout(wake, now));
            if (r < 0) {
                if (errno == EINTR) continue;
                sv::die_sys(111, "unable to iopause");
            }
            if (x[0].revents & POLLIN) handle_signals();
            if (i1 >= 0 && x[i1].revents) flush_stdout();
            if (i0 >= 0 && x[i0].revents && !exiting) {
                if (x[i0].revents & (POLLIN | POLLHUP))
                    read_stdin();
                else {
                    prepare_to_exit();
                    last_line();
                }
            }
        }
    }
};

[[noreturn]] void die_script(ls::script const &sc, char const *const *args)
{
    char const *d = args[sc.err_at];
    switch (sc.err) {
    case ls::error::syntax:
        sv::die(100, "syntax error at directive: ", d);
    case ls::error::no_action:
        sv::die(100, "no action directive specified");
    case ls::error::conflict:
        sv::die(100, "directive ", d, " conflicts with previous s directive");
    case ls::error::nomem:
        errno = ENOMEM;
        sv::die_sys(111, "unable to initialize script");
    default:
        sv::die(100, "unrecognized directive: ", d);
    }
}

} // namespace

int main(int argc, char **argv)
{
    sv::prog = "s6-log";
    logger lg;
    int notif = -1;
    sv::opt_parser opts{argc, argv, "qvbpl:d:"};
    while (int c = opts.next()) {
        unsigned u;
        switch (c) {
        case 'q':
            if (verbosity) verbosity--;
            break;
        case 'v':
            verbosity++;
            break;
        case 'b':
            lg.block = true;
            break;
        case 'p':
            lg.protect = true;
            break;
        case 'l':
            if (!sv::scan_uint(opts.arg(), u)) sv::die_usage(usage);
            lg.linelimit = u;
            break;
        case 'd':
            if (!sv::scan_uint(opts.arg(), u)) sv::die_usage(usage);
            notif = static_cast<int>(u);
            break;
        default:
            sv::die_usage(usage);
        }
    }
    auto args = opts.operands();
    if (args.empty()) sv::die_usage(usage);
    if (lg.linelimit && lg.linelimit < ls::min_linelimit) lg.linelimit = ls::min_linelimit;
    if (notif >= 0) {
        if (notif < 3) sv::die(100, "notification fd must be 3 or more");
        if (fcntl(notif, F_GETFD) < 0) sv::die_sys(100, "invalid notification fd");
    }
    sv::ensure_std_fds();
    if (!sv::set_nonblock(0, true)) sv::die_sys(111, "unable to set stdin non-blocking");
    if (!sv::set_nonblock(1, true)) sv::die_sys(111, "unable to set stdout non-blocking");
    mode_t um = umask(0);
    umask(um);
    s6log::file_mode = 0666 & ~um;

    ls::script sc;
    ls::parse(args, sc);
    if (sc.extraneous && sc.err == ls::error::none && verbosity)
        sv::warn("ignoring extraneous non-action directives");
    // Logdirs before a directive the building pass rejects are created anyway, as in s6.
    lg.lds.resize(sc.logdirs.size());
    for (std::size_t i = 0; i < sc.logdirs.size(); i++) {
        lg.lds[i].spec = sc.logdirs[i];
        s6log::logdir_init(lg.lds[i]);
    }
    if (sc.err != ls::error::none) die_script(sc, args.data());
    lg.sc = &sc;

    sigset_t set;
    sigemptyset(&set);
    for (int s : {SIGTERM, SIGHUP, SIGALRM, SIGCHLD})
        sigaddset(&set, s);
    signal(SIGPIPE, SIG_IGN); // a closed stdout gives EPIPE; processors get SIG_DFL back
    if (sigprocmask(SIG_BLOCK, &set, nullptr) < 0) sv::die_sys(111, "unable to selfpipe_trapset");
    lg.sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (lg.sigfd < 0) sv::die_sys(111, "unable to selfpipe_init");

    lg.cap = std::max<std::size_t>(256 * 1024, 2 * lg.linelimit + 2);
    lg.in = static_cast<char *>(std::malloc(lg.cap));
    if (!lg.in) sv::die_sys(111, "unable to allocate memory");

    if (notif >= 0) {
        (void)!write(notif, "\n", 1);
        close(notif);
    }
    lg.loop();

    // Finalize every logdir (fsync, u+x on current), retrying every r ms until all are done.
    for (;;) {
        bool done = true;
        std::int64_t now = sv::mono_ms(), wake = now + 2000;
        for (auto &ld : lg.lds) {
            if (ld.state == s6log::rot::end) continue;
            if (ld.deadline <= now && s6log::finalize(ld)) continue;
            done = false;
            if (ld.deadline < wake) wake = ld.deadline;
        }
        if (done) break;
        poll(nullptr, 0, sv::poll_timeout(wake, now));
    }
    return 0;
}
