// logutil-service [ -f fifo ] logdir: run s6-log on logdir as user nobody, the way
// s6-overlay v2's logutil-service (and its logutil-service-main) did.
//
// v2's execline chain, step by step, and what we do for each:
//   elgetopt "f:" ... if { s6-test $# -ge 1 }  no logdir: exit 1, silently
//   redirfd -rnb 0 FIFO                        -f: FIFO becomes stdin, opened without blocking
//                                              (no writer needed), then set back to blocking
//   backtick -D "n20 s1000000 T" { printcontenv S6_LOGGING_SCRIPT }
//   importas -sCd" \t"                         the script, split on blanks, empty words dropped
//   s6-envuidgid -D 32768:32768 nobody         nobody's ids, from /etc/passwd and /etc/group
//   s6-applyuidgid -U                          read directly, no NSS; 32768:32768 if no nobody
//   exec -c                                    an empty environment
//   s6-log -bp -- SCRIPT... LOGDIR             our s6-log, the one next to this program
// The script comes from the container environment as printcontenv reads it (the live
// environment with S6_KEEP_ENV); outside a container, from our own environment, then the
// default.  Not run as root (a container with a non-root USER), we cannot become nobody and
// do not try: s6-log runs as whoever we are, where v2 failed on setgroups.
#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <string>
#include <unistd.h>
#include <vector>

#include <supervise/diag.hh>
#include <supervise/envdir.hh>
#include <supervise/exec.hh>
#include <supervise/fd.hh>
#include <supervise/opts.hh>
#include <supervise/sibling.hh>
#include <supervise/uidgid.hh>

namespace {

constexpr std::string_view usage = "logutil-service [ -f fifo ] logdir";
constexpr char const *default_script = "n20 s1000000 T";
constexpr char const *var = "S6_LOGGING_SCRIPT";

// S6_LOGGING_SCRIPT's value, or false if it is not set anywhere.
bool logging_script(std::string &out)
{
    if (sv::keep_env(std::getenv("S6_KEEP_ENV"))) {
        char const *v = std::getenv(var);
        if (!v || !*v) return false;
        out = v;
        return true;
    }
    sv::path_buf file(sv::container_env_dir(), "/", var);
    int fd = open(file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        // Not in a container environment: our own environment, if it has the variable.
        if (errno != ENOENT && errno != ENOTDIR)
            sv::die_sys(sv::exitcode::system, "unable to open ", file.view());
        char const *v = std::getenv(var);
        if (!v) return false;
        out = v;
        return true;
    }
    if (!sv::read_all(fd, out)) sv::die_sys(sv::exitcode::system, "unable to read ", file.view());
    close(fd);
    if (out.empty()) return false; // printcontenv: an empty file is unset
    while (!out.empty() && out.back() == '\n')
        out.pop_back(); // backtick -n
    return true;
}

} // namespace

int logutil_service_main(int argc, char **argv)
{
    sv::prog = "logutil-service";
    char const *fifo = nullptr;
    sv::opt_parser opts{argc, argv, "f:"};
    while (int c = opts.next()) {
        if (c == 'f')
            fifo = opts.arg();
        else
            sv::die_usage(usage);
    }
    auto rest = opts.operands();
    if (rest.empty()) return sv::exitcode::step_failed;
    char const *logdir = rest[0];

    if (fifo && *fifo) {
        int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_NOCTTY);
        if (fd < 0) sv::die_sys(sv::exitcode::system, "unable to open ", fifo);
        if (fd != 0) {
            if (dup2(fd, 0) < 0) sv::die_sys(sv::exitcode::system, "unable to move fd to stdin");
            close(fd);
        }
        if (!sv::set_nonblock(0, false))
            sv::die_sys(sv::exitcode::system, "unable to set stdin blocking");
    }

    std::string script;
    if (!logging_script(script)) script = default_script;
    std::vector<std::string> words;
    for (std::size_t i = 0; i < script.size();) {
        std::size_t j = script.find_first_of(" \t", i);
        if (j == std::string::npos) j = script.size();
        if (j > i) words.emplace_back(script, i, j - i);
        i = j + 1;
    }

    // s6-envuidgid -D 32768:32768 nobody
    sv::uidgid_spec spec;
    spec.insist = false;
    spec.uid = 32768;
    spec.gid = 32768;
    std::string bad;
    if (sv::resolve_uidgid("nobody", spec, bad) == sv::uidgid_status::groups_error)
        sv::die_sys(sv::exitcode::system, "unable to read the group file");
    std::string uid = std::to_string(spec.uid), gid = std::to_string(spec.gid);
    std::string gids = sv::fmt_gid_list(spec.gids);

    sv::path_buf s6log;
    if (!sv::sibling_path("s6-log", "/usr/bin", s6log))
        sv::die_sys(sv::exitcode::system, "unable to find s6-log");
    std::vector<char const *> chain = {"s6-applyuidgid", "-u",  uid.c_str(),  "-g",
                                       gid.c_str(),      "-G",  gids.c_str(), "--",
                                       s6log.c_str(),    "-bp", "--"};
    for (auto const &w : words)
        chain.push_back(w.c_str());
    chain.push_back(logdir);
    int n = static_cast<int>(chain.size());
    chain.push_back(nullptr);

    // s6-applyuidgid -U, then exec -c.
    char const *const *next = chain.data() + 8;
    if (geteuid() == 0) next = sv::applyuidgid_main(n, chain.data());
    char const *const empty_env[] = {nullptr};
    sv::exec_or_die(next, empty_env);
}
