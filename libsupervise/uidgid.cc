#include <supervise/uidgid.hh>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <grp.h>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/envdir.hh>
#include <supervise/opts.hh>
#include <supervise/passwd.hh>

namespace sv {

std::size_t scan_u32_prefix(std::string_view s, std::uint32_t &out) noexcept
{
    std::uint64_t v = 0;
    std::size_t i = 0;
    // Like skalibs, stop before the digit that would overflow instead of failing.
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; i++) {
        std::uint64_t n = v * 10 + static_cast<unsigned>(s[i] - '0');
        if (n > 0xffffffffu) break;
        v = n;
    }
    if (i) out = static_cast<std::uint32_t>(v);
    return i;
}

bool scan_u32(std::string_view s, std::uint32_t &out) noexcept
{
    std::uint32_t v;
    std::size_t n = scan_u32_prefix(s, v);
    if (!n || n != s.size()) return false;
    out = v;
    return true;
}

namespace {
bool is_list_sep(char c) noexcept
{
    return c == ',' || c == ':' || c == ';' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
} // namespace

std::size_t scan_gid_list(std::string_view s, std::vector<gid_t> &out, std::size_t max) noexcept
{
    out.clear();
    std::size_t w = 0;
    while (w < s.size() && out.size() < max) {
        std::uint32_t g;
        std::size_t n = scan_u32_prefix(s.substr(w), g);
        if (!n) break;
        out.push_back(g);
        w += n;
        while (w < s.size() && is_list_sep(s[w]))
            w++;
    }
    return w;
}

std::string fmt_gid_list(std::span<gid_t const> gids) noexcept
{
    std::string s;
    for (std::size_t i = 0; i < gids.size(); i++) {
        if (i) s += ',';
        s += std::string_view(dec(gids[i]));
    }
    return s;
}

bool scan_uidgid_defaults(std::string_view s, uidgid_spec &spec) noexcept
{
    // skalibs' scan: each part is a number or empty (0); parts are separated by exactly one ':'.
    std::uint32_t v = 0;
    std::size_t pos = scan_u32_prefix(s, v);
    if (!pos && (s.empty() || s[0] != ':')) return false;
    spec.uid = pos ? v : 0;
    spec.gid = 0;
    spec.gids.clear();
    s.remove_prefix(pos);
    if (s.empty()) return true;
    if (s[0] != ':') return false;
    s.remove_prefix(1);
    if (s.empty()) return true;
    pos = scan_u32_prefix(s, v);
    if (!pos && s[0] != ':') return false;
    spec.gid = pos ? v : 0;
    s.remove_prefix(pos);
    if (s.empty()) return true;
    if (s[0] != ':') return false;
    s.remove_prefix(1);
    if (s.empty()) return true;
    return scan_gid_list(s, spec.gids) != 0;
}

uidgid_status resolve_uidgid(std::string_view account, uidgid_spec &spec, std::string &bad,
                             char const *passwd_path, char const *group_path) noexcept
{
    if (!passwd_path) passwd_path = passwd_file;
    if (!group_path) group_path = group_file;
    std::string_view usr, grp;
    bool has_user = false, has_group = false;
    switch (spec.what) {
    case 1:
    case 7:
        usr = account;
        has_user = true;
        break;
    case 2:
        grp = account;
        has_group = true;
        break;
    default: { // 3: user:group, an empty side is left alone
        auto colon = account.find(':');
        usr = account.substr(0, colon);
        has_user = colon == std::string_view::npos || colon > 0;
        if (colon != std::string_view::npos) {
            grp = account.substr(colon + 1);
            has_group = !grp.empty();
        }
        break;
    }
    }

    if (has_group) {
        group g;
        std::uint32_t n;
        if (lookup_group(grp, g, group_path))
            spec.gid = g.gid;
        else if (spec.numeric && scan_u32_prefix(grp, n))
            spec.gid = n; // skalibs' gid_scan accepts a numeric prefix here
        else if (spec.insist) {
            bad.assign(grp);
            return uidgid_status::unknown_group;
        }
    }
    if (has_user) {
        user u;
        std::uint32_t n;
        // As with getpwnam in s6, an unreadable passwd file counts as "not found".
        if (lookup_user(usr, u, passwd_path)) {
            spec.uid = u.uid;
            if (spec.what == 7) {
                if (!groups_of(account, spec.gids, gid_list_max, group_path)) {
                    bad.assign(account);
                    return uidgid_status::groups_error;
                }
                spec.gid = u.gid;
            }
        } else if (spec.numeric && scan_u32_prefix(usr, n))
            spec.uid = n;
        else if (spec.insist) {
            bad.assign(usr);
            return uidgid_status::unknown_user;
        }
    }
    return uidgid_status::ok;
}

char const *const *envuidgid_main(int argc, char const *const *argv) noexcept
{
    uidgid_spec spec;
    opt_parser opts{argc, argv, "ugBniD:"};
    while (int c = opts.next()) {
        switch (c) {
        case 'u':
            spec.what = 1;
            break;
        case 'g':
            spec.what = 2;
            break;
        case 'B':
            spec.what = 3;
            break;
        case 'n': // s6 quirk: -n also drops GIDLIST, so plain "-n ACCOUNT" parses user:group
            spec.what &= 3;
            spec.numeric = true;
            break;
        case 'i':
            spec.insist = true;
            break;
        case 'D':
            if (!scan_uidgid_defaults(opts.arg(), spec)) die_usage(envuidgid_usage);
            spec.insist = false;
            break;
        default:
            die_usage(envuidgid_usage);
        }
    }
    auto rest = opts.operands();
    if (rest.size() < 2) die_usage(envuidgid_usage);

    std::string bad;
    switch (resolve_uidgid(rest[0], spec, bad)) {
    case uidgid_status::ok:
        break;
    case uidgid_status::unknown_user:
        die(1, "unknown user: ", bad);
    case uidgid_status::unknown_group:
        die(1, "unknown group: ", bad);
    case uidgid_status::groups_error:
        die_sys(exitcode::system, "unable to get supplementary groups for ", bad);
    }
    // Merged as stock's exec merges them, so the environment's order is stock's too.
    std::vector<env_change> ch;
    if (spec.what & 1) ch.push_back({"UID", std::string(dec(spec.uid))});
    if (spec.what & 2) ch.push_back({"GID", std::string(dec(spec.gid))});
    if (spec.what & 4) ch.push_back({"GIDLIST", fmt_gid_list(spec.gids)});
    if (!env_replace_merged(ch)) die_sys(exitcode::system, "unable to modify the environment");
    return rest.data() + 1;
}

void uidgid_from_env(std::uint32_t &uid, std::uint32_t &gid, std::vector<gid_t> &gids) noexcept
{
    char const *x = std::getenv("UID");
    if (!x) die(exitcode::usage, "UID not set");
    if (!scan_u32(x, uid)) die(exitcode::usage, "invalid $UID");
    x = std::getenv("GID");
    if (!x) die(exitcode::usage, "GID not set");
    if (!scan_u32(x, gid)) die(exitcode::usage, "invalid $GID");
    x = std::getenv("GIDLIST");
    if (!x) die(exitcode::usage, "GIDLIST not set");
    if (!scan_gid_list(x, gids, gid_list_max + 1) && *x) die(exitcode::usage, "invalid $GIDLIST");
}

void apply_uidgid(uid_t uid, gid_t gid, std::vector<gid_t> &gids, bool set_list) noexcept
{
    if (set_list) {
        // skalibs' setgroups_and_gid: the gid leads the list unless the list already has it.
        gid_t g = gid ? gid : getegid();
        bool listed = false;
        for (gid_t x : gids)
            listed = listed || x == g;
        if (!listed) gids.insert(gids.begin(), g);
        if (setgroups(gids.size(), gids.data()) < 0)
            die_sys(exitcode::system, "unable to set supplementary group list");
    }
    if (gid && setgid(gid) < 0) die_sys(exitcode::system, "unable to setgid");
    if (uid && setuid(uid) < 0) die_sys(exitcode::system, "unable to setuid");
}

char const *const *applyuidgid_main(int argc, char const *const *argv) noexcept
{
    std::uint32_t uid = 0, gid = 0;
    std::vector<gid_t> gids;
    bool set_list = false, unexport = false;
    opt_parser opts{argc, argv, "zUu:g:G:"};
    while (int c = opts.next()) {
        switch (c) {
        case 'z':
            unexport = true;
            break;
        case 'u':
            if (!scan_u32(opts.arg(), uid)) die_usage(applyuidgid_usage);
            break;
        case 'g':
            if (!scan_u32(opts.arg(), gid)) die_usage(applyuidgid_usage);
            break;
        case 'G': {
            std::string_view a = opts.arg();
            if (!scan_gid_list(a, gids) && !a.empty()) die_usage(applyuidgid_usage);
            set_list = true;
            break;
        }
        case 'U':
            uidgid_from_env(uid, gid, gids);
            set_list = true;
            break;
        default:
            die_usage(applyuidgid_usage);
        }
    }
    auto rest = opts.operands();
    if (rest.empty()) die_usage(applyuidgid_usage);

    apply_uidgid(uid, gid, gids, set_list);
    if (unexport) {
        env_change const ch[] = {{"UID", {}, true}, {"GID", {}, true}, {"GIDLIST", {}, true}};
        env_replace_merged(ch);
    }
    return rest.data();
}

} // namespace sv
