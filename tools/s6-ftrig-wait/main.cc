// s6-ftrig-wait: wait for the events arriving in a fifodir to match a regex, as s6 2.11.3.2's
// s6-ftrig-wait does.  It subscribes to the fifodir (which must exist), then waits until the
// events read so far match the POSIX extended regex (with '^' and '$' never matching: see
// supervise/ftrigsub.hh), prints the last byte of the match and a newline, and exits 0.
// -t timeout (ms, 0 = forever): exit 1 with "unable to match regexp on RE: Connection timed
// out" when it passes.  100 on usage, 111 on a system error (no such fifodir: "unable to
// subscribe to DIR with regexp RE"; a bad regex gives EINVAL there, as stock).
// Stock forks the s6-ftrigrd helper to hold the FIFO; we hold it in-process (same FIFO name,
// mode 0600 and matching), which saves a process and a hop per event.
#include <cerrno>
#include <string_view>

#include <supervise/diag.hh>
#include <supervise/fd.hh>
#include <supervise/ftrigsub.hh>
#include <supervise/opts.hh>
#include <supervise/tai64n.hh>

namespace {
constexpr std::string_view usage = "s6-ftrig-wait [ -t timeout ] fifodir regexp";
}

int ftrig_wait_main(int argc, char **argv)
{
    sv::prog = "s6-ftrig-wait";
    unsigned timeout = 0;
    sv::opt_parser opts{argc, argv, "t:"};
    while (int c = opts.next()) {
        if (c != 't' || !sv::scan_uint(opts.arg(), timeout)) sv::die_usage(usage);
    }
    auto const args = opts.operands();
    if (args.size() < 2) sv::die_usage(usage);
    std::int64_t const deadline = timeout ? sv::mono_ms() + timeout : -1;

    sv::ftrig_sub sub;
    if (int e = sub.subscribe(args[0], args[1], 0)) {
        errno = e;
        sv::die_sys(sv::exitcode::system, "unable to subscribe to ", args[0], " with regexp ",
                    args[1]);
    }
    auto const r = sv::ftrig_wait({&sub, 1}, false, deadline);
    if (r.what != sv::ftrig_wait_result::kind::matched) {
        int const e = errno;
        sub.unsubscribe();
        errno = e;
        sv::die_sys(r.what == sv::ftrig_wait_result::kind::timed_out ? sv::exitcode::event_timeout
                                                                     : sv::exitcode::system,
                    "unable to match regexp on ", args[1]);
    }
    char const out[2] = {r.last, '\n'};
    if (!sv::write_full(1, out, sizeof out))
        sv::die_sys(sv::exitcode::system, "unable to write to stdout");
    return 0;
}
