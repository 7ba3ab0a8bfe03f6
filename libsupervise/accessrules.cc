#include <supervise/accessrules.hh>

#include <cerrno>
#include <charconv>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <supervise/envdir.hh>
#include <supervise/fd.hh>

namespace sv {

namespace {

void put_u16(std::string &out, std::size_t n)
{
    out += static_cast<char>((n >> 8) & 0xff);
    out += static_cast<char>(n & 0xff);
}

std::size_t get_u16(char const *p) noexcept
{
    return static_cast<std::size_t>(static_cast<unsigned char>(p[0])) << 8 |
           static_cast<unsigned char>(p[1]);
}

// access(2) on name in the rule's directory dirfd: 1 readable, 0 absent (ENOENT or EACCES,
// as s6 counts them), -1 on any other error.
int rule_file(int dirfd, char const *name) noexcept
{
    if (::faccessat(dirfd, name, R_OK, 0) == 0) return 1;
    return errno == ENOENT || errno == EACCES ? 0 : -1;
}

using backend = access_verdict (*)(void const *, std::string_view, access_grant &) noexcept;

access_verdict search(uid_t uid, gid_t gid, void const *arg, backend check, access_grant &g) noexcept
{
    char key[32] = "uid/";
    auto numbered = [&](unsigned long long n) {
        auto r = std::to_chars(key + 4, key + sizeof key, n);
        return std::string_view(key, static_cast<std::size_t>(r.ptr - key));
    };
    access_verdict v;
    if (uid == ::geteuid() && (v = check(arg, "uid/self", g)) != access_verdict::not_found)
        return v;
    if ((v = check(arg, numbered(uid), g)) != access_verdict::not_found) return v;
    if (gid == ::getegid() && (v = check(arg, "gid/self", g)) != access_verdict::not_found)
        return v;
    key[0] = 'g';
    if ((v = check(arg, numbered(gid), g)) != access_verdict::not_found) return v;
    return check(arg, "uid/default", g);
}

access_verdict fs_backend(void const *arg, std::string_view key, access_grant &g) noexcept
{
    return access_rule_fs(*static_cast<std::string_view const *>(arg), key, g);
}

access_verdict cdb_backend(void const *arg, std::string_view key, access_grant &g) noexcept
{
    return access_rule_cdb(*static_cast<cdb const *>(arg), key, g);
}

} // namespace

access_verdict access_rule_fs(std::string_view dir, std::string_view key,
                              access_grant &g) noexcept
{
    // The rule's files are reached from its directory's fd, so that one path is assembled,
    // not one per file: a server looking a client up keeps a shallow stack.
    unique_fd base;
    {
        path_buf path(dir, "/", key);
        if (!path.ok()) {
            errno = ENAMETOOLONG;
            return access_verdict::error;
        }
        base.reset(::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    }
    // Without the directory, its files are as absent (or as unreadable) as it is.
    if (!base) return errno == ENOENT || errno == EACCES ? access_verdict::not_found
                                                         : access_verdict::error;
    int r = rule_file(base.get(), "allow");
    if (r < 0) return access_verdict::error;
    if (!r) {
        r = rule_file(base.get(), "deny");
        return r < 0 ? access_verdict::error : r ? access_verdict::deny : access_verdict::not_found;
    }
    try {
        std::vector<env_change> changes;
        if (!envdir_read_at(base.get(), "env", 0, '\n', changes) && errno != ENOENT)
            return access_verdict::error;
        std::string env;
        for (env_change const &c : changes) {
            env += c.name;
            if (!c.unset) env.append("=").append(c.value);
            env += '\0';
        }
        std::string text;
        unique_fd fd(::openat(base.get(), "exec", O_RDONLY | O_CLOEXEC));
        if (fd) {
            if (!read_all(fd.get(), text, access_exec_max)) return access_verdict::error;
        } else if (errno != ENOENT && errno != EACCES) {
            return access_verdict::error;
        }
        g.env += env;
        g.exec = std::move(text);
    } catch (...) {
        errno = ENOMEM;
        return access_verdict::error;
    }
    return access_verdict::allow;
}

bool access_record_split(std::string_view data, std::string_view &env,
                         std::string_view &exec) noexcept
{
    errno = EINVAL;
    if (data.size() < 5) return false;
    std::size_t const envlen = get_u16(data.data() + 1);
    if (envlen > access_env_max || data.size() - 5 < envlen) return false;
    std::size_t const execlen = get_u16(data.data() + 3 + envlen);
    if (execlen > access_exec_max || 5 + envlen + execlen != data.size()) return false;
    env = data.substr(3, envlen);
    exec = data.substr(5 + envlen, execlen);
    return true;
}

access_verdict access_record_parse(std::string_view data, std::string_view &env,
                                   std::string_view &exec) noexcept
{
    if (data.empty() || data.size() > 5 + access_env_max + access_exec_max) {
        errno = EINVAL;
        return access_verdict::error;
    }
    if (data[0] == 'D') return access_verdict::deny;
    if (data[0] != 'A') return access_verdict::not_found;
    return access_record_split(data, env, exec) ? access_verdict::allow : access_verdict::error;
}

bool access_record_allow(std::string_view env, std::string_view exec, std::string &out)
{
    if (env.size() > access_env_max || exec.size() > access_exec_max) {
        errno = EINVAL;
        return false;
    }
    out = "A";
    put_u16(out, env.size());
    out += env;
    put_u16(out, exec.size());
    out += exec;
    return true;
}

access_verdict access_rule_cdb(cdb const &db, std::string_view key, access_grant &g) noexcept
{
    std::string_view data, env, exec;
    int const r = db.find(key, data);
    if (r < 0) return access_verdict::error;
    if (!r) return access_verdict::not_found;
    access_verdict const v = access_record_parse(data, env, exec);
    if (v != access_verdict::allow) return v;
    try {
        g.env += env;
        g.exec = exec;
    } catch (...) {
        errno = ENOMEM;
        return access_verdict::error;
    }
    return v;
}

access_verdict access_uidgid_fs(uid_t uid, gid_t gid, std::string_view dir,
                                access_grant &g) noexcept
{
    return search(uid, gid, &dir, fs_backend, g);
}

access_verdict access_uidgid_cdb(uid_t uid, gid_t gid, cdb const &db, access_grant &g) noexcept
{
    return search(uid, gid, &db, cdb_backend, g);
}

} // namespace sv
