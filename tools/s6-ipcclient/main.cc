// s6-ipcclient [ -q | -Q | -v ] [ -p bindpath ] [ -l localname ] path prog...: connects to
// the Unix socket at path and execs prog with the connection on fds 6 (read) and 7 (write),
// PROTO=IPC and IPCLOCALPATH set, as the UCSPI client of s6 2.11.3.2 does.
//
// IPCLOCALPATH is -l's name, or the path the socket is bound to (-p binds it first; an
// unbound client socket gives an empty value).  -v logs the connection on stderr.
#include <vector>

#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/envdir.hh>
#include <supervise/ipcclient.hh>
#include <supervise/opts.hh>

namespace {
constexpr std::string_view usage =
    "s6-ipcclient [ -q | -Q | -v ] [ -p bindpath ] [ -l localname ] path prog...";
}

int ipcclient_main(int argc, char **argv)
{
    sv::prog = "s6-ipcclient";
    char const *bindpath = nullptr;
    char const *localname = nullptr;
    unsigned verbosity = 1;
    sv::opt_parser opts{argc, argv, "qQvp:l:"};
    while (int c = opts.next()) {
        switch (c) {
        case 'q':
            if (verbosity) verbosity--;
            break;
        case 'Q': verbosity = 1; break;
        case 'v': verbosity++; break;
        case 'p': bindpath = opts.arg(); break;
        case 'l': localname = opts.arg(); break;
        default: sv::die_usage(usage);
        }
    }
    auto const rest = opts.operands();
    if (rest.size() < 2) sv::die_usage(usage);
    std::vector<sv::env_change> changes;
    int const s = sv::ipc_client_connect_or_die(rest[0], {bindpath, localname, verbosity}, changes);
    if ((s != 6 && ::dup2(s, 6) < 0)) sv::die_sys(sv::exitcode::system, "unable to set up fd ", "6");
    if (s != 6) ::close(s);
    if (::dup2(6, 7) < 0) sv::die_sys(sv::exitcode::system, "unable to set up fd ", "7");
    sv::exec_changed_or_die(rest.data() + 1, changes);
}
