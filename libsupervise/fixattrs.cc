#include <supervise/fixattrs.hh>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <supervise/fd.hh>

namespace sv {

namespace {

bool is_blank(char c) noexcept
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

// Cuts the next blank-separated field off s; empty when none is left.
std::string_view next_word(std::string_view &s) noexcept
{
    while (!s.empty() && is_blank(s.front()))
        s.remove_prefix(1);
    std::size_t n = 0;
    while (n < s.size() && !is_blank(s[n]))
        n++;
    std::string_view w = s.substr(0, n);
    s.remove_prefix(n);
    return w;
}

// "-" (leave alone, -1) or an octal mode up to 07777.
bool scan_mode(std::string_view s, int &mode) noexcept
{
    if (s == "-") {
        mode = -1;
        return true;
    }
    if (s.empty()) return false;
    unsigned v = 0;
    for (char c : s) {
        if (c < '0' || c > '7') return false;
        v = v * 8 + static_cast<unsigned>(c - '0');
        if (v > 07777) return false;
    }
    mode = static_cast<int>(v);
    return true;
}

} // namespace

fixattrs_line fixattrs_parse(std::string_view line, fixattrs_rule &rule, std::string &why) noexcept
{
    std::string_view f[5];
    std::size_t n = 0;
    for (; n < 5; n++) {
        f[n] = next_word(line);
        if (f[n].empty()) break;
        if (n == 0 && f[0][0] == '#') return fixattrs_line::skip;
    }
    if (n == 0) return fixattrs_line::skip;
    if (n < 5) {
        why = "expected 5 fields (path recurse account fmode dmode), found ";
        why += static_cast<char>('0' + n);
        return fixattrs_line::bad;
    }
    std::string_view extra = next_word(line);
    if (!extra.empty() && extra[0] != '#') {
        why = "unexpected text after the fifth field: ";
        why.append(extra);
        return fixattrs_line::bad;
    }

    fixattrs_rule r;
    r.path.assign(f[0]);
    r.recurse = f[1] == "true";
    std::string_view acc = f[2];
    auto comma = acc.find(',');
    r.account.assign(acc.substr(0, comma));
    if (comma != std::string_view::npos && comma + 1 < acc.size()) {
        r.has_fallback = true;
        if (!scan_uidgid_defaults(acc.substr(comma + 1), r.spec)) {
            why = "invalid fallback (expected uid[:gid[:gidlist]]): ";
            why.append(acc.substr(comma + 1));
            return fixattrs_line::bad;
        }
        r.spec.insist = false;
    }
    // v2 ran "s6-envuidgid -nB" when the account had a colon, plain s6-envuidgid otherwise.
    if (r.account.find(':') != std::string::npos) {
        r.spec.what = 3;
        r.spec.numeric = true;
    }
    if (!scan_mode(f[3], r.fmode)) {
        why = "invalid file mode (expected octal or -): ";
        why.append(f[3]);
        return fixattrs_line::bad;
    }
    if (!scan_mode(f[4], r.dmode)) {
        why = "invalid directory mode (expected octal or -): ";
        why.append(f[4]);
        return fixattrs_line::bad;
    }
    rule = std::move(r);
    return fixattrs_line::rule;
}

uidgid_status fixattrs_resolve(fixattrs_rule const &rule, uid_t &uid, gid_t &gid, std::string &bad,
                               char const *passwd_path, char const *group_path) noexcept
{
    uidgid_spec s = rule.spec;
    auto st = resolve_uidgid(rule.account, s, bad, passwd_path, group_path);
    if (st == uidgid_status::ok) {
        uid = s.uid;
        gid = s.gid;
    }
    return st;
}

namespace {

bool has_magic(std::string_view comp) noexcept
{
    for (std::size_t i = 0; i < comp.size(); i++) {
        if (comp[i] == '\\') {
            i++;
            continue;
        }
        if (comp[i] == '*' || comp[i] == '?' || comp[i] == '[') return true;
    }
    return false;
}

std::string unescape(std::string_view comp) noexcept
{
    std::string r;
    for (std::size_t i = 0; i < comp.size(); i++) {
        if (comp[i] == '\\' && i + 1 < comp.size()) i++;
        r += comp[i];
    }
    return r;
}

// Matches the components comps[k..] below the existing path prefix ("" = cwd).
void glob_rec(std::string const &prefix, std::vector<std::string_view> const &comps, std::size_t k,
              std::vector<std::string> &out) noexcept
{
    if (k == comps.size()) {
        struct stat st;
        if (!prefix.empty() && lstat(prefix.c_str(), &st) == 0) out.push_back(prefix);
        return;
    }
    auto join = [&](std::string_view name) {
        if (prefix.empty()) return std::string(name);
        if (prefix.back() == '/') return prefix + std::string(name);
        return prefix + "/" + std::string(name);
    };
    std::string_view comp = comps[k];
    if (!has_magic(comp)) {
        glob_rec(join(unescape(comp)), comps, k + 1, out);
        return;
    }
    DIR *d = opendir(prefix.empty() ? "." : prefix.c_str());
    if (!d) return;
    std::string const pat(comp);
    std::vector<std::string> names;
    while (dirent *e = readdir(d)) {
        std::string_view n = e->d_name;
        if (n == "." || n == "..") {
            if (pat[0] != '.') continue;
        }
        if (fnmatch(pat.c_str(), e->d_name, FNM_PERIOD) == 0) names.emplace_back(n);
    }
    closedir(d);
    std::sort(names.begin(), names.end());
    for (auto const &n : names)
        glob_rec(join(n), comps, k + 1, out);
}

} // namespace

bool glob_paths(std::string_view pattern, std::vector<std::string> &out) noexcept
{
    out.clear();
    if (pattern.size() >= PATH_MAX) {
        errno = ENAMETOOLONG;
        return false;
    }
    bool const dir_only = pattern.size() > 1 && pattern.back() == '/';
    std::string prefix;
    if (!pattern.empty() && pattern[0] == '/') prefix = "/";
    std::vector<std::string_view> comps;
    std::string_view rest = pattern;
    while (!rest.empty()) {
        auto sl = rest.find('/');
        std::string_view c = rest.substr(0, sl);
        if (!c.empty()) comps.push_back(c);
        rest.remove_prefix(sl == std::string_view::npos ? rest.size() : sl + 1);
    }
    if (comps.empty()) {
        if (!prefix.empty()) out.push_back(prefix);
        return true;
    }
    glob_rec(prefix, comps, 0, out);
    if (dir_only) {
        std::vector<std::string> dirs;
        for (auto &p : out) {
            struct stat st;
            if (stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) dirs.push_back(p + "/");
        }
        out.swap(dirs);
    }
    return true;
}

bool fixattrs_hidden(char const *value) noexcept
{
    if (!value || !*value) return false;
    for (char const *p = value; *p; p++)
        if (*p != '0') return true;
    return false;
}

namespace {

struct walker
{
    uid_t uid;
    gid_t gid;
    int fmode, dmode;
    bool hidden;
    fixattrs_reporter &rep;
    std::size_t failures = 0;
    std::string path; // the path being worked on, for messages

