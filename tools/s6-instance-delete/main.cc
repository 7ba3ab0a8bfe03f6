// s6-instance-delete: remove an instance of an instanced service, as s6 2.11.3.2's
// s6-instance-delete does: require the inner s6-svscan to run (exit 1 if it does not: a stock
// quirk its page leaves out), unlink instance/NAME and wait for its supervisor to exit
// (sv::supervise_unlink; -X does not wait, -t ms bounds the wait and its passing is no error),
// then remove SERVICE/instances/NAME.  An instance that does not exist is no error.
#include <string>
#include <string_view>

#include <supervise/diag.hh>
#include <supervise/instance.hh>
#include <supervise/opts.hh>
#include <supervise/svlink.hh>
#include <supervise/svwait.hh>
#include <supervise/tree.hh>

namespace {

constexpr std::string_view usage = "s6-instance-delete [ -X ] [ -t timeout ] service instancename";

} // namespace

int instance_delete_main(int argc, char **argv)
{
    sv::prog = "s6-instance-delete";
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
    std::string_view const service = args[0], name = args[1];
    if (!sv::instance_name_ok(name)) sv::die(sv::exitcode::usage, "invalid instance name");
    sv::instance_chdir_or_die(service);

    if (sv::supervise_unlink(".", args[1], wait, sv::wait_deadline(timeout)) < 0)
        sv::die_sys(sv::exitcode::system, "unable to prepare deletion of instance ", name,
                    " of service ", service);
    sv::rm_rf(("../instances/" + std::string(name)).c_str());
    return 0;
}
