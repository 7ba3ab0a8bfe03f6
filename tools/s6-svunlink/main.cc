// s6-svunlink: take a service out of a running scan directory and wait for its supervisor to
// go, as s6 2.11.3.2's s6-svunlink does: remove SCANDIR/NAME, tell s6-svscan to rescan and
// prune ("an"), and wait for the "x" event of the service's supervisor (and its logger's),
// sv::supervise_unlink.  -X does not wait; -t ms bounds the wait, and its passing is no error:
// like stock, s6-svunlink exits 0 whenever it got as far as removing the link, and 111 only if
// the service could not be examined.
#include <cerrno>
#include <string_view>

#include <supervise/diag.hh>
#include <supervise/opts.hh>
#include <supervise/svlink.hh>
#include <supervise/svwait.hh>

namespace {

constexpr std::string_view usage = "s6-svunlink [ -X ] [ -t timeout ] scandir servicename";

} // namespace

int svunlink_main(int argc, char **argv)
{
    sv::prog = "s6-svunlink";
    bool wait = true;
    unsigned timeout = 0;
    sv::opt_parser opts{argc, argv, "Xt:"};
    while (int c = opts.next()) {
        switch (c) {
        case 'X': wait = false; break;
        case 't':
            if (!sv::scan_uint(opts.arg(), timeout)) sv::die_usage(usage);
            break;
        default: sv::die_usage(usage);
        }
    }
    auto const args = opts.operands();
    if (args.size() < 2) sv::die_usage(usage);
    std::string_view const name = args[1];
    if (name.empty() || name[0] == '.' || name[0] == '/')
        sv::die(sv::exitcode::usage, "invalid service name");

    if (sv::supervise_unlink(args[0], args[1], wait, sv::wait_deadline(timeout)) < 0)
        sv::die_sys(sv::exitcode::system, "unable to prepare unlinking of service ", name, " in scandir ",
                    args[0]);
    return 0;
}
