// s6-ipcserver [ -q | -Q | -v ] [ -d | -D ] [ -P | -p ] [ -1 ] [ -c maxconn ] [ -C localmaxconn ]
// [ -b backlog ] [ -a socketperms ] [ -G gid,gid,... ] [ -g gid ] [ -u uid ] [ -U ] path prog...:
// a local server in one command, as in s6 2.11.3.2: it execs s6-ipcserver-socketbinder on
// path, then s6-applyuidgid when asked to drop privileges, then s6-ipcserverd running prog.
// The three are ours, found next to this executable (or in our install bindir).
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include <supervise/diag.hh>
#include <supervise/exec.hh>
#include <supervise/opts.hh>
#include <supervise/sibling.hh>

namespace {

constexpr std::string_view usage =
    "s6-ipcserver [ -q | -Q | -v ] [ -d | -D ] [ -P | -p ] [ -1 ] [ -c maxconn ] "
    "[ -C localmaxconn ] [ -b backlog ] [ -a socketperms ] [ -G gid,gid,... ] [ -g gid ] "
    "[ -u uid ] [ -U ] path prog...";

// A comma-separated list of decimal gids, or the empty string.
bool gid_list(std::string_view s) noexcept
{
    if (s.empty()) return true;
    bool digit = false;
    for (char c : s) {
        if (c >= '0' && c <= '9') digit = true;
        else if (c == ',' && digit) digit = false;
        else return false;
    }
    return digit;
}

struct options {
    unsigned verbosity = 1, maxconn = 0, localmaxconn = 0, uid = 0, gid = 0;
    bool ready = false, dropall = false, lookup = true, reuse = true, have_backlog = false;
    unsigned backlog = 0, perms = 0777;
    char const *gids = nullptr;
};

// Execs the chain: socketbinder [applyuidgid] s6-ipcserverd, with the options each takes.
[[noreturn]] void exec_chain(options const &o, std::span<char const *const> rest)
{
    std::vector<std::string> words; // owns the formatted numbers
    words.reserve(8);
    auto num = [&](unsigned n, bool octal = false) {
        char buf[16];
        std::snprintf(buf, sizeof buf, octal ? "0%o" : "%u", n);
        words.emplace_back(buf);
        return words.back().c_str();
    };
    std::string const binder = sv::our_program("s6-ipcserver-socketbinder");
    std::string const apply = sv::our_program("s6-applyuidgid");
    std::string const daemon = sv::our_program("s6-ipcserverd");
    std::vector<char const *> av{binder.c_str()};
    if (!o.reuse) av.push_back("-D");
    if (o.have_backlog) av.insert(av.end(), {"-b", num(o.backlog ? o.backlog : 1)});
    if (o.perms != 0777) av.insert(av.end(), {"-a", num(o.perms & 0777, true)});
    av.insert(av.end(), {"--", rest[0]});
    if (o.dropall || o.uid || o.gid || o.gids) {
        av.push_back(apply.c_str());
        if (o.dropall) av.push_back("-Uz");
        if (o.uid) av.insert(av.end(), {"-u", num(o.uid)});
        if (o.gid) av.insert(av.end(), {"-g", num(o.gid)});
        if (o.gids) av.insert(av.end(), {"-G", o.gids});
        av.push_back("--");
    }
    av.push_back(daemon.c_str());
    if (!o.verbosity) av.push_back("-v0");
    else if (o.verbosity == 2) av.push_back("-v2");
    if (o.ready) av.push_back("-1");
    if (!o.lookup) av.push_back("-P");
    if (o.maxconn) av.insert(av.end(), {"-c", num(o.maxconn)});
    if (o.localmaxconn) av.insert(av.end(), {"-C", num(o.localmaxconn)});
    av.push_back("--");
    av.insert(av.end(), rest.begin() + 1, rest.end());
    av.push_back(nullptr);
    sv::exec_or_die(av.data());
}

} // namespace

int ipcserver_main(int argc, char **argv)
{
    sv::prog = "s6-ipcserver";
    options o;
    sv::opt_parser opts{argc, argv, "qQvDd1UPpc:C:b:a:u:g:G:"};
    while (int c = opts.next()) {
        switch (c) {
        case 'q': o.verbosity = 0; break;
        case 'Q': o.verbosity = 1; break;
        case 'v': o.verbosity = 2; break;
        case 'D': o.reuse = false; break;
        case 'd': o.reuse = true; break;
        case 'P': o.lookup = false; break;
        case 'p': o.lookup = true; break;
        case '1': o.ready = true; break;
        case 'c':
            if (!sv::scan_uint(opts.arg(), o.maxconn)) sv::die_usage(usage);
            if (!o.maxconn) o.maxconn = 1;
            break;
        case 'C':
            if (!sv::scan_uint(opts.arg(), o.localmaxconn)) sv::die_usage(usage);
            if (!o.localmaxconn) o.localmaxconn = 1;
            break;
        case 'b':
            if (!sv::scan_uint(opts.arg(), o.backlog)) sv::die_usage(usage);
            o.have_backlog = true;
            break;
        case 'a':
            if (!sv::scan_octal(opts.arg(), o.perms)) sv::die_usage(usage);
            break;
        case 'u':
            if (!sv::scan_uint(opts.arg(), o.uid)) sv::die_usage(usage);
            break;
        case 'g':
            if (!sv::scan_uint(opts.arg(), o.gid)) sv::die_usage(usage);
            break;
        case 'G':
            if (!gid_list(opts.arg())) sv::die_usage(usage);
            o.gids = opts.arg();
            break;
        case 'U':
            o.dropall = true;
            o.uid = o.gid = 0;
            o.gids = nullptr;
            break;
        default: sv::die_usage(usage);
        }
    }
    auto const rest = opts.operands();
    if (rest.size() < 2) sv::die_usage(usage);

    exec_chain(o, rest);
}
