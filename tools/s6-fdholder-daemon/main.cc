// s6-fdholder-daemon [ -v verbosity ] [ -d | -D ] [ -1 ] [ -c maxconn ] [ -n maxfds ]
// [ -b backlog ] [ -G gid,gid,... ] [ -g gid ] [ -u uid ] [ -U ] [ -t timeout ]
// [ -T lameducktimeout ] [ -i rulesdir | -x rulesfile ] path: s6 2.11.3.2's fd-holder
// launcher.  It checks its options and execs the chain stock builds:
//     s6-ipcserver-socketbinder [ -D ] [ -b backlog ] -- path
//     [ s6-applyuidgid [ -Uz ] [ -u uid ] [ -g gid ] [ -G gids ] -- ]
//     s6-fdholderd [ -v verbosity ] [ -1 ] [ -c maxconn ] [ -n maxfds ] [ -t timeout ]
//                  [ -T lameducktimeout ] -i rulesdir | -x rulesfile
// with our own programs (next to this one, or in our install bindir), never stock's.  As in
// stock, -c 0 and -n 0 mean 1, and s6-applyuidgid comes in only with -U, a non-zero -u or
// -g, or -G.
#include <string>
#include <string_view>
#include <vector>

#include <supervise/diag.hh>
#include <supervise/exec.hh>
#include <supervise/opts.hh>
#include <supervise/sibling.hh>

namespace {

constexpr std::string_view usage =
    "s6-fdholder-daemon [ -v verbosity ] [ -d | -D ] [ -1 ] [ -c maxconn ] [ -n maxfds ] "
    "[ -b backlog ] [ -G gid,gid,... ] [ -g gid ] [ -u uid ] [ -U ] [ -t timeout ] "
    "[ -T lameducktimeout ] [ -i rulesdir | -x rulesfile ] path";

// A -G list as stock's gid_scanlist takes it: numbers separated by commas (or empty).
bool gid_list_ok(std::string_view s)
{
    while (!s.empty()) {
        std::size_t const comma = s.find(',');
        unsigned g;
        if (!sv::scan_uint(s.substr(0, comma), g)) return false;
        if (comma == s.npos) break;
        s.remove_prefix(comma + 1);
    }
    return true;
}

} // namespace

int fdholder_daemon_main(int argc, char **argv)
{
    sv::prog = "s6-fdholder-daemon";
    unsigned verbosity = 1, maxconn = 0, maxfds = 0, uid = 0, gid = 0, t = 0, lt = 0;
    bool ready = false, reuse = true, flag_u = false, have_backlog = false;
    unsigned backlog = 0;
    char const *gids = nullptr, *rulesdir = nullptr, *rulesfile = nullptr;
    sv::opt_parser opts{argc, argv, "Dd1Uv:c:n:b:u:g:G:t:T:i:x:"};
    auto num = [&](unsigned &out) {
        if (!sv::scan_uint(opts.arg(), out)) sv::die_usage(usage);
    };
    while (int c = opts.next()) {
        switch (c) {
        case 'D': reuse = false; break;
        case 'd': reuse = true; break;
        case '1': ready = true; break;
        case 'v': num(verbosity); break;
        case 'c': num(maxconn); if (!maxconn) maxconn = 1; break;
        case 'n': num(maxfds); if (!maxfds) maxfds = 1; break;
        case 'b': num(backlog); have_backlog = true; break;
        case 'u': num(uid); break;
        case 'g': num(gid); break;
        case 'G': if (!gid_list_ok(opts.arg())) sv::die_usage(usage); gids = opts.arg(); break;
        case 'U': flag_u = true; uid = 0; gid = 0; gids = nullptr; break;
        case 't': num(t); break;
        case 'T': num(lt); break;
        case 'i': rulesdir = opts.arg(); rulesfile = nullptr; break;
        case 'x': rulesfile = opts.arg(); rulesdir = nullptr; break;
        default: sv::die_usage(usage);
        }
    }
    auto const rest = opts.operands();
    if (rest.empty()) sv::die_usage(usage);
    if (!rulesdir && !rulesfile) sv::die(sv::exitcode::usage, "no access rights specified!");

    std::vector<std::string> words;
    auto add = [&](std::string_view w) { words.emplace_back(w); };
    auto add_num = [&](std::string_view opt, unsigned n) {
        add(opt);
        add(std::to_string(n));
    };
    add(sv::our_program("s6-ipcserver-socketbinder"));
    if (!reuse) add("-D");
    if (have_backlog) {
        add_num("-b", backlog);
    }
    add("--");
    add(rest[0]);
    if (flag_u || uid || gid || gids) {
        add(sv::our_program("s6-applyuidgid"));
        if (flag_u) add("-Uz");
        if (uid) add_num("-u", uid);
        if (gid) add_num("-g", gid);
        if (gids) {
            add("-G");
            add(gids);
        }
        add("--");
    }
    add(sv::our_program("s6-fdholderd"));
    if (verbosity != 1) add_num("-v", verbosity);
    if (ready) add("-1");
    if (maxconn) add_num("-c", maxconn);
    if (maxfds) add_num("-n", maxfds);
    if (t) add_num("-t", t);
    if (lt) add_num("-T", lt);
    add(rulesdir ? "-i" : "-x");
    add(rulesdir ? rulesdir : rulesfile);
    std::vector<char const *> av;
    for (auto const &w : words) av.push_back(w.c_str());
    av.push_back(nullptr);
    sv::exec_or_die(av.data());
}
