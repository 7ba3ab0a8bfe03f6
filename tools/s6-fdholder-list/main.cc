// s6-fdholder-list [ -t timeout ] socket: s6 2.11.3.2's client that prints the ids a
// fd-holder daemon holds, one a line, in the daemon's order.  Bytes that would break a line
// are quoted as stock quotes them: a backslash doubled, \a \b \t \n \v \f \r, and any other
// byte outside 0x20..0x7e as \0xHH.  Exit: 0, 1 refused (EPERM: S6_FDHOLDER_LIST not
// granted), 100 usage, 111 no daemon or a write error.
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include <supervise/autosvc.hh>
#include <supervise/diag.hh>
#include <supervise/fd.hh>
#include <supervise/fdholder.hh>

namespace {
constexpr std::string_view usage = "s6-fdholder-list [ -t timeout ] socket";
} // namespace

int fdholder_list_main(int argc, char **argv)
{
    sv::prog = "s6-fdholder-list";
    unsigned t;
    auto const rest = sv::fdh::timeout_and_operands(argc, argv, 1, usage, t);
    std::int64_t const deadline = sv::fdh::deadline_in(t);
    int const sock = sv::fdh::connect_or_die(rest[0], deadline);
    std::vector<std::string> ids;
    if (!sv::fdh::list(sock, ids, deadline)) sv::die_sys(1, "unable to get fd list");
    std::string out;
    for (auto const &id : ids) {
        sv::quote_escapes(out, id); // as stock quotes them
        out += '\n';
    }
    if (!sv::write_full(1, out)) sv::die_sys(sv::exitcode::system, "unable to write to stdout");
    return 0;
}
