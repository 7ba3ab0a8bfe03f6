// s6-setsid [ -s | -b | -f | -g ] [ -i | -I | -q ] [ -d ctty ] prog...
//
// Puts itself in a new session (-s, the default) or a new process group (-b), possibly made
// the foreground group of the terminal on fd ctty (-f; -g also ignores SIGTTOU first, so it
// works from the background), then execs prog, as s6 2.11.3.2 does.  A failing setsid,
// setpgid or tcsetpgrp is a warning by default (-I), fatal with exit 111 under -i, and silent
// under -q; with -f/-g the terminal is still tried after setpgid failed, as in stock.
// -g follows the documentation, not the Debian 2.11.3.2 binary: that one installs a handler
// for SIGTTOU instead of ignoring it, so the kernel keeps refusing tcsetpgrp and it spins
// forever when run from a background process group.  We really ignore SIGTTOU.
#include <csignal>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/exec.hh>
#include <supervise/opts.hh>
#include <supervise/uidgid.hh>

namespace {
constexpr std::string_view usage =
    "s6-setsid [ -s | -b | -f | -g ] [ -i | -I | -q ] [ -d ctty ] prog...";

int strictness = 1; // 2: -i fatal, 1: -I warn, 0: -q silent

void failed(std::string_view what) noexcept
{
    if (strictness == 2) sv::die_sys(sv::exitcode::system, "unable to ", what);
    if (strictness == 1) sv::warn_sys("unable to ", what);
}
} // namespace

int setsid_main(int argc, char **argv)
{
    sv::prog = "s6-setsid";
    int what = 0; // 0 -s, 1 -b, 2 -f, 3 -g
    std::uint32_t ctty = 0;
    sv::opt_parser opts{argc, argv, "sbfgiIqd:"};
    while (int c = opts.next()) {
        switch (c) {
        case 's':
            what = 0;
            break;
        case 'b':
            what = 1;
            break;
        case 'f':
            what = 2;
            break;
        case 'g':
            what = 3;
            break;
        case 'i':
            strictness = 2;
            break;
        case 'I':
            strictness = 1;
            break;
        case 'q':
            strictness = 0;
            break;
        case 'd':
            if (!sv::scan_u32(opts.arg(), ctty)) sv::die_usage(usage);
            break;
        default:
            sv::die_usage(usage);
        }
    }
    auto rest = opts.operands();
    if (rest.empty()) sv::die_usage(usage);

    if (what == 0) {
        if (setsid() < 0) failed("setsid");
    } else {
        if (setpgid(0, 0) < 0) failed("setpgid");
        if (what >= 2) {
            // -g: a background group may take the terminal only while ignoring SIGTTOU; the
            // old disposition comes back before the exec, as in stock.
            struct sigaction ign
            {
            }, old{};
            ign.sa_handler = SIG_IGN;
            if (what == 3) sigaction(SIGTTOU, &ign, &old);
            if (tcsetpgrp(static_cast<int>(ctty), getpid()) < 0) failed("tcsetpgrp");
            if (what == 3) sigaction(SIGTTOU, &old, nullptr);
        }
    }
    sv::exec_or_die(rest.data());
}
