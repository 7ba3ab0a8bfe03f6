// s6-ipcserver [ -q | -Q | -v ] [ -d | -D ] [ -P | -p ] [ -1 ] [ -c maxconn ] [ -C localmaxconn ]
// [ -b backlog ] [ -a socketperms ] [ -G gid,gid,... ] [ -g gid ] [ -u uid ] [ -U ] path prog...:
// a local server in one command, as in s6 2.11.3.2: it execs s6-ipcserver-socketbinder on
// path, then s6-applyuidgid when asked to drop privileges, then s6-ipcserverd running prog.
// The three are ours, found next to this executable (or in our install bindir).
#include <cstdio>
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

// An octal number making up all of s.
bool scan_octal(char const *s, unsigned &out) noexcept
{
    unsigned v = 0;
    if (!*s) return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '7' || v > (~0u >> 3)) return false;
        v = v * 8 + static_cast<unsigned>(*s - '0');
    }
    out = v;
    return true;
}

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

} // namespace

int main(int argc, char **argv)
{
    sv::prog = "s6-ipcserver";
    unsigned verbosity = 1, maxconn = 0, localmaxconn = 0, uid = 0, gid = 0;
    bool ready = false, dropall = false, lookup = true, reuse = true, have_backlog = false;
    unsigned backlog = 0, perms = 0777;
    char const *gids = nullptr;
    sv::opt_parser opts{argc, argv, "qQvDd1UPpc:C:b:a:u:g:G:"};
    while (int c = opts.next()) {
        switch (c) {
        case 'q': verbosity = 0; break;
        case 'Q': verbosity = 1; break;
        case 'v': verbosity = 2; break;
        case 'D': reuse = false; break;
        case 'd': reuse = true; break;
        case 'P': lookup = false; break;
        case 'p': lookup = true; break;
        case '1': ready = true; break;
        case 'c':
            if (!sv::scan_uint(opts.arg(), maxconn)) sv::die_usage(usage);
            if (!maxconn) maxconn = 1;
            break;
        case 'C':
            if (!sv::scan_uint(opts.arg(), localmaxconn)) sv::die_usage(usage);
            if (!localmaxconn) localmaxconn = 1;
            break;
        case 'b':
            if (!sv::scan_uint(opts.arg(), backlog)) sv::die_usage(usage);
            have_backlog = true;
            break;
        case 'a':
            if (!scan_octal(opts.arg(), perms)) sv::die_usage(usage);
            break;
        case 'u':
            if (!sv::scan_uint(opts.arg(), uid)) sv::die_usage(usage);
            break;
        case 'g':
            if (!sv::scan_uint(opts.arg(), gid)) sv::die_usage(usage);
            break;
        case 'G':
            if (!gid_list(opts.arg())) sv::die_usage(usage);
            gids = opts.arg();
            break;
        case 'U':
            dropall = true;
            uid = gid = 0;
            gids = nullptr;
            break;
        default: sv::die_usage(usage);
        }
    }
    auto const rest = opts.operands();
    if (rest.size() < 2) sv::die_usage(usage);

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
    if (!reuse) av.push_back("-D");
    if (have_backlog) av.insert(av.end(), {"-b", num(backlog ? backlog : 1)});
    if (perms != 0777) av.insert(av.end(), {"-a", num(perms & 0777, true)});
    av.insert(av.end(), {"--", rest[0]});
    if (dropall || uid || gid || gids) {
        av.push_back(apply.c_str());
        if (dropall) av.push_back("-Uz");
        if (uid) av.insert(av.end(), {"-u", num(uid)});
        if (gid) av.insert(av.end(), {"-g", num(gid)});
        if (gids) av.insert(av.end(), {"-G", gids});
        av.push_back("--");
    }
    av.push_back(daemon.c_str());
    if (!verbosity) av.push_back("-v0");
    else if (verbosity == 2) av.push_back("-v2");
    if (ready) av.push_back("-1");
    if (!lookup) av.push_back("-P");
    if (maxconn) av.insert(av.end(), {"-c", num(maxconn)});
    if (localmaxconn) av.insert(av.end(), {"-C", num(localmaxconn)});
    av.push_back("--");
    av.insert(av.end(), rest.begin() + 1, rest.end());
    av.push_back(nullptr);
    sv::exec_or_die(av.data());
}
