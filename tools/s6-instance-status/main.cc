// s6-instance-status: report on one instance of an instanced service, as s6 2.11.3.2's
// s6-instance-status does: check the options as s6-svstat takes them (-n, -o FIELDS, the
// letters uwNrpest; at most 16 fields in all, no empty field) and the two operands, then
// exec s6-svstat with the same options on SERVICE/instance/NAME.  Like stock, an unknown -o
// field passes the check here and is refused by s6-svstat, and an unknown instance is
// s6-svstat's "not supervised", exit 1.  The s6-svstat run is ours (beside this executable,
// else in the install bindir), never stock's by accident.
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
    "s6-instance-status [ -uwNrpest | -o "
    "up,wantedup,normallyup,ready,paused,pid,exitcode,signal,signum,updownsince,readysince,"
    "updownfor,readyfor ] [ -n ] service name";

constexpr unsigned max_fields = 16;

void count_field(unsigned &n) noexcept
{
    if (n++ >= max_fields) sv::die(sv::exitcode::usage, "too many option fields");
}

} // namespace

int instance_status_main(int argc, char **argv)
{
    sv::prog = "s6-instance-status";
    unsigned fields = 0;
    sv::opt_parser opts{argc, argv, "no:uwNrpest"};
    while (int c = opts.next()) {
        switch (c) {
        case 'n': break;
        case 'o':
            for (std::string_view o = opts.arg(); !o.empty();) {
                auto const comma = o.find(',');
                if (comma == 0) sv::die(sv::exitcode::usage, "invalid null option field");
                count_field(fields);
                o.remove_prefix(comma == o.npos ? o.size() : comma + 1);
            }
            break;
        case '?': sv::die_usage(usage);
        default: count_field(fields);
        }
    }
    auto const args = opts.operands();
    if (args.size() < 2) sv::die_usage(usage);
    std::string_view const service = args[0], name = args[1];
    if (service.empty()) sv::die(sv::exitcode::usage, "invalid service name");
    if (!sv::instance_name_ok(name)) sv::die(sv::exitcode::usage, "invalid instance name");

    std::string const svstat = sv::our_program("s6-svstat");
    std::string const dir = std::string(service) + "/instance/" + std::string(name);
    std::vector<char const *> v{svstat.c_str()};
    for (int i = 1; i < argc - static_cast<int>(args.size()); i++) v.push_back(argv[i]);
    v.push_back(dir.c_str());
    v.push_back(nullptr);
    sv::exec_or_die(v.data());
}
