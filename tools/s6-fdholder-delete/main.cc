// s6-fdholder-delete [ -t timeout ] socket id: s6 2.11.3.2's client that makes a fd-holder
// daemon close and forget the fd held under id.  Exit: 0 done, 1 refused (EPERM, ENOENT),
// 100 usage, 111 no daemon.  Stock's failure message names the socket where it means the
// id ("unable to delete fd for id SOCKET"); we print the same, since scripts may match it.
#include <string_view>

#include <supervise/diag.hh>
#include <supervise/fdholder.hh>

namespace {
constexpr std::string_view usage = "s6-fdholder-delete [ -t timeout ] socket id";
}

int fdholder_delete_main(int argc, char **argv)
{
    sv::prog = "s6-fdholder-delete";
    unsigned t;
    auto const rest = sv::fdh::timeout_and_operands(argc, argv, 2, usage, t);
    std::int64_t const deadline = sv::fdh::deadline_in(t);
    int const sock = sv::fdh::connect_or_die(rest[0], deadline);
    if (!sv::fdh::remove(sock, rest[1], deadline))
        sv::die_sys(1, "unable to delete fd for id ", rest[0]);
    return 0;
}
