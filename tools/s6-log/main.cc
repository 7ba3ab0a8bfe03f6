// s6-log: reads lines on stdin and runs them through a logging script (s6 2.11.3.2).
//
// Mirrors s6-log's interface and behaviour: the options (-d -q -v -b -p -l), the script
// language (libsupervise/logscript), 2.11's line splitting (a line ends at '\n' or NUL; longer
// than linelimit it is cut), per-line stamps, the actions 1 2 = and logdirs, the signals
// (ALRM rotates, TERM/HUP finish after the current line, -p ignores TERM), and the rule that
// no accepted byte is ever dropped: failed writes are retried every r ms, for ever, and
// s6-log does not exit while anything is pending.
//
// The pieces: input.cc (stdin and line splitting), actions.cc (stamps, records, alerts,
// status files), logdir.cc (current, rotation, archives, processors, behind the sys.cc seam)
// and loop.cc (poll, signals, finalization).  Every buffer is reserved before the loop
// starts, so the running logger allocates nothing; a full buffer holds stdin back instead of
// growing as s6's do.
//
// Performance comes from doing the same work with fewer copies and syscalls: a large read
// buffer, lines processed in place, one append per record into each logdir's queue, and
// large writes cut at the rotation point.
#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include <supervise/diag.hh>
#include <supervise/fd.hh>
#include <supervise/fork_self.hh>
#include <supervise/logscript.hh>
#include <supervise/opts.hh>

#include "loop.hh"

namespace {

namespace ls = sv::logscript;

constexpr std::string_view usage =
    "s6-log [ -d notif ] [ -q | -v ] [ -b ] [ -p ] [ -l linelimit ] [ -- ] logging_script";

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

int log_main(int argc, char **argv)
{
    sv::prog = "s6-log";
    s6log::settings set;
    int notif = -1;
    sv::opt_parser opts{argc, argv, "qvbpl:d:"};
    while (int c = opts.next()) {
        unsigned u;
        switch (c) {
        case 'q':
            if (s6log::verbosity) s6log::verbosity--;
            break;
        case 'v':
            s6log::verbosity++;
            break;
        case 'b':
            set.block = true;
            break;
        case 'p':
            set.protect = true;
            break;
        case 'l':
            if (!sv::scan_uint(opts.arg(), u)) sv::die_usage(usage);
            set.linelimit = u;
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
    if (set.linelimit && set.linelimit < ls::min_linelimit) set.linelimit = ls::min_linelimit;
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
    if (sc.extraneous && sc.err == ls::error::none && s6log::verbosity)
        sv::warn("ignoring extraneous non-action directives");
    // Logdirs before a directive the building pass rejects are created anyway, as in s6.
    std::vector<s6log::logdir> lds(sc.logdirs.size());
    for (std::size_t i = 0; i < lds.size(); i++) {
        lds[i].spec = sc.logdirs[i];
        s6log::init_failure f;
        if (!s6log::logdir_init(lds[i], f)) {
            errno = f.err;
            sv::die_sys(111, "unable to ", f.verb, f.dir, f.name ? "/" : "",
                        f.name ? f.name : "");
        }
    }
    if (sc.err != ls::error::none) die_script(sc, args.data());

    s6log::logger lg;
    lg.setup(set, sc, lds);
    sv::drop_startup_code(); // before readiness: what is mapped from then on is what runs
    if (notif >= 0) {
        (void)!write(notif, "\n", 1);
        close(notif);
    }
    lg.run();
    return 0;
}
