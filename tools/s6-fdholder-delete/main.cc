// s6-fdholder-delete [ -t timeout ] socket id: s6 2.11.3.2's client that makes a fd-holder
// daemon close and forget the fd held under id.  Exit: 0 done, 1 refused (EPERM, ENOENT),
// 100 usage, 111 no daemon.  Stock's failure message names the socket where it means the
// id ("unable to delete fd for id SOCKET"); we print the same, since scripts may match it.
#include <string_view>

#include <supervise/diag.hh>
#include <supervise/fdholder.hh>
#include <supervise/ipc.hh>
#include <supervise/opts.hh>
#include <supervise/tai64n.hh>

namespace {
constexpr std::string_view usage = "s6-fdholder-delete [ -t timeout ] socket id";
}

int main(int argc, char **argv)
{
    sv::prog = "s6-fdholder-delete";
    unsigned t = 0;
    sv::opt_parser opts{argc, argv, "t:"};
    while (int c = opts.next())
        if (c != 't' || !sv::scan_uint(opts.arg(), t)) sv::die_usage(usage);
    auto const rest = opts.operands();
    if (rest.size() < 2) sv::die_usage(usage);
    std::int64_t const deadline = t ? sv::mono_ms() + t : -1;
    int const sock = sv::ipc_connect_until(rest[0], deadline);
    if (sock < 0)
        sv::die_sys(sv::exitcode::system, "unable to connect to a fd-holder daemon at ", rest[0]);
    if (!sv::fdh::remove(sock, rest[1], deadline))
        sv::die_sys(1, "unable to delete fd for id ", rest[0]);
    return 0;
}
