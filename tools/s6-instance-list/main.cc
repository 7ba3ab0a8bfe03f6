// s6-instance-list: print the instances of an instanced service, one name per line, as
// s6 2.11.3.2's s6-instance-list does: require the inner s6-svscan to run (exit 1 if it does
// not: a stock quirk its page leaves out), then list SERVICE/instance in directory order,
// leaving out names that start with a dot (.s6-svscan).
#include <cerrno>
#include <dirent.h>
#include <string_view>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/instance.hh>
#include <supervise/opts.hh>
#include <supervise/out.hh>

namespace {

constexpr std::string_view usage = "s6-instance-list service";

} // namespace

int instance_list_main(int argc, char **argv)
{
    sv::prog = "s6-instance-list";
    sv::opt_parser opts{argc, argv, ""};
    while (opts.next()) sv::die_usage(usage);
    auto const args = opts.operands();
    if (args.empty()) sv::die_usage(usage);
    std::string_view const service = args[0];
    sv::instance_chdir_or_die(service);

    DIR *d = ::opendir(".");
    if (!d) sv::die_sys(sv::exitcode::system, "unable to readdir ", service, "/instance");
    sv::out_buf out(STDOUT_FILENO);
    for (;;) {
        errno = 0;
        dirent *e = ::readdir(d);
        if (!e) break;
        if (e->d_name[0] == '.') continue;
        out.put(e->d_name).put('\n');
    }
    if (errno) sv::die_sys(sv::exitcode::system, "unable to readdir ", service, "/instance");
    ::closedir(d);
    if (!out.flush()) sv::die_sys(sv::exitcode::system, "unable to write to stdout");
    return 0;
}
