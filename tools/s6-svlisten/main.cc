// s6-svlisten: run a program while listening to several services' events, then wait until
// they reach a state, as s6 2.11.3.2's s6-svlisten does.  The service directories come as an
// execline block ending in an empty word, s6-svlisten -u { a b } prog... in execline, or
// s6-svlisten -u " a" " b" "" prog... from a shell (supervise/block.hh).  It subscribes to
// every DIR/event and reads every status first, then spawns prog... as a child whose exit
// status is ignored, then waits for -u (the default), -U, -d, -D, or -r / -R (first every
// service down and ready, then up / up and ready), for all services (-a, the default) or one
// (-o; with -r or -R stock warns and uses -a, and so do we).  Exit: 0; the number of services
// that failed permanently or whose supervisor died (1 when the supervisor of one dies, where
// the page says 102); 99 on timeout; 100 on usage; 111 on system errors.  Like stock, with -a
// a service that failed is seen down again by the D that follows its O, so a wait for several
// failing services usually ends in the timeout: the event engine is s6-svwait's, unchanged.
#include <string_view>

#include <supervise/block.hh>
#include <supervise/diag.hh>
#include <supervise/opts.hh>
#include <supervise/svlisten.hh>
#include <supervise/svwait.hh>

namespace {
constexpr std::string_view usage = "s6-svlisten [ -U | -u | -d | -D | -r | -R ] [ -a | -o ] "
                                   "[ -t timeout ] servicedir... \"\" prog...";
}

int svlisten_main(int argc, char **argv)
{
    sv::prog = "s6-svlisten";
    sv::wait_goal goal;
    bool any = false;
    unsigned timeout = 0;

    sv::opt_parser opts{argc, argv, "uUdDrRaot:"};
    while (int c = opts.next()) {
        switch (c) {
        case 'a':
            any = false;
            break;
        case 'o':
            any = true;
            break;
        case 't':
            if (!sv::scan_uint(opts.arg(), timeout)) sv::die_usage(usage);
            break;
        default:
            // The last of -U -u -d -D -r -R wins.
            if (!sv::wait_goal_scan(static_cast<char>(c), goal)) sv::die_usage(usage);
        }
    }
    std::size_t const nargs = opts.operands().size();
    if (nargs < 3) sv::die_usage(usage);
    // The operands, writable: block_scan strips the quoting spaces in place.
    char const **words = const_cast<char const **>(argv) + (argc - nargs);
    std::ptrdiff_t const ndirs = sv::block_scan(words, 1, sv::block_strictness());
    // No service, or nothing after the block: usage.  No end to the block: its own message.
    if (ndirs == 0 || static_cast<std::size_t>(ndirs) + 1 == nargs) sv::die_usage(usage);
    if (ndirs < 0) sv::die(sv::exitcode::usage, "unterminated servicedir block");
    if (goal.restart && any) {
        any = false;
        // Stock's wording, missing space included.
        sv::warn("-o is unsupported when combined with -", goal.ready ? "R" : "r",
                 "- using -a instead");
    }

    std::int64_t const deadline = sv::wait_deadline(timeout);
    std::span<char const *const> const dirs{words, static_cast<std::size_t>(ndirs)};
    sv::svlisten listener;
    sv::wait_init_or_die(listener, dirs);
    sv::wait_spawn_or_die(listener, words + ndirs + 1);
    sv::wait_goal_run(listener, dirs, goal, any, sv::wait_style::svlisten, deadline);
    return 0;
}
