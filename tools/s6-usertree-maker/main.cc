// s6-usertree-maker: make a service directory that runs a supervision tree for one user, as
// s6 2.11.3.2's s6-usertree-maker does, with a logger (DIR/log, or s6-rc source directories
// with -r SERVICE/LOGGER[/PIPELINE]).  Its run script is stock's execline, byte for byte once
// we are installed in /usr/bin: fd 2 to fd 1, an empty environment but PATH, USER set, the
// user's uid, gid and groups applied (s6-envuidgid, s6-applyuidgid), HOME from execline's
// homeof, optionally variables from an envdir (-E, and -e VAR to import them), PATH (-p,
// default /usr/bin:/bin), and s6-svscan -d3 on the user's scan directory (-d, default
// ${HOME}/service).  The s6 programs it names are ours (see supervise/autosvc.hh).  The checks,
// their order and their messages are stock's (a 65th -e is "too many -v variables").
#include <cerrno>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <vector>

#include <supervise/autosvc.hh>
#include <supervise/diag.hh>
#include <supervise/opts.hh>

namespace {

constexpr std::string_view usage =
    "s6-usertree-maker [ -d userscandir ] [ -p path ] [ -E envdir [ -e var ... ] ] "
    "[ -r service/logger[/pipeline] ] [ -l loguser ] [ -t stamptype ] [ -n nfiles ] "
    "[ -s filesize ] [ -S maxsize ] [ -P prefix ] user logdir dir";

sv::script_paths const &paths = sv::configured_paths;

constexpr std::size_t vars_max = 64;

struct tree_conf {
    std::string_view user;
    std::string_view scandir = "${HOME}/service";
    std::string_view path = "/usr/bin:/bin"; // skalibs' default PATH
    char const *envdir = nullptr;
    std::vector<std::string_view> vars;
};

std::string run_script(tree_conf const &t)
{
    std::string const user = sv::script_quote(t.user);
    std::string s = paths.shebang();
    s += paths.execline("fdmove") + " -c 2 1\n";
    s += paths.execline("emptyenv") + " -p\n";
    s += paths.execline("export") + " USER " + user + "\n";
    s += paths.s6("s6-envuidgid") + " -i -- " + user + "\n";
    s += paths.s6("s6-applyuidgid") + " -U --\n";
    s += paths.execline("backtick") + " -in HOME { " + paths.execline("homeof") + " " + user +
         " }\n";
    if (t.envdir) {
        s += paths.s6("s6-envdir") + " -i -- " + sv::script_quote(t.envdir) + "\n";
        if (!t.vars.empty()) {
            s += paths.execline("multisubstitute") + "\n{\n";
            for (auto v : t.vars) {
                std::string const q = sv::script_quote(v);
                s += "  importas -D \"\" -- " + q + " " + q + "\n";
            }
            s += "}\n";
        }
    }
    s += paths.execline("multisubstitute") +
         "\n{\n"
         "  importas -i USER USER\n"
         "  importas -i HOME HOME\n"
         "  importas -i UID UID\n"
         "  importas -i GID GID\n"
         "  importas -i GIDLIST GIDLIST\n}\n";
    if (t.envdir)
        for (auto v : t.vars) {
            std::string const q = sv::script_quote(v);
            s += paths.execline("export") + " " + q + " ${" + q + "}\n";
        }
    s += paths.execline("export") + " PATH " + sv::script_quote(t.path) + "\n";
    s += paths.s6("s6-svscan") + " -d3 -- " + sv::script_quote(t.scandir) + "\n";
    return s;
}

[[noreturn]] void die_write(sv::write_failure const &f) noexcept
{
    sv::die_sys(sv::exitcode::system, "unable to ", f.verb, " ", f.path);
}

} // namespace

int usertree_maker_main(int argc, char **argv)
{
    sv::prog = "s6-usertree-maker";
    tree_conf t;
    sv::logger_conf log;
    char const *rc = nullptr; // -r
    sv::opt_parser opts{argc, argv, "d:p:E:e:r:l:t:n:s:S:P:"};
    while (int c = opts.next()) {
        bool ok = true;
        if (sv::logger_option(c, opts.arg(), log, ok)) {
        } else if (c == 'd') {
            t.scandir = opts.arg();
        } else if (c == 'p') {
            t.path = opts.arg();
        } else if (c == 'E') {
            t.envdir = opts.arg();
        } else if (c == 'e') {
            if (t.vars.size() >= vars_max) sv::die(sv::exitcode::usage, "too many -v variables");
            if (std::string_view(opts.arg()).find('=') != std::string_view::npos)
                sv::die(sv::exitcode::usage, "invalid variable name: ", opts.arg());
            t.vars.push_back(opts.arg());
        } else if (c == 'r') {
            rc = opts.arg();
        } else {
            ok = false;
        }
        if (!ok) sv::die_usage(usage);
    }
    auto const args = opts.operands();
    if (args.size() < 3) sv::die_usage(usage);
    if (args[1][0] != '/') sv::die(sv::exitcode::usage, "logdir must be absolute");
    if (!t.scandir.starts_with("/") && !t.scandir.starts_with("${HOME}/"))
        sv::die(sv::exitcode::usage, "userscandir must be absolute or start with ${HOME}/");
    if (log.stamptype > 3) sv::die(sv::exitcode::usage, "stamptype must be 0, 1, 2 or 3");

    // -r service/logger[/pipeline]: here the logger is mandatory.
    sv::rc_names const n = rc ? sv::parse_rc_names(rc, true, true) : sv::rc_names{};
    t.user = args[0];
    log.dir = args[1];
    std::string const dir = args[2];
    std::string const run = run_script(t), logrun = sv::logger_run(paths, log);

    sv::write_failure f;
    if (rc) {
        // Unlike the directories below, this one is made under the caller's umask, as stock.
        if (::mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST)
            sv::die_sys(sv::exitcode::system, "unable to mkdir ", dir);
        if (!sv::write_service(dir + "/" + n.service, 3, run, n.logger.c_str(), f)) die_write(f);
        if (!sv::write_logger(dir + "/" + n.logger, logrun, n.service.c_str(),
                              n.has_pipeline ? n.pipeline.c_str() : nullptr, f))
            die_write(f);
    } else {
        if (!sv::write_service(dir, 3, run, nullptr, f)) die_write(f);
        if (!sv::write_logger(dir + "/log", logrun, nullptr, nullptr, f)) die_write(f);
    }
    return 0;
}
