#include <supervise/envdir.hh>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <supervise/exec.hh>
#include <supervise/fd.hh>

namespace sv {

bool envdir_name_ok(std::string_view name) noexcept
{
    return !name.empty() && name[0] != '.' && name.find('=') == std::string_view::npos;
}

bool envdir_value(std::string_view c, unsigned flags, char nullis, std::string &out) noexcept
{
    bool const verbatim = flags & envdir_flag::verbatim;
    bool const chomp = !(flags & envdir_flag::nochomp);
    if (!(flags & envdir_flag::noclamp) && c.size() > envdir_clamp) c = c.substr(0, envdir_clamp);
    if (c.empty()) return false;

    if (verbatim) {
        if (chomp && c.back() == '\n') c.remove_suffix(1);
    } else {
        auto nl = c.find('\n');
        if (nl != std::string_view::npos)
            c = c.substr(0, nl);
        else if ((flags & envdir_flag::noclamp) && chomp)
            // skalibs' line reader hit EOF in the middle of the line, and the chomping branch
            // drops what it read (s6-envdir -L quirk, kept for compatibility).
            c = {};
        if (chomp)
            while (!c.empty() && (c.back() == ' ' || c.back() == '\t' || c.back() == '\r'))
                c.remove_suffix(1);
    }
    out.assign(c);
    for (char &ch : out)
        if (!ch) ch = nullis;
    return true;
}

namespace {

// Reads at most max bytes (everything if max is 0) of the file name in dirfd.
bool read_var_file(int dirfd, char const *name, std::size_t max, std::string &out) noexcept
{
    // Opened non-blocking so that a FIFO without a writer cannot hang us, then read blocking,
    // as skalibs' open_readb does.
    unique_fd fd(::openat(dirfd, name, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
    if (!fd) {
        if (errno == ENOENT) errno = EIDRM;
        return false;
    }
    if (!set_nonblock(fd.get(), false)) return false;
    return read_all(fd.get(), out, max);
}

} // namespace

namespace {

// envdir_read over d, which it closes.
bool read_dir(DIR *d, unsigned flags, char nullis, std::vector<env_change> &out) noexcept
{
    std::size_t const base = out.size();
    std::string content;
    for (;;) {
        errno = 0;
        dirent *e = ::readdir(d);
        if (!e) break;
        std::string_view name = e->d_name;
        if (!envdir_name_ok(name)) continue;
        if (!read_var_file(::dirfd(d), e->d_name, (flags & envdir_flag::noclamp) ? 0 : envdir_clamp,
                           content)) {
            int const saved = errno;
            ::closedir(d);
            out.resize(base);
            errno = saved;
            return false;
        }
        env_change ch;
        ch.name.assign(name);
        ch.unset = !envdir_value(content, flags, nullis, ch.value);
        out.push_back(std::move(ch));
    }
    int const saved = errno;
    ::closedir(d);
    if (saved) {
        out.resize(base);
        errno = saved;
        return false;
    }
    return true;
}

} // namespace

bool envdir_read(char const *dir, unsigned flags, char nullis,
                 std::vector<env_change> &out) noexcept
{
    return envdir_read_at(AT_FDCWD, dir, flags, nullis, out);
}

bool envdir_read_at(int dirfd, char const *name, unsigned flags, char nullis,
                    std::vector<env_change> &out) noexcept
{
    if (!nullis) {
        errno = EINVAL;
        return false;
    }
    int const fd = ::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return false;
    DIR *d = ::fdopendir(fd);
    if (!d) {
        int const e = errno;
        ::close(fd);
        errno = e;
        return false;
    }
    return read_dir(d, flags, nullis, out);
}

void env_merge_into(std::vector<char const *> &v, std::span<char const *const> modifs)
{
    for (char const *m : modifs) {
        std::string_view const mod = m;
        std::size_t const split = std::min(mod.find('='), mod.size());
        for (std::size_t j = 0; j < v.size(); j++) {
            if (!std::strncmp(m, v[j], split) && v[j][split] == '=') {
                v[j] = v.back();
                v.pop_back();
                break;
            }
        }
        if (split < mod.size()) v.push_back(m);
    }
}

std::vector<std::string> env_merged(std::span<env_change const> changes) noexcept
{
    // Programs that print their environment see stock's order.
    std::vector<std::string> mods;
    mods.reserve(changes.size());
    std::vector<char const *> modp;
    for (auto const &c : changes)
        modp.push_back(mods.emplace_back(c.unset ? c.name : c.name + "=" + c.value).c_str());
    std::vector<char const *> v;
    for (char **e = environ; e && *e; e++) v.push_back(*e);
    env_merge_into(v, modp);
    return {v.begin(), v.end()};
}

bool env_replace_merged(std::span<env_change const> changes) noexcept
{
    // Kept for the life of the process: environ points into them.
    static std::vector<std::string> store;
    static std::vector<char *> ptrs;
    std::vector<std::string> merged = env_merged(changes);
    std::vector<char *> p;
    p.reserve(merged.size() + 1);
    for (auto &e : merged) p.push_back(e.data());
    p.push_back(nullptr);
    store.swap(merged);
    ptrs.swap(p);
    environ = ptrs.data();
    return true;
}

std::vector<env_change> env_changes_parse(std::string_view list)
{
    std::vector<env_change> out;
    while (!list.empty()) {
        std::string_view entry = list.substr(0, list.find('\0'));
        list.remove_prefix(std::min(list.size(), entry.size() + 1));
        auto const eq = entry.find('=');
        if (eq == entry.npos)
            out.push_back({std::string(entry), {}, true});
        else
            out.push_back({std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1))});
    }
    return out;
}

void exec_changed_or_die(char const *const *argv, std::span<env_change const> changes) noexcept
{
    std::vector<std::string> const env = env_merged(changes);
    std::vector<char const *> envp;
    envp.reserve(env.size() + 1);
    for (auto const &e : env) envp.push_back(e.c_str());
    envp.push_back(nullptr);
    exec_or_die(argv, envp.data());
}

bool env_apply(std::span<env_change const> changes) noexcept
{
    for (auto const &c : changes) {
        int r = c.unset ? ::unsetenv(c.name.c_str()) : ::setenv(c.name.c_str(), c.value.c_str(), 1);
        if (r < 0) return false;
    }
    return true;
}

char const *container_env_dir() noexcept
{
    // A run-time dir moved by /init (a non-root USER that may not write /run).
    static std::string moved;
    char const *rd = std::getenv("S6_RUNTIME_DIR");
    if (rd && *rd) {
        moved = std::string(rd) + "/s6/container_environment";
        return moved.c_str();
    }
    struct stat st;
    if (::stat(container_env_path, &st) < 0 && errno == ENOENT &&
        ::stat(container_env_path_v2, &st) == 0)
        return container_env_path_v2;
    return container_env_path;
}

bool keep_env(char const *value) noexcept
{
    if (!value) return false;
    for (char const *p = value; *p; p++)
        if (*p != '0') return true;
    return false;
}

} // namespace sv
