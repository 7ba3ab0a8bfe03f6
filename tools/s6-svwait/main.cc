// s6-svwait: wait until one or more supervised services reach a state, as s6 2.11.3.2's
// s6-svwait does: -u (up, the default), -U (up and ready), -d (down), -D (down and finish
// over), -r / -R (first every service down, then up / up and ready); -a (all, the default) or
// -o (one is enough); -t timeout in ms.  It subscribes to every DIR/event before reading the
// statuses, so no transition is missed.  Exit code: 0, the number of services that failed
// permanently or whose supervisor died, 99 on timeout, 100 on usage, 111 on system errors.
// Stock s6 forks the s6-ftrigrd helper to read the FIFOs; we read them in-process.
#include <string_view>

#include <supervise/diag.hh>
#include <supervise/opts.hh>
#include <supervise/svlisten.hh>
#include <supervise/svwait.hh>

namespace {
constexpr std::string_view usage =
    "s6-svwait [ -U | -u | -d | -D | -r | -R ] [ -a | -o ] [ -t timeout ] servicedir...";
}

int svwait_main(int argc, char **argv)
{
    sv::prog = "s6-svwait";
    sv::wait_goal goal;
    bool any = false;
    unsigned timeout = 0;

    sv::opt_parser opts{argc, argv, "UudDrRaot:"};
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
    auto dirs = opts.operands();
    if (dirs.empty()) sv::die_usage(usage);

    std::int64_t const deadline = sv::wait_deadline(timeout);
    sv::svlisten listener;
    sv::wait_init_or_die(listener, dirs);
    sv::wait_goal_run(listener, dirs, goal, any, sv::wait_style::svwait, deadline);
    return 0;
}
