// s6-svlisten1: run a program while listening to one service's events, and wait until the
// service reaches a state, as s6 2.11.3.2's s6-svlisten1 does.  It subscribes to DIR/event and
// reads the status first, then spawns prog... as a child (PATH search, inherited environment,
// empty signal mask) whose exit status is ignored, then waits for -u (the default), -U, -d,
// -D, or -r / -R (first down and ready, i.e. finish over, then up / up and ready).  This is
// what "s6-svc -w? -LETTERS" runs in stock s6.  Exit: 0; 1 if the service failed permanently
// or its supervisor died; 99 on timeout; 100 on usage; 111 on system errors.
#include <string_view>

#include <supervise/diag.hh>
#include <supervise/opts.hh>
#include <supervise/svlisten.hh>
#include <supervise/svwait.hh>

namespace {
constexpr std::string_view usage =
    "s6-svlisten1 [ -U | -u | -d | -D | -r | -R ] [ -t timeout ] servicedir prog...";
}

int svlisten1_main(int argc, char **argv)
{
    sv::prog = "s6-svlisten1";
    sv::wait_goal goal;
    unsigned timeout = 0;

    sv::opt_parser opts{argc, argv, "uUdDrRt:"};
    while (int c = opts.next()) {
        if (c == 't') {
            if (!sv::scan_uint(opts.arg(), timeout)) sv::die_usage(usage);
        } else if (!sv::wait_goal_scan(static_cast<char>(c), goal))
            sv::die_usage(usage);
    }
    auto args = opts.operands();
    if (args.size() < 2) sv::die_usage(usage);

    std::int64_t const deadline = sv::wait_deadline(timeout);
    sv::svlisten listener;
    auto const dir = args.first(1);
    sv::wait_init_or_die(listener, dir);
    sv::wait_spawn_or_die(listener, args.data() + 1);
    sv::wait_goal_run(listener, dir, goal, true, sv::wait_style::svlisten1, deadline);
    return 0;
}
