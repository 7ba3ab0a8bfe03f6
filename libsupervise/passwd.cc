#include <supervise/passwd.hh>

#include <cerrno>
#include <cstdint>
#include <fcntl.h>
#include <unistd.h>

#include <supervise/fd.hh>

namespace sv {

namespace {

// Reads the whole file; false with errno set on failure.
bool slurp(char const *path, std::string &out) noexcept
{
    unique_fd fd(::open(path, O_RDONLY | O_CLOEXEC));
    return fd && read_all(fd.get(), out);
}

bool is_space(char c) noexcept
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// Calls fn(line) for each line that is neither empty nor a comment, with leading white space
// already skipped (glibc's files backend does the same).  fn returns true to stop.
template <class F> void for_each_line(std::string_view text, F fn) noexcept
{
    while (!text.empty()) {
        auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        while (!line.empty() && is_space(line.front()))
            line.remove_prefix(1);
        if (line.empty() || line.front() == '#') continue;
        if (fn(line)) return;
    }
}

// Cuts the next ':'-terminated field off line.  A missing field is empty.
std::string_view next_field(std::string_view &line) noexcept
{
    auto c = line.find(':');
    std::string_view f = line.substr(0, c);
    line.remove_prefix(c == std::string_view::npos ? line.size() : c + 1);
    return f;
}

// A numeric field as glibc's files parser takes it (strtoul in base 10): optional white space,
// an optional '+', at least one digit, a value that fits in 32 bits, and then nothing else.
bool id_field(std::string_view f, std::uint32_t &out) noexcept
{
    std::size_t i = 0;
    while (i < f.size() && is_space(f[i]))
        i++;
    if (i < f.size() && f[i] == '+') i++;
    if (i == f.size()) return false;
    std::uint64_t v = 0;
    for (; i < f.size(); i++) {
        if (f[i] < '0' || f[i] > '9') return false;
        v = v * 10 + static_cast<unsigned>(f[i] - '0');
        if (v > 0xffffffffu) return false;
    }
    out = static_cast<std::uint32_t>(v);
    return true;
}

// Parses a passwd line: name:password:uid:gid[:gecos[:home[:shell]]].  The gid field must be
// present (it may end the line).
bool parse_user(std::string_view line, user &u) noexcept
{
    std::string_view name = next_field(line);
    next_field(line); // password
    std::uint32_t uid, gid;
    if (!id_field(next_field(line), uid) || !id_field(next_field(line), gid)) return false;
    next_field(line); // gecos
    std::string_view home = next_field(line);
    std::string_view shell = next_field(line);
    u.name.assign(name);
    u.uid = uid;
    u.gid = gid;
    u.home.assign(home);
    u.shell.assign(shell);
    return true;
}

// Parses the name and gid of a group line (name:password:gid[:members]); rest gets the members.
bool parse_group_head(std::string_view line, std::string_view &name, gid_t &gid,
                      std::string_view &members) noexcept
{
    name = next_field(line);
    next_field(line); // password
    std::uint32_t g;
    if (!id_field(next_field(line), g)) return false;
    gid = g;
    members = line; // everything after the gid's ':' (a further ':' belongs to the list)
    return true;
}

// Calls fn(member) for each member of a comma-separated list, skipping white space before each
// element and empty elements, as glibc does (white space after a name is kept).
template <class F> bool any_member(std::string_view list, F fn) noexcept
{
    while (!list.empty()) {
        while (!list.empty() && is_space(list.front()))
            list.remove_prefix(1);
        auto c = list.find(',');
        std::string_view m = list.substr(0, c);
        list.remove_prefix(c == std::string_view::npos ? list.size() : c + 1);
        if (!m.empty() && fn(m)) return true;
    }
    return false;
}

template <class Match> bool find_user(char const *path, user &out, Match match) noexcept
{
    std::string text;
    if (!slurp(path, text)) return false;
    bool found = false;
    for_each_line(text, [&](std::string_view line) {
        user u;
        if (!parse_user(line, u) || !match(u)) return false;
        out = std::move(u);
        found = true;
        return true;
    });
    errno = 0;
    return found;
}

template <class Match> bool find_group(char const *path, group &out, Match match) noexcept
{
    std::string text;
    if (!slurp(path, text)) return false;
    bool found = false;
    for_each_line(text, [&](std::string_view line) {
        std::string_view name, members;
        gid_t gid;
        if (!parse_group_head(line, name, gid, members) || !match(name, gid)) return false;
        out.name.assign(name);
        out.gid = gid;
        out.members.clear();
        any_member(members, [&](std::string_view m) {
            out.members.emplace_back(m);
            return false;
        });
        found = true;
        return true;
    });
    errno = 0;
    return found;
}

} // namespace

bool lookup_user(std::string_view name, user &out, char const *passwd_path) noexcept
{
    return find_user(passwd_path, out, [&](user const &u) { return u.name == name; });
}

bool lookup_user(std::string_view name, user &out) noexcept
{
    return lookup_user(name, out, passwd_file);
}

bool lookup_uid(uid_t uid, user &out, char const *passwd_path) noexcept
{
    return find_user(passwd_path, out, [&](user const &u) { return u.uid == uid; });
}

bool lookup_uid(uid_t uid, user &out) noexcept
{
    return lookup_uid(uid, out, passwd_file);
}

bool lookup_group(std::string_view name, group &out, char const *group_path) noexcept
{
    return find_group(group_path, out, [&](std::string_view n, gid_t) { return n == name; });
}

bool lookup_group(std::string_view name, group &out) noexcept
{
    return lookup_group(name, out, group_file);
}

bool lookup_gid(gid_t gid, group &out, char const *group_path) noexcept
{
    return find_group(group_path, out, [&](std::string_view, gid_t g) { return g == gid; });
}

bool lookup_gid(gid_t gid, group &out) noexcept
{
    return lookup_gid(gid, out, group_file);
}

bool groups_of(std::string_view user_name, std::vector<gid_t> &out, std::size_t max,
               char const *group_path) noexcept
{
    out.clear();
    std::string text;
    if (!slurp(group_path, text)) return false;
    for_each_line(text, [&](std::string_view line) {
        if (out.size() >= max) return true;
        std::string_view name, members;
        gid_t gid;
        if (!parse_group_head(line, name, gid, members)) return false;
        if (any_member(members, [&](std::string_view m) { return m == user_name; }))
            out.push_back(gid);
        return false;
    });
    return true;
}

bool groups_of(std::string_view user_name, std::vector<gid_t> &out, std::size_t max) noexcept
{
    return groups_of(user_name, out, max, group_file);
}

} // namespace sv
