// s6-ftrig-listen: subscribe to several fifodirs, run a program, and wait for their events to
// match, as s6 2.11.3.2's s6-ftrig-listen does.  The fifodir/regex pairs come as an execline
// block: in an execlineb script
//     s6-ftrig-listen [ -a | -o ] [ -t timeout ] { fifodir1 regexp1 fifodir2 regexp2 ... } prog...
// which reaches us as the words " fifodir1" " regexp1" ... "" prog... (supervise/block.hh;
// EXECLINE_STRICT is honoured as execline 2.9 does).  The block must hold a non-zero, even
// number of words and be followed by prog, else usage (100); a block with no end is "fatal:
// unterminated fifodir+regex block" (100) when the word count alone does not already make it
// a usage error.  After subscribing to every pair, prog is spawned as a child (PATH search,
// empty signal mask, status ignored, reaped); then it waits until every regex has matched (-a,
// the default) or one has (-o), and exits 0 with no output.  -t timeout (ms, 0 = forever):
// exit 1 with "unable to get expected event: Connection timed out".  111 on a system error.
// The regex rules are those of s6-ftrig-wait.  Stock forks the s6-ftrigrd helper; we hold the
// FIFOs in-process.
#include <cerrno>
#include <csignal>
#include <memory>
#include <new>
#include <string_view>
#include <sys/wait.h>

#include <supervise/block.hh>
#include <supervise/diag.hh>
#include <supervise/ftrigsub.hh>
#include <supervise/opts.hh>
#include <supervise/sigtrap.hh>
#include <supervise/spawn.hh>
#include <supervise/tai64n.hh>

namespace {

constexpr std::string_view usage =
    "s6-ftrig-listen [ -a | -o ] [ -t timeout ] fifodir1 regexp1 ... \"\" prog...";

int sigfd = -1;

void reap() noexcept
{
    while (sv::signal_next(sigfd) > 0) {}
    while (waitpid(-1, nullptr, WNOHANG) > 0) {}
}

} // namespace

int ftrig_listen_main(int argc, char **argv)
{
    sv::prog = "s6-ftrig-listen";
    unsigned timeout = 0;
    bool any = false;
    sv::opt_parser opts{argc, argv, "aot:"};
    while (int c = opts.next()) {
        switch (c) {
        case 'a': any = false; break;
        case 'o': any = true; break;
        case 't':
            if (sv::scan_uint(opts.arg(), timeout)) break;
            [[fallthrough]];
        default: sv::die_usage(usage);
        }
    }
    auto const args = opts.operands();
    auto const nargs = static_cast<std::ptrdiff_t>(args.size());
    if (nargs < 4) sv::die_usage(usage);
    // The block's length as stock counts it: the words before "", or all of them plus one
    // when no "" comes.
    auto **words = const_cast<char const **>(args.data());
    std::ptrdiff_t len = sv::block_scan(words, 1, sv::block_strictness());
    if (len < 0) len = nargs + 1;
    if (!len || (len & 1) || nargs == len + 1) sv::die_usage(usage);
    if (len >= nargs) sv::die(sv::exitcode::usage, "unterminated fifodir+regex block");
    std::int64_t const deadline = timeout ? sv::mono_ms() + timeout : -1;

    sigfd = sv::signal_trap({SIGCHLD});
    if (sigfd < 0) sv::die_sys(sv::exitcode::system, "unable to selfpipe_trap");
    if (!sv::signal_absorb(SIGPIPE)) sv::die_sys(sv::exitcode::system, "unable to ignore SIGPIPE");

    std::size_t const n = static_cast<std::size_t>(len / 2);
    std::unique_ptr<sv::ftrig_sub[]> subs(new (std::nothrow) sv::ftrig_sub[n]);
    if (!subs) sv::die_sys(sv::exitcode::system, "unable to allocate");
    auto fail = [&](auto const &...what) {
        int const e = errno;
        subs.reset(); // unsubscribe from everything before leaving
        errno = e;
        sv::die_sys(sv::exitcode::system, what...);
    };
    for (std::size_t i = 0; i < n; i++) {
        if (int e = subs[i].subscribe(words[2 * i], words[2 * i + 1], 0)) {
            errno = e;
            fail("unable to subscribe to ", words[2 * i], " with regexp ", words[2 * i + 1]);
        }
    }
    char const *const *prog = words + len + 1;
    sv::spawn_opts o;
    o.search_path = true;
    o.mask = &sv::signal_child_mask();
    if (!sv::spawn(prog[0], prog, o)) fail("unable to spawn ", prog[0]);

    auto const r = sv::ftrig_wait({subs.get(), n}, any, deadline, sigfd, reap);
    if (r.what == sv::ftrig_wait_result::kind::timed_out) {
        subs.reset();
        errno = ETIMEDOUT;
        sv::die_sys(sv::exitcode::event_timeout, "unable to get expected event");
    }
    if (r.what == sv::ftrig_wait_result::kind::error) fail("unable to ftrigr_check");
    return 0;
}
