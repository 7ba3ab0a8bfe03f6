// s6-instance-control: send commands to one instance of an instanced service, as
// s6 2.11.3.2's s6-instance-control does: check the options as s6-svc takes them (the letters
// abqhkti12pcyroduDUxO, at most 62 of them, -T timeout, -w one of dDuUrR) and the two
// operands, then exec s6-svc with the same options on SERVICE/instance/NAME.  The s6-svc run is
// ours (beside this executable, else in the install bindir), never stock's by accident; its
// exit code and messages are s6-svc's.
#include <string>
#include <string_view>
#include <vector>

#include <supervise/diag.hh>
#include <supervise/exec.hh>
#include <supervise/fd.hh>
#include <supervise/instance.hh>
#include <supervise/opts.hh>
#include <supervise/sibling.hh>

namespace {

constexpr std::string_view usage =
    "s6-instance-control [ -wu | -wU | -wd | -wD | -wr | -wR ] [ -T timeout ] "
    "[ -abqhkti12pcyroduDUxO ] service instancename";

// s6-svc keeps its letters, after a '-', in 63 bytes.
constexpr unsigned max_letters = 62;

} // namespace

int instance_control_main(int argc, char **argv)
{
    sv::prog = "s6-instance-control";
    unsigned letters = 0, timeout = 0;
    sv::opt_parser opts{argc, argv, "abqhkti12pcyroduDUxOT:w:"};
    while (int c = opts.next()) {
        switch (c) {
        case 'T':
            if (!sv::scan_uint(opts.arg(), timeout)) sv::die_usage(usage);
            break;
        case 'w':
            // Only the first character counts, as in s6-svc; an empty argument is refused.
            if (std::string_view("dDuUrR").find(opts.arg()[0]) == std::string_view::npos)
                sv::die_usage(usage);
            break;
        case '?': sv::die_usage(usage);
        default:
            if (++letters > max_letters) sv::die(sv::exitcode::usage, "too many commands");
        }
    }
    auto const args = opts.operands();
    if (args.size() < 2) sv::die_usage(usage);
    std::string_view const service = args[0], name = args[1];
    if (service.empty()) sv::die(sv::exitcode::usage, "invalid service name");
    if (!sv::instance_name_ok(name)) sv::die(sv::exitcode::usage, "invalid instance name");

    std::string const svc = sv::our_program("s6-svc");
    // s6-svc gets our options as they were written, then the instance's directory; operands
    // past the second are dropped, as stock does.
    std::string const dir = std::string(service) + "/instance/" + std::string(name);
    std::vector<char const *> v{svc.c_str()};
    for (int i = 1; i < argc - static_cast<int>(args.size()); i++) v.push_back(argv[i]);
    v.push_back(dir.c_str());
    v.push_back(nullptr);
    sv::exec_or_die(v.data());
}
