// s6-instance-create: add an instance to an instanced service, as s6 2.11.3.2's
// s6-instance-create does: make SERVICE/instances and SERVICE/instance if missing, require the
// inner s6-svscan to run (exit 1 if it does not: a stock quirk its page leaves out), copy
// SERVICE/template to SERVICE/instances/NAME, link that as instance/NAME ->
// ../instances/NAME (a relative link) and wait for its supervisor (sv::supervise_link, with
// s6-svlink's -d -D -f -P -t).  If the copy or the link fails, the copy is removed again.
//
// On purpose unlike stock: an empty SERVICE is refused before anything is created; stock makes
// /instances and /instance at the root of the file system first.
#include <cerrno>
#include <string>
#include <string_view>
#include <sys/stat.h>

#include <supervise/diag.hh>
#include <supervise/instance.hh>
#include <supervise/opts.hh>
#include <supervise/svlink.hh>
#include <supervise/svwait.hh>
#include <supervise/tree.hh>

namespace {

constexpr std::string_view usage =
    "s6-instance-create [ -d | -D ] [ -f ] [ -P ] [ -t timeout ] service instancename";

// mkdir 0755 whatever the umask; an existing one is fine.
void make_dir(std::string const &dir) noexcept
{
    mode_t const old = ::umask(0);
    if (::mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST)
        sv::die_sys(sv::exitcode::system, "unable to mkdir ", dir);
    ::umask(old);
}

} // namespace

int instance_create_main(int argc, char **argv)
{
    sv::prog = "s6-instance-create";
    sv::link_options o;
    o.relative_ok = true;
    unsigned timeout = 0;
    sv::opt_parser opts{argc, argv, "dDfPt:"};
    while (int c = opts.next()) {
        switch (c) {
        case 'd': o.create_down = o.remove_down = true; break;
        case 'D': o.create_down = true, o.remove_down = false; break;
        case 'f': o.force_event = true; break;
        case 'P': o.public_event = true; break;
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
    if (service.empty()) sv::die(sv::exitcode::usage, "invalid service path");

    make_dir(std::string(service) + "/instances");
    make_dir(std::string(service) + "/instance");
    sv::instance_chdir_or_die(service);
    std::int64_t const deadline = sv::wait_deadline(timeout);

    // From here on the cwd is SERVICE/instance; messages name the paths from SERVICE.
    std::string const copy = "../instances/" + std::string(name);
    std::string_view const shown = std::string_view(copy).substr(2); // "/instances/NAME"
    struct stat st;
    if (::stat(copy.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            sv::die(sv::exitcode::usage, "unexpected file preventing instance creation at ",
                    service, shown);
        sv::die(sv::exitcode::usage, "instance appears to already exist at ", service, shown);
    }
    if (errno != ENOENT) sv::die_sys(sv::exitcode::system, "unable to stat ", service, shown);

    if (!sv::copy_tree("../template", copy)) {
        int const e = errno;
        sv::rm_rf(copy.c_str());
        errno = e;
        sv::die_sys(sv::exitcode::system, "unable to copy ", service, "/template to ", service,
                    shown);
    }
    if (sv::supervise_link(".", copy.c_str(), args[1], o, deadline) < 0) {
        int const e = errno;
        sv::rm_rf(copy.c_str());
        errno = e;
        sv::die_sys(e == ETIMEDOUT ? sv::exitcode::timeout : sv::exitcode::system,
                    "unable to create instance of ", service, " named ", name);
    }
    return 0;
}
