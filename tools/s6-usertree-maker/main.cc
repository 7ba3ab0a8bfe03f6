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

int main(int argc, char **argv)
{
    sv::prog = "s6-usertree-maker";
    tree_conf t;
    sv::logger_conf log;
    std::string rc;
    bool have_rc = false;
    sv::opt_parser opts{argc, argv, "d:p:E:e:r:l:t:n:s:S:P:"};
    while (int c = opts.next()) {
        bool ok = true;
        unsigned long long n64 = 0;
        switch (c) {
        case 'd': t.scandir = opts.arg(); break;
        case 'p': t.path = opts.arg(); break;
        case 'E': t.envdir = opts.arg(); break;
        case 'e':
            if (t.vars.size() >= vars_max)
                sv::die(sv::exitcode::usage, "too many -v variables");
            if (std::string_view(opts.arg()).find('=') != std::string_view::npos)
                sv::die(sv::exitcode::usage, "invalid variable name: ", opts.arg());
            t.vars.push_back(opts.arg());
            break;
        case 'r': rc = opts.arg(), have_rc = true; break;
        case 'l': log.user = opts.arg(); break;
        case 't': ok = sv::scan_uint(opts.arg(), log.stamptype); break;
        case 'n': ok = sv::scan_uint(opts.arg(), log.nfiles); break;
        case 's': ok = sv::scan_uint64(opts.arg(), n64), log.filesize = n64; break;
        case 'S': ok = sv::scan_uint64(opts.arg(), n64), log.maxsize = n64; break;
        case 'P': log.prefix = opts.arg(); break;
        default: ok = false;
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
    std::string svc, logger, pipeline;
    bool has_pipeline = false;
    if (have_rc) {
        constexpr std::string_view bad_r =
            "argument to -r must be: service/logger or service/logger/pipeline";
        if (rc.find('\n') != rc.npos)
            sv::die(sv::exitcode::usage, "newlines", " are forbidden in s6-rc names");
        if (rc[0] == '/') sv::die(sv::exitcode::usage, "service", " name cannot be empty");
        auto const s1 = rc.find('/');
        if (s1 == rc.npos) sv::die(sv::exitcode::usage, bad_r);
        svc = rc.substr(0, s1);
        logger = rc.substr(s1 + 1);
        if (logger.empty()) sv::die(sv::exitcode::usage, bad_r);
        if (logger[0] == '/') sv::die(sv::exitcode::usage, "logger", " name cannot be empty");
        auto const s2 = logger.find('/');
        if (s2 != logger.npos) {
            has_pipeline = true;
            pipeline = logger.substr(s2 + 1);
            logger.resize(s2);
            if (pipeline.empty()) sv::die(sv::exitcode::usage, "pipeline", " name cannot be empty");
            if (pipeline.find('/') != pipeline.npos)
                sv::die(sv::exitcode::usage, "slashes", " are forbidden in s6-rc names");
        }
    }
    t.user = args[0];
    log.dir = args[1];
    std::string const dir = args[2];
    std::string const run = run_script(t), logrun = sv::logger_run(paths, log);

    sv::write_failure f;
    if (have_rc) {
        // Unlike the directories below, this one is made under the caller's umask, as stock.
        if (::mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST)
            sv::die_sys(sv::exitcode::system, "unable to mkdir ", dir);
        if (!sv::write_service(dir + "/" + svc, 3, run, logger.c_str(), f)) die_write(f);
        if (!sv::write_logger(dir + "/" + logger, logrun, svc.c_str(),
                              has_pipeline ? pipeline.c_str() : nullptr, f))
            die_write(f);
    } else {
        if (!sv::write_service(dir, 3, run, nullptr, f)) die_write(f);
        if (!sv::write_logger(dir + "/log", logrun, nullptr, nullptr, f)) die_write(f);
    }
    return 0;
}
