// /init [ CMD... ]: a container's PID 1 with s6-overlay's stages (the v2 layout and the v3
// paths), and halt / poweroff / reboot / shutdown when called by those names.
//
// Unlike s6-overlay, which execs s6-svscan as PID 1 and runs stage 2 and the CMD as
// unsupervised children, /init stays PID 1 itself (or a child subreaper when it is not PID
// 1): it reaps everything, starts our s6-svscan (the one installed next to it) as a child in
// its own session, runs the stages in order, and so always knows the CMD's real status.
//
//   stage 1  dump the environment to /run/s6/container_environment (unless S6_KEEP_ENV),
//            make /run/s6, /run/service and /var/run -> /run, start s6-svscan on /run/service
//   stage 2  /etc/fix-attrs.d/*, /etc/cont-init.d/* (sorted), copy /etc/services.d/* into
//            the scan dir and rescan, optionally wait for them, then run the CMD in its own
//            process group with the container environment; signals are forwarded to it
//   stage 3  /etc/cont-finish.d/*, services down, TERM to everything, KILL after the grace
//            time (which is an upper bound: stage 3 ends as soon as nothing is left)
//
// The exit code is the content of /run/s6-linux-init-container-results/exitcode (0 by
// default), as in s6-overlay v3, where the CMD's status (128+signal if it was killed) is
// written when it exits, unless halt and friends stopped it.
#include "stages.hh"
#include "sys.hh"

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <sys/prctl.h>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/opts.hh>
#include <supervise/tai64n.hh>

namespace {

// halt, poweroff, reboot, shutdown: ask the running /init to stop, as s6-linux-init-hpr
// does.  The request is a signal of ours (halt_signal), so that /init, which forwards the
// usual stop signals to a running CMD, can tell it apart.  /init writes its pid to
// /run/s6/init.pid, or $S6_RUNTIME_DIR/s6/init.pid (it is not always PID 1); without that
// file we exit 100, as s6-linux-init-hpr does when it cannot reach the shutdown daemon.

// A time operand of LSB shutdown: now, +minutes or hh:mm.
bool is_shutdown_time(std::string_view t)
{
    auto digits = [](std::string_view d) {
        return !d.empty() && d.find_first_not_of("0123456789") == d.npos;
    };
    if (t == "now") return true;
    if (!t.empty() && t[0] == '+') return digits(t.substr(1));
    auto c = t.find(':');
    return c != t.npos && digits(t.substr(0, c)) && digits(t.substr(c + 1));
}

int hpr(std::string_view name, int argc, char **argv)
{
    int action = 0; // halt
    if (name == "poweroff") action = 1;
    else if (name == "reboot") action = 2;
    else if (name == "shutdown") {
        // LSB: shutdown [ -h | -p | -r ] [ -fnk ] [ -t sec ] [ TIME [ MESSAGE... ] ], or -c.
        // Only the action matters in a container: the stop is always immediate.
        constexpr std::string_view usage =
            "shutdown [ -h | -p | -r | -c | -k ] [ -f ] [ -n ] [ -t sec ] [ now | +min | hh:mm [ message... ] ]";
        int i = 1;
        for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
            std::string_view a = argv[i];
            if (a == "--") {
                i++;
                break;
            }
            if (a == "-t") {
                if (++i == argc) sv::die_usage(usage);
                continue;
            }
            for (char c : a.substr(1)) {
                switch (c) {
                case 'h': case 'H': action = 0; break;
                case 'p': case 'P': action = 1; break;
                case 'r': action = 2; break;
                case 'f': case 'F': case 'n': break;
                case 'c': return 0; // nothing is ever pending, so nothing to cancel
                case 'k': return 0; // warn only: there is nobody logged in to warn
                default: sv::die_usage(usage);
                }
            }
        }
        if (i < argc && !is_shutdown_time(argv[i])) sv::die_usage(usage);
        // Anything after the time is the message for logged-in users: there are none.
    } else if (argc > 1) {
        for (int i = 1; i < argc; i++) {
            std::string_view a = argv[i];
            // s6-linux-init-hpr's flags, accepted for compatibility and otherwise ignored.
            if (a.size() < 2 || a[0] != '-' || a.find_first_not_of("fndwWi", 1) != a.npos)
                sv::die_usage(std::string(name) == "halt" ? "halt [ -f ] [ -n ] [ -d ] [ -w ]"
                                                          : "poweroff|reboot [ -f ] [ -n ]");
        }
    }
    int const sig = init::halt_signal(action);
    // No pid file means no /init of ours is running here: refuse rather than signal
    // whatever PID 1 is (on a host, that would be the real init).
    std::string txt;
    unsigned p = 0;
    char const *rd = getenv("S6_RUNTIME_DIR");
    std::string const pidfile = std::string(rd && *rd ? rd : "/run") + "/s6/init.pid";
    if (!init::read_file(pidfile.c_str(), txt))
        sv::die_sys(sv::exitcode::usage, "unable to find a running /init: unable to read ",
                    pidfile);
    while (!txt.empty() && txt.back() == '\n') txt.pop_back();
    if (!sv::scan_uint(txt, p) || p == 0)
        sv::die(sv::exitcode::usage, "invalid pid in ", pidfile, ": ", txt);
    pid_t const pid = static_cast<pid_t>(p);
    // /init may well broadcast its SIGTERM before we are gone: that must not turn a
    // successful request into "killed by SIGTERM" for whoever ran us.
    sigset_t ss;
    sigemptyset(&ss);
    sigaddset(&ss, SIGTERM);
    sigaddset(&ss, SIGHUP);
    sigprocmask(SIG_BLOCK, &ss, nullptr);
    if (kill(pid, sig) < 0) sv::die_sys(sv::exitcode::system, "unable to signal /init (pid ",
                                         sv::dec(pid), ")");
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    char const *slash = strrchr(argv[0], '/');
    std::string_view name = slash ? slash + 1 : argv[0];
    if (name == "halt" || name == "poweroff" || name == "reboot" || name == "shutdown") {
        sv::prog = name;
        return hpr(name, argc, argv);
    }
    sv::prog = "init";
    if (getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        sv::die_sys(sv::exitcode::system, "unable to become a child subreaper");
    init::signals_init();

    init::boot b;
    b.cmd.assign(argv + 1, argv + argc);
    init::stage1(b);
    init::stage2(b);
    return init::stage3(b);
}
