// s6-svlink: add a service directory to a running scan directory and wait for its supervisor,
// as s6 2.11.3.2's s6-svlink does.  It checks that an s6-svscan holds SCANDIR/.s6-svscan/lock
// (exit 1 if none: the stock quirk, its page lists no such code), that DIR/run (and
// DIR/log/run, if DIR/log exists) are executable, warns if DIR is already supervised, then
// links DIR into SCANDIR under NAME (the basename of DIR by default) and waits for the
// supervisors: sv::supervise_link, which has the steps.  Options: -d (the service starts
// down, normally up), -D (down, and a down file stays), -P (a public event/), -f (give an
// existing event/ the mode asked for; without it an existing event/ is left as it is and
// that is no error, another stock quirk), -t ms (99 when it passes).
#include <cerrno>
#include <string_view>
#include <sys/stat.h>

#include <supervise/diag.hh>
#include <supervise/fd.hh>
#include <supervise/instance.hh>
#include <supervise/lock.hh>
#include <supervise/opts.hh>
#include <supervise/svlink.hh>
#include <supervise/svwait.hh>

namespace {

constexpr std::string_view usage =
    "s6-svlink [ -d | -D ] [ -f ] [ -P ] [ -t timeout ] scandir servicedir [ name ]";

// What POSIX basename() gives: the last component, trailing slashes ignored; "/" for a path
// made of slashes.
std::string_view base_name(std::string_view p) noexcept
{
    while (p.size() > 1 && p.back() == '/') p.remove_suffix(1);
    if (p == "/") return p;
    auto const slash = p.rfind('/');
    return slash == p.npos ? p : p.substr(slash + 1);
}

// Whether DIR is supervised (a warning if so), 111 if that cannot be told.
void warn_if_supervised(std::string_view dir) noexcept
{
    sv::path_buf lock(dir, "/supervise/lock");
    sv::lock_state const s = lock.ok() ? sv::lock_probe(lock.c_str()) : sv::lock_state::error;
    if (!lock.ok()) errno = ENAMETOOLONG;
    if (s == sv::lock_state::error)
        sv::die_sys(sv::exitcode::system, "unable to check supervision status of ", dir);
    if (s == sv::lock_state::held) sv::warn("supervisor already running on ", dir);
}

// DIR/run must exist and be executable by its owner.
void check_run(std::string_view dir) noexcept
{
    sv::path_buf run(dir, "/run");
    struct stat st;
    if (!run.ok()) errno = ENAMETOOLONG;
    if (!run.ok() || ::stat(run.c_str(), &st) < 0)
        sv::die_sys(sv::exitcode::system, "unable to stat ", run.view());
    if (!(st.st_mode & S_IXUSR)) sv::die(sv::exitcode::usage, run.view(), " is not executable");
}

// s6-svlink's checks of the service directory and of its logger.
void check_servicedir(std::string_view dir) noexcept
{
    check_run(dir);
    warn_if_supervised(dir);
    sv::path_buf log(dir, "/log");
    struct stat st;
    if (!log.ok()) errno = ENAMETOOLONG;
    if (!log.ok() || ::stat(log.c_str(), &st) < 0) {
        if (errno != ENOENT) sv::die_sys(sv::exitcode::system, "unable to stat ", log.view());
        return;
    }
    if (!S_ISDIR(st.st_mode)) sv::die(sv::exitcode::usage, log.view(), " is not a directory");
    check_run(log.view());
    warn_if_supervised(log.view());
}

} // namespace

int svlink_main(int argc, char **argv)
{
    sv::prog = "s6-svlink";
    sv::link_options o;
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
    std::string_view const scandir = args[0], servicedir = args[1];
    // The name is the third operand, or what basename(3) makes of the service directory.
    std::string const name(args.size() > 2 ? std::string_view(args[2]) : base_name(servicedir));
    if (scandir.empty()) sv::die(sv::exitcode::usage, "invalid scandir");
    if (servicedir.empty()) sv::die(sv::exitcode::usage, "invalid servicedir");
    if (name.empty() || name[0] == '.' || name[0] == '/')
        sv::die(sv::exitcode::usage, "invalid name");

    sv::path_buf lock(scandir, "/.s6-svscan/lock");
    sv::svscan_running_or_die(lock.c_str(), scandir, "s6-svscan not running on ", scandir);
    check_servicedir(servicedir);

    std::int64_t const deadline = sv::wait_deadline(timeout);
    if (sv::supervise_link(args[0], args[1], name.c_str(), o, deadline) < 0)
        sv::die_sys(errno == ETIMEDOUT ? sv::exitcode::timeout : sv::exitcode::system,
                    "unable to link servicedir ", servicedir, " into scandir ", scandir,
                    " with name ", name);
    return 0;
}
