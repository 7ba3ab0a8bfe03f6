// s6-sudo [ -q | -Q | -v ] [ -p bindpath ] [ -l localname ] [ -e ] [ -t timeout ]
// [ -T timeoutrun ] path [ args... ]: runs args as a program started by the s6-sudod server
// listening at path, as s6 2.11.3.2 does: it execs s6-ipcclient on path with s6-sudoc.
// Both are ours, found next to this executable (or in our install bindir), never stock's.
#include <string>
#include <vector>

#include <supervise/diag.hh>
#include <supervise/exec.hh>
#include <supervise/opts.hh>
#include <supervise/sibling.hh>

namespace {
constexpr std::string_view usage = "s6-sudo [ -q | -Q | -v ] [ -p bindpath ] [ -l localname ] "
                                   "[ -e ] [ -t timeout ] [ -T timeoutrun ] path [ args... ]";
}

int main(int argc, char **argv)
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

    std::string const client = sv::our_program("s6-ipcclient");
    std::string const sudoc = sv::our_program("s6-sudoc");
    std::string const ts = std::to_string(t), Ts = std::to_string(T);
    std::vector<char const *> av{client.c_str()};
    if (!verbosity) av.push_back("-Q");
    else
        while (--verbosity) av.push_back("-v");
    if (bindpath) av.insert(av.end(), {"-p", bindpath});
    if (localname) av.insert(av.end(), {"-l", localname});
    av.insert(av.end(), {"--", rest[0], sudoc.c_str()});
    if (nodoenv) av.push_back("-e");
    av.insert(av.end(), {"-t", ts.c_str(), "-T", Ts.c_str(), "--"});
    av.insert(av.end(), rest.begin() + 1, rest.end());
    av.push_back(nullptr);
    sv::exec_or_die(av.data());
}
