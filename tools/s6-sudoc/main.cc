// s6-sudoc [ -e ] [ -t timeoutconn ] [ -T timeoutrun ] [ args... ]: the client side of
// s6-sudo, as in s6 2.11.3.2.  It runs under s6-ipcclient (the connection on fds 6 and 7),
// waits for s6-sudod's banner, sends it args, its environment (not with -e) and its fds 0, 1
// and 2 (libsupervise/sudo.hh has the protocol), then waits for the program's end and exits
// with its code, or 128 + the signal that killed it.  -t bounds everything up to the
// server's confirmation, -T the run (milliseconds; 0 = no limit).
#include <supervise/diag.hh>
#include <supervise/opts.hh>
#include <supervise/sudoclient.hh>

extern char **environ;

namespace {
constexpr std::string_view usage = "s6-sudoc [ -e ] [ -t timeoutconn ] [ -T timeoutrun ] [ args... ]";
}

int sudoc_main(int argc, char **argv)
{
    sv::prog = "s6-sudoc";
    unsigned t = 0, T = 0;
    bool doenv = true;
    sv::opt_parser opts{argc, argv, "et:T:"};
    while (int c = opts.next()) {
        switch (c) {
        case 'e': doenv = false; break;
        case 't':
            if (!sv::scan_uint(opts.arg(), t)) sv::die_usage(usage);
            break;
        case 'T':
            if (!sv::scan_uint(opts.arg(), T)) sv::die_usage(usage);
            break;
        default: sv::die_usage(usage);
        }
    }
    auto const args = opts.operands();
    std::size_t envc = 0;
    if (doenv)
        while (environ[envc]) envc++;
    return sv::sudo_client_run(6, 7, {args.data(), args.size()},
                               {const_cast<char const *const *>(environ), envc}, {t, T});
}
