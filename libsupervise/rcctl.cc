// The s6-rc <-> /init request and reply (see rcctl.hh).
#include <supervise/rcctl.hh>

#include <charconv>

namespace sv::rc {

std::string pack(request const &r)
{
    std::string s = r.op;
    s += '\0';
    s += r.flags;
    s += '\0';
    s += std::to_string(r.timeout_ms);
    s += '\0';
    for (auto const &n : r.names) {
        s += n;
        s += '\0';
    }
    s += '\0';
    return s;
}

std::string pack(reply const &r)
{
    std::string s(1, static_cast<char>(r.code));
    s += r.out;
    s += '\0';
    s += r.err;
    return s;
}

bool unpack(std::string_view b, request &r) noexcept
{
    std::vector<std::string_view> f;
    std::size_t i = 0;
    while (i < b.size()) {
        std::size_t const z = b.find('\0', i);
        if (z == b.npos) return false;
        f.push_back(b.substr(i, z - i));
        i = z + 1;
    }
    // At least OP FLAGS TIMEOUT and the empty terminator, which ends the bytes.
    if (f.size() < 4 || !f.back().empty()) return false;
    for (std::size_t k = 3; k + 1 < f.size(); k++)
        if (f[k].empty()) return false;
    r.op = f[0];
    r.flags = f[1];
    auto const t = std::from_chars(f[2].data(), f[2].data() + f[2].size(), r.timeout_ms);
    if (t.ec != std::errc{} || t.ptr != f[2].data() + f[2].size() || f[2].empty()) return false;
    r.names.assign(f.begin() + 3, f.end() - 1);
    return true;
}

bool unpack(std::string_view b, reply &r) noexcept
{
    if (b.empty()) return false;
    std::size_t const z = b.find('\0', 1);
    if (z == b.npos) return false;
    r.code = static_cast<unsigned char>(b[0]);
    r.out = b.substr(1, z - 1);
    r.err = b.substr(z + 1);
    return true;
}

std::string socket_path(std::string_view run_dir)
{
    return std::string(run_dir) + "/s6/rc.sock";
}

} // namespace sv::rc
