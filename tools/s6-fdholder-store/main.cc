// s6-fdholder-store [ -d fd ] [ -t timeout ] [ -T fdtimeout ] socket id: s6 2.11.3.2's
// client that gives a fd-holder daemon our fd (stdin, or -d fd) to hold under id.  -T makes
// the daemon close it fdtimeout ms from now (else never); -t bounds the whole exchange.
// Exit: 0 stored, 1 refused (the daemon's errno: EPERM, EBUSY id taken, ENFILE full), 100
// usage, 111 no daemon.
#include <string_view>

#include <supervise/diag.hh>
#include <supervise/fdholder.hh>
#include <supervise/opts.hh>
#include <supervise/tai64n.hh>

namespace {
constexpr std::string_view usage =
    "s6-fdholder-store [ -d fd ] [ -t timeout ] [ -T fdtimeout ] socket id";
}

int fdholder_store_main(int argc, char **argv)
{
    sv::prog = "s6-fdholder-store";
    unsigned fd = 0, t = 0, lim = 0;
    sv::opt_parser opts{argc, argv, "d:t:T:"};
    while (int c = opts.next()) {
        unsigned *out = c == 'd' ? &fd : c == 't' ? &t : c == 'T' ? &lim : nullptr;
        if (!out || !sv::scan_uint(opts.arg(), *out)) sv::die_usage(usage);
    }
    auto const rest = opts.operands();
    if (rest.size() < 2) sv::die_usage(usage);
    std::int64_t const deadline = sv::fdh::deadline_in(t);
    sv::tain const now = sv::tain_now();
    sv::tain const limit = lim ? sv::tain_add_ms(now, lim) : sv::fdh::limit_infinite(now);
    int const sock = sv::fdh::connect_or_die(rest[0], deadline);
    if (!sv::fdh::store(sock, static_cast<int>(fd), rest[1], limit, deadline))
        sv::die_sys(1, "unable to store fd");
    return 0;
}
