// halt, poweroff, reboot, shutdown: ask the running /init to stop the container, as
// s6-linux-init-hpr asks s6-linux-init-shutdownd.  They are /init's executable under other
// names (tools/multicall.cc routes them here).
#include "sys.hh"

#include <csignal>
#include <string>
#include <string_view>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/opts.hh>

#include "entries.hh"
#include "shutdown_time.hh"

// halt, poweroff, reboot, shutdown: ask the running /init to stop, as s6-linux-init-hpr
// does.  The request is a signal of ours (halt_signal), so that /init, which forwards the
// usual stop signals to a running CMD, can tell it apart.  /init writes its pid to
// /run/s6/init.pid, or $S6_RUNTIME_DIR/s6/init.pid (it is not always PID 1); without that
// file we exit 100, as s6-linux-init-hpr does when it cannot reach the shutdown daemon.
int hpr_main(int argc, char **argv)
{
    std::string_view const name = multicall::invoked_name(argv[0]);
    sv::prog = name;
    int action = 0; // halt
    if (name == "poweroff") action = 1;
    else if (name == "reboot") action = 2;
    else if (name == "shutdown") {
        // LSB: shutdown [ -h | -p | -r ] [ -fnk ] [ -t sec ] [ TIME [ MESSAGE... ] ], or -c.
        // Only the action matters in a container: the stop is always immediate.
        constexpr std::string_view usage =
            "shutdown [ -h | -p | -r | -c | -k ] [ -f ] [ -n ] [ -t sec ] "
            "[ now | +min | hh:mm [ message... ] ]";
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
        if (i < argc && !init::is_shutdown_time(argv[i])) sv::die_usage(usage);
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
    if (!init::sys::read_file(pidfile, txt))
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
