// s6-rc [ -v verbosity ] [ -n dryrunthrottle ] [ -t timeout ] [ -l live ] [ -b ] [ -u | -d |
// -D ] [ -p ] [ -a ] help|list|change|start|stop [ servicenames... ]: s6-rc 0.5.4.1's command
// line, for an s6-overlay v3 image running under s6pp's /init.  Stock s6-rc works on a
// compiled database and a live directory; here /init holds the service graph it started at
// boot (from /etc/s6-overlay/s6-rc.d), so this program only sends it the request over
// RUN/s6/rc.sock (RUN: $S6_RUNTIME_DIR, else /run; libsupervise rcctl.hh) and prints the
// answer.  /init brings the selection up (-u, the default) or down (-d, -D), each service
// once its dependencies (or dependents) are done, as stock does.
//
// Exit codes, stock's: 0 done; 1 some transitions failed; 2 timed out; 3 an unknown service
// name; 100 usage (and the commands listall, diff and -n, -p, which s6pp does not do); 111 a
// system error, /init not listening among them.  -v, -l, -b and -X are accepted and have no
// effect: /init's progress lines go to the container's log.
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/fd.hh>
#include <supervise/ipc.hh>
#include <supervise/opts.hh>
#include <supervise/rcctl.hh>

namespace {

constexpr std::string_view usage =
    "s6-rc [ -v verbosity ] [ -n dryrunthrottle ] [ -t timeout ] [ -l live ] [ -b ] "
    "[ -u | -d | -D ] [ -p ] [ -a ] help|list|listall|diff|start|stop|change "
    "[ servicenames... ]";

// Parses the command line into q; exits on bad usage.  Returns false for help.
bool parse(int argc, char **argv, sv::rc::request &q)
{
    char dir = 'u';
    bool all = false;
    sv::opt_parser opts{argc, argv, "v:n:t:l:udDpaXb"};
    while (int c = opts.next()) {
        unsigned n;
        switch (c) {
        case 'v': if (!sv::scan_uint(opts.arg(), n)) sv::die_usage(usage); break;
        case 't': if (!sv::scan_uint(opts.arg(), q.timeout_ms)) sv::die_usage(usage); break;
        case 'l': case 'X': case 'b': break;
        case 'u': case 'd': case 'D': dir = static_cast<char>(c); break;
        case 'a': all = true; break;
        case 'n': case 'p':
            sv::die(sv::exitcode::usage, "option -", std::string(1, char(c)),
                    " is not supported by s6pp");
        default: sv::die_usage(usage);
        }
    }
    auto ops = opts.operands();
    if (ops.empty()) sv::die_usage(usage);
    std::string_view const cmd = ops[0];
    if (cmd == "help") return false;
    if (cmd == "start" || cmd == "stop") dir = cmd == "start" ? 'u' : 'd';
    else if (cmd == "listall" || cmd == "diff")
        sv::die(sv::exitcode::usage, cmd, " is not supported by s6pp");
    else if (cmd != "change" && cmd != "list")
        sv::die_usage(usage);
    q.op = cmd == "list" ? "list" : "change";
    q.flags = std::string(1, dir) + (all ? "a" : "");
    for (std::size_t i = 1; i < ops.size(); i++) q.names.emplace_back(ops[i]);
    return true;
}

} // namespace

int rc_main(int argc, char **argv)
{
    sv::prog = "s6-rc";
    sv::rc::request q;
    if (!parse(argc, argv, q)) {
        sv::write_full(1, std::string(usage) + "\n");
        return 0;
    }
    char const *rd = getenv("S6_RUNTIME_DIR");
    std::string const path = sv::rc::socket_path(rd && *rd ? rd : "/run");
    sv::unique_fd s(sv::ipc_connect_until(path.c_str(), -1));
    if (!s) sv::die_sys(sv::exitcode::system, "unable to connect to /init at ", path);
    std::string const bytes = sv::rc::pack(q);
    if (!sv::write_full(s.get(), bytes) || shutdown(s.get(), SHUT_WR) < 0)
        sv::die_sys(sv::exitcode::system, "unable to send the request to ", path);
    std::string answer;
    sv::rc::reply r;
    if (!sv::read_all(s.get(), answer)) sv::die_sys(sv::exitcode::system, "unable to read the answer");
    if (!sv::rc::unpack(answer, r)) sv::die(sv::exitcode::system, "invalid answer from /init");
    if (!r.out.empty()) sv::write_full(1, r.out);
    if (!r.err.empty()) sv::write_full(2, r.err);
    return r.code;
}
