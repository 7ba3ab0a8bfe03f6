// s6-ftrig-listen1: subscribe to a fifodir, run a program, and wait for the events to match a
// regex, as s6 2.11.3.2's s6-ftrig-listen1 does.  The subscription comes first, so whatever
// prog... makes happen is seen (the race s6-ftrig-wait leaves open).  prog is spawned as a
// child (PATH search, our environment, an empty signal mask); its exit status is ignored and
// it is reaped when it dies.  On a match it prints the last byte of the match and a newline,
// and exits 0.  -t timeout (ms, 0 = forever): exit 1 with "unable to get expected event:
// Connection timed out".  100 on usage; 111 on a system error ("unable to subscribe to DIR
// with regexp RE", "unable to spawn PROG").  The regex rules are those of s6-ftrig-wait.
// Stock forks the s6-ftrigrd helper to hold the FIFO; we hold it in-process.
#include <cerrno>
#include <csignal>
#include <string_view>
#include <sys/wait.h>

#include <supervise/diag.hh>
#include <supervise/fd.hh>
#include <supervise/ftrigsub.hh>
#include <supervise/opts.hh>
#include <supervise/sigtrap.hh>
#include <supervise/spawn.hh>
#include <supervise/tai64n.hh>

namespace {

constexpr std::string_view usage = "s6-ftrig-listen1 [ -t timeout ] fifodir regexp prog...";

int sigfd = -1;

// Drains the trap and reaps whatever died; the child's status does not matter.
void reap() noexcept
{
    while (sv::signal_next(sigfd) > 0) {}
    while (waitpid(-1, nullptr, WNOHANG) > 0) {}
}

} // namespace

int ftrig_listen1_main(int argc, char **argv)
{
    sv::prog = "s6-ftrig-listen1";
    unsigned timeout = 0;
    sv::opt_parser opts{argc, argv, "t:"};
    while (int c = opts.next()) {
        if (c != 't' || !sv::scan_uint(opts.arg(), timeout)) sv::die_usage(usage);
    }
    auto const args = opts.operands();
    if (args.size() < 3) sv::die_usage(usage);
    std::int64_t const deadline = timeout ? sv::mono_ms() + timeout : -1;
    if (!sv::signal_absorb(SIGPIPE)) sv::die_sys(sv::exitcode::system, "unable to sig_ignore");

    sv::ftrig_sub sub;
    if (int e = sub.subscribe(args[0], args[1], 0)) {
        errno = e;
        sv::die_sys(sv::exitcode::system, "unable to subscribe to ", args[0], " with regexp ",
                    args[1]);
    }
    sigfd = sv::signal_trap({SIGCHLD});
    if (sigfd < 0) {
        sub.unsubscribe();
        sv::die_sys(sv::exitcode::system, "unable to selfpipe_trap");
    }
    sv::spawn_opts o;
    o.search_path = true;
    o.mask = &sv::signal_child_mask();
    if (!sv::spawn(args[2], args.data() + 2, o)) {
        int const e = errno;
        sub.unsubscribe();
        errno = e;
        sv::die_sys(sv::exitcode::system, "unable to spawn ", args[2]);
    }

    auto const r = sv::ftrig_wait({&sub, 1}, false, deadline, sigfd, reap);
    if (r.what != sv::ftrig_wait_result::kind::matched) {
        int const e = errno;
        sub.unsubscribe();
        errno = e;
        if (r.what == sv::ftrig_wait_result::kind::timed_out)
            sv::die_sys(sv::exitcode::event_timeout, "unable to get expected event");
        sv::die_sys(sv::exitcode::system, "unable to ftrigr_check");
    }
    char const out[2] = {r.last, '\n'};
    if (!sv::write_full(1, out, sizeof out))
        sv::die_sys(sv::exitcode::system, "unable to write to stdout");
    return 0;
}
