// s6-fdholder-transferdump [ -t timeoutfrom:timeoutto ] socketfrom socketto: s6 2.11.3.2's
// client that copies every fd (with its id and limit) a fd-holder daemon holds into another
// one: a getdump from the first, a setdump into the second.  The first timeout bounds the
// getdump, the second (counted from the end of it) the setdump.  Exit: 0 done, 1 refused,
// 100 usage, 111 a daemon is absent.
#include <string_view>
#include <vector>

#include <supervise/diag.hh>
#include <supervise/fdholder.hh>
#include <supervise/opts.hh>

namespace {
constexpr std::string_view usage =
    "s6-fdholder-transferdump [ -t timeoutfrom:timeoutto ] socketfrom socketto";

// "from", "from:", ":to", "from:to", as stock reads them (an empty part is 0, no timeout).
bool scan_pair(std::string_view s, unsigned &from, unsigned &to)
{
    std::size_t const colon = s.find(':');
    std::string_view const a = s.substr(0, colon);
    from = to = 0;
    if (!a.empty() && !sv::scan_uint(a, from)) return false;
    if (a.empty() && colon == s.npos) return false;
    if (colon == s.npos) return true;
    std::string_view const b = s.substr(colon + 1);
    return b.empty() || sv::scan_uint(b, to);
}
} // namespace

int fdholder_transferdump_main(int argc, char **argv)
{
    sv::prog = "s6-fdholder-transferdump";
    unsigned from = 0, to = 0;
    sv::opt_parser opts{argc, argv, "t:"};
    while (int c = opts.next())
        if (c != 't' || !scan_pair(opts.arg(), from, to)) sv::die_usage(usage);
    auto const rest = opts.operands();
    if (rest.size() < 2) sv::die_usage(usage);
    std::int64_t deadline = sv::fdh::deadline_in(from);
    int sock = sv::fdh::connect_or_die(rest[0], deadline, "a source fd-holder daemon");
    std::vector<sv::fdh::dump_entry> dump;
    if (!sv::fdh::getdump(sock, dump, deadline)) sv::die_sys(1, "unable to get dump");
    deadline = sv::fdh::deadline_in(to);
    sock = sv::fdh::connect_or_die(rest[1], deadline, "a destination fd-holder daemon");
    if (!sv::fdh::setdump(sock, dump, deadline)) sv::die_sys(1, "unable to set dump");
    return 0;
}
