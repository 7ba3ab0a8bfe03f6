// s6-sudo [ -q | -Q | -v ] [ -p bindpath ] [ -l localname ] [ -e ] [ -t timeout ]
// [ -T timeoutrun ] path [ args... ]: runs args as a program started by the s6-sudod server
// listening at path, as s6 2.11.3.2 does.  Stock execs s6-ipcclient on path with s6-sudoc;
// we connect and run the session in this process (libsupervise's ipcclient.hh and
// sudoclient.hh, which those two programs run too): the server sees the same peer, request,
// environment and fds, and the messages carry the name of the stage that would have said
// them.
#include <string>
#include <vector>

#include <supervise/diag.hh>
#include <supervise/envdir.hh>
#include <supervise/fd.hh>
#include <supervise/ipcclient.hh>
#include <supervise/opts.hh>
#include <supervise/sudoclient.hh>

namespace {
constexpr std::string_view usage = "s6-sudo [ -q | -Q | -v ] [ -p bindpath ] [ -l localname ] "
                                   "[ -e ] [ -t timeout ] [ -T timeoutrun ] path [ args... ]";
}

int sudo_main(int argc, char **argv)
{
    sv::prog = "s6-sudo";
    unsigned verbosity = 1, t = 0, T = 0;
    char const *bindpath = nullptr, *localname = nullptr;
    bool nodoenv = false;
    sv::opt_parser opts{argc, argv, "qQvp:l:et:T:"};
    while (int c = opts.next()) {
        switch (c) {
        case 'q':
            if (verbosity) verbosity--;
            break;
        case 'Q': verbosity = 1; break;
        case 'v': verbosity++; break;
        case 'p': bindpath = opts.arg(); break;
        case 'l': localname = opts.arg(); break;
        case 'e': nodoenv = true; break;
        case 't':
            if (!sv::scan_uint(opts.arg(), t)) sv::die_usage(usage);
            break;
        case 'T':
            if (!sv::scan_uint(opts.arg(), T)) sv::die_usage(usage);
            break;
        default: sv::die_usage(usage);
        }
    }
    auto const rest = opts.operands();
    if (rest.empty()) sv::die_usage(usage);
    if (verbosity > 4) verbosity = 4;


    // What stock does in three programs (s6-sudo execs s6-ipcclient, which execs s6-sudoc),
    // in one: the same connection, environment and request, with each stage's messages under
    // its own name, and two execs fewer.
    // A closed std fd must not be taken by the socket: s6-sudoc would find /dev/null there.
    sv::ensure_std_fds();
    sv::prog = "s6-ipcclient";
    std::vector<sv::env_change> changes;
    sv::ipc_client_opts const copts{bindpath, localname, verbosity ? verbosity : 1};
    int const s = sv::ipc_client_connect_or_die(rest[0], copts, changes);

    sv::prog = "s6-sudoc";
    std::vector<std::string> env;
    std::vector<char const *> envp;
    if (!nodoenv) {
        // The environment s6-sudoc would have had: ours with s6-ipcclient's changes merged.
        env = sv::env_merged(changes);
        for (auto const &e : env) envp.push_back(e.c_str());
    }
    return sv::sudo_client_run(s, s, {rest.data() + 1, rest.size() - 1}, envp, {t, T});
}
