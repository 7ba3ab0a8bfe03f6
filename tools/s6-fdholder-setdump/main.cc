// s6-fdholder-setdump [ -t timeout ] socket: s6 2.11.3.2's client that gives a fd-holder
// daemon the fds its environment describes, in s6-fdholder-getdump's form (S6_FD#, S6_FD_i,
// S6_FDID_i, S6_FDLIMIT_i; no S6_FDLIMIT_i means no limit).  An id the daemon already holds
// is replaced.  Exit: 0, 1 refused (EPERM: S6_FDHOLDER_SETDUMP not granted, ENFILE), 100
// usage or a missing or invalid variable, 111 no daemon.
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <supervise/diag.hh>
#include <supervise/fdholder.hh>
#include <supervise/opts.hh>
#include <supervise/tai64n.hh>

namespace {
constexpr std::string_view usage = "s6-fdholder-setdump [ -t timeout ] socket";

char const *need(std::string const &name)
{
    char const *v = std::getenv(name.c_str());
    if (!v) sv::die(sv::exitcode::usage, name, " not set");
    return v;
}

[[noreturn]] void invalid(std::string const &name)
{
    sv::die(sv::exitcode::usage, "invalid $", name);
}
} // namespace

int fdholder_setdump_main(int argc, char **argv)
{
    sv::prog = "s6-fdholder-setdump";
    unsigned t;
    auto const rest = sv::fdh::timeout_and_operands(argc, argv, 1, usage, t);
    unsigned n = 0;
    if (!sv::scan_uint(need("S6_FD#"), n)) invalid("S6_FD#");
    std::int64_t const deadline = sv::fdh::deadline_in(t);
    sv::tain const now = sv::tain_now();
    int const sock = sv::fdh::connect_or_die(rest[0], deadline);
    std::vector<sv::fdh::dump_entry> dump(n);
    for (unsigned i = 0; i < n; i++) {
        std::string const k = std::to_string(i);
        unsigned fd;
        if (!sv::scan_uint(need("S6_FD_" + k), fd)) invalid("S6_FD_" + k);
        dump[i].fd = static_cast<int>(fd);
        dump[i].id = need("S6_FDID_" + k);
        if (dump[i].id.empty() || dump[i].id.size() > sv::fdh::id_max) invalid("S6_FDID_" + k);
        char const *lim = std::getenv(("S6_FDLIMIT_" + k).c_str());
        if (!lim) dump[i].limit = sv::fdh::limit_infinite(now);
        else if (!sv::tain_scan(lim, dump[i].limit)) // a label, then anything, as in stock
            invalid("S6_FDLIMIT_" + k);
    }
    if (!sv::fdh::setdump(sock, dump, deadline)) sv::die_sys(1, "unable to set dump");
    return 0;
}
