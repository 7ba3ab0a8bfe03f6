// s6-instance-maker: make the service directory of an instanced service, as s6 2.11.3.2's
// s6-instance-maker does (the layout is in supervise/instance.hh).  Its run script is stock's
// execline, byte for byte once we are installed in /usr/bin:
//
//   #!/usr/bin/execlineb -P
//   (empty line)
//   /usr/lib/execline/bin/fdmove -c 2 1
//   /usr/bin/s6-setuidgid "USER"            (only with -u)
//   /usr/bin/s6-svscan -d3 -cMAX -- instance
//
// where the s6 programs are ours (see supervise/autosvc.hh), so a tree made here runs our
// s6-svscan, and stock's s6-instance-* drive it like their own.  -c MAX is taken as stock
// takes it: 0 and 1 become 1 (the page says values below 2 are refused), anything above
// 90000 becomes 90000.  -L LOGDIR adds a logger, DIR/log (options -l -t -n -s -S -P).  -r
// SERVICE[/LOGGER[/PIPELINE]] makes s6-rc source directories instead: DIR/SERVICE (with no
// instance/ or instances/, as stock) and DIR/LOGGER.  The checks, their order and their
// messages are stock's, typos included ("logger specifiec").
#include <cerrno>
#include <string>
#include <string_view>
#include <sys/stat.h>

#include <supervise/autosvc.hh>
#include <supervise/diag.hh>
#include <supervise/opts.hh>
#include <supervise/tree.hh>

namespace {

constexpr std::string_view usage =
    "s6-instance-maker [ -c max ] [ -u user ] [ -l loguser ] [ -L logdir ] [ -t stamptype ] "
    "[ -n nfiles ] [ -s filesize ] [ -S maxsize ] [ -P prefix ] "
    "[ -r service[/logger[/pipeline]] ] template dir";

sv::script_paths const &paths = sv::configured_paths;

[[noreturn]] void die_write(sv::write_failure const &f) noexcept
{
    sv::die_sys(sv::exitcode::system, "unable to ", f.verb, " ", f.path);
}

std::string run_script(std::string_view user, unsigned max)
{
    std::string s = paths.shebang() + "\n" + paths.execline("fdmove") + " -c 2 1\n";
    if (!user.empty()) s += paths.s6("s6-setuidgid") + " " + sv::script_quote(user) + "\n";
    return s + paths.s6("s6-svscan") + " -d3 -c" + std::to_string(max) + " -- instance\n";
}

// mkdir 0755 whatever the umask; with exist_ok an existing one is fine.
void make_dir(std::string const &dir, bool exist_ok) noexcept
{
    mode_t const old = ::umask(0);
    if (::mkdir(dir.c_str(), 0755) < 0 && !(exist_ok && errno == EEXIST))
        sv::die_sys(sv::exitcode::system, "unable to mkdir ", dir);
    ::umask(old);
}

// The instanced service itself: for s6-rc (rc_logger not null) without instance/ and
// instances/.
void write_instanced(std::string const &dir, char const *tmpl, std::string const &run,
                     char const *rc_logger) noexcept
{
    sv::write_failure f;
    if (!sv::write_service(dir, 3, run, rc_logger, f)) die_write(f);
    if (!rc_logger) {
        make_dir(dir + "/instance", false);
        make_dir(dir + "/instances", false);
    }
    if (!sv::copy_tree(tmpl, dir + "/template"))
        sv::die_sys(sv::exitcode::system, "unable to copy file hierarchy from ", tmpl, " to ",
                    dir, "/template");
}

} // namespace

int instance_maker_main(int argc, char **argv)
{
    sv::prog = "s6-instance-maker";
    std::string_view user;
    sv::logger_conf log;
    char const *logdir = nullptr;
    unsigned max = 500;
    char const *rc = nullptr; // -r
    sv::opt_parser opts{argc, argv, "u:l:L:c:t:n:s:S:P:r:"};
    while (int c = opts.next()) {
        bool ok = true;
        if (sv::logger_option(c, opts.arg(), log, ok)) {
        } else if (c == 'u') {
            user = opts.arg();
        } else if (c == 'L') {
            logdir = opts.arg();
        } else if (c == 'c') {
            ok = sv::scan_uint(opts.arg(), max);
        } else if (c == 'r') {
            rc = opts.arg();
        } else {
            ok = false;
        }
        if (!ok) sv::die_usage(usage);
    }
    auto const args = opts.operands();
    if (args.size() < 2) sv::die_usage(usage);
    if (logdir && logdir[0] != '/') sv::die(sv::exitcode::usage, "logdir must be absolute");
    if (log.stamptype > 3) sv::die(sv::exitcode::usage, "stamptype must be 0, 1, 2 or 3");
    if (user.find_first_of(" \t\n") != user.npos) sv::die(sv::exitcode::usage, "invalid user");
    if (max < 1) max = 1;
    if (max > 90000) max = 90000;

    std::string const dir = args[1];
    std::string const run = run_script(user, max);
    sv::write_failure f;
    if (rc) {
        sv::rc_names const n = sv::parse_rc_names(rc, false, logdir != nullptr);
        make_dir(dir, true);
        write_instanced(dir + "/" + n.service, args[0], run, n.has_logger ? n.logger.c_str() : "");
        if (n.has_logger) {
            log.dir = logdir;
            if (!sv::write_logger(dir + "/" + n.logger, sv::logger_run(paths, log),
                                  n.service.c_str(), n.has_pipeline ? n.pipeline.c_str() : nullptr,
                                  f))
                die_write(f);
        }
    } else {
        write_instanced(dir, args[0], run, nullptr);
        if (logdir) {
            log.dir = logdir;
            if (!sv::write_logger(dir + "/log", sv::logger_run(paths, log), nullptr, nullptr, f))
                die_write(f);
        }
    }
    return 0;
}