    void fail(std::string_view what) noexcept
    {
        failures++;
        rep.fail(what, path);
    }

    // chmod without following a symlink that may have replaced the entry since we looked.
    int chmod_nofollow(int dirfd, char const *name, mode_t mode) noexcept
    {
        if (fchmodat(dirfd, name, mode, AT_SYMLINK_NOFOLLOW) == 0) return 0;
        if (errno != EOPNOTSUPP && errno != ENOTSUP && errno != ENOSYS) return -1;
        // glibc says EOPNOTSUPP both for a symlink and when /proc is missing: look again.
        struct stat st;
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) return -1;
        if (S_ISLNK(st.st_mode)) return 0; // it became a link: leave its target alone
        return fchmodat(dirfd, name, mode, 0);
    }

    // The contents of the open directory dfd (whose path is in path).
    void walk(int dfd) noexcept
    {
        int dupfd = fcntl(dfd, F_DUPFD_CLOEXEC, 0);
        DIR *d = dupfd < 0 ? nullptr : fdopendir(dupfd);
        if (!d) {
            if (dupfd >= 0) close(dupfd);
            fail("read directory");
            return;
        }
        std::size_t const base = path.size();
        for (;;) {
            errno = 0;
            dirent *e = readdir(d);
            if (!e) {
                if (errno) fail("read directory");
                break;
            }
            std::string_view name = e->d_name;
            if (name == "." || name == "..") continue;
            if (name[0] == '.' && !hidden) continue;
            path.resize(base);
            if (path.empty() || path.back() != '/') path += '/';
            path.append(name);
            entry(dfd, e->d_name);
        }
        path.resize(base);
        closedir(d);
    }

    void entry(int dfd, char const *name) noexcept
    {
        struct stat st;
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            fail("stat");
            return;
        }
        if (S_ISLNK(st.st_mode)) {
            // Only the link itself: its target may be anywhere.
            if (fchownat(dfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0) fail("chown");
            return;
        }
        if (S_ISDIR(st.st_mode)) {
            unique_fd cfd(openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (!cfd) {
                fail("open directory");
                return;
            }
            if (fchown(cfd.get(), uid, gid) < 0) fail("chown");
            if (dmode >= 0 && fchmod(cfd.get(), static_cast<mode_t>(dmode)) < 0) fail("chmod");
            walk(cfd.get());
            return;
        }
        if (fchownat(dfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0) fail("chown");
        if (fmode >= 0 && chmod_nofollow(dfd, name, static_cast<mode_t>(fmode)) < 0) fail("chmod");
    }
};

} // namespace

std::size_t fixattrs_apply(char const *path, uid_t uid, gid_t gid, int fmode, int dmode,
                           bool recurse, bool hidden, fixattrs_reporter &rep) noexcept
{
    walker w{uid, gid, fmode, dmode, hidden, rep, 0, path};
    // The named path itself follows symlinks, as s6-chown and s6-chmod did in v2.
    if (chown(path, uid, gid) < 0) w.fail("chown");
    struct stat st;
    if (stat(path, &st) < 0) {
        w.fail("stat");
        return w.failures;
    }
    bool const dir = S_ISDIR(st.st_mode);
    int const mode = dir ? dmode : fmode;
    if (mode >= 0 && chmod(path, static_cast<mode_t>(mode)) < 0) w.fail("chmod");
    if (recurse && dir) {
        unique_fd dfd(open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!dfd)
            w.fail("open directory");
        else
            w.walk(dfd.get());
    }
    return w.failures;
}

} // namespace sv
