#include <supervise/sudo.hh>

#include <cerrno>
#include <cstring>

namespace sv {

namespace {

void put_u32(std::string &out, std::uint32_t v)
{
    char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
                 static_cast<char>(v)};
    out.append(b, 4);
}

std::uint32_t get_u32(char const *p) noexcept
{
    auto const *u = reinterpret_cast<unsigned char const *>(p);
    return static_cast<std::uint32_t>(u[0]) << 24 | static_cast<std::uint32_t>(u[1]) << 16 |
           static_cast<std::uint32_t>(u[2]) << 8 | u[3];
}

std::string strings_block(std::span<char const *const> v)
{
    std::string s;
    for (char const *x : v) s.append(x, std::strlen(x) + 1);
    return s;
}

} // namespace

std::string sudo_request_pack(std::span<char const *const> args, std::span<char const *const> env)
{
    std::string const a = strings_block(args), e = strings_block(env);
    std::string out(sudo_banner_client);
    put_u32(out, static_cast<std::uint32_t>(args.size()));
    put_u32(out, static_cast<std::uint32_t>(env.size()));
    put_u32(out, static_cast<std::uint32_t>(a.size()));
    put_u32(out, static_cast<std::uint32_t>(e.size()));
    out += a;
    out += e;
    return out;
}

sudo_parse sudo_request_parse(std::string_view data, sudo_request &req) noexcept
{
    if (data.size() < sudo_header_size) return sudo_parse::wrong_message;
    if (data.substr(0, sudo_banner_client.size()) != sudo_banner_client)
        return sudo_parse::wrong_banner;
    char const *p = data.data() + sudo_banner_client.size();
    req.argc = get_u32(p);
    req.envc = get_u32(p + 4);
    std::uint64_t const arglen = get_u32(p + 8), envlen = get_u32(p + 12);
    if (sudo_header_size + arglen + envlen != data.size()) return sudo_parse::wrong_lengths;
    if (req.argc > sudo_max_strings || req.envc > sudo_max_strings) return sudo_parse::too_many;
    req.args = data.substr(sudo_header_size, arglen);
    req.env = data.substr(sudo_header_size + arglen, envlen);
    return sudo_parse::ok;
}

bool sudo_strings(std::string_view block, std::uint32_t n, std::vector<char const *> &out)
{
    while (n--) {
        auto const end = block.find('\0');
        if (end == block.npos) {
            errno = EINVAL;
            return false;
        }
        out.push_back(block.data());
        block.remove_prefix(end + 1);
    }
    return true;
}

bool sudo_merge_env(std::vector<char const *> &server, std::span<char const *const> client)
{
    for (char const *var : client) {
        char const *eq = std::strchr(var, '=');
        if (!eq) {
            errno = EINVAL;
            return false;
        }
        std::size_t const len = static_cast<std::size_t>(eq - var) + 1; // NAME=
        for (char const *&s : server) {
            if (std::strncmp(var, s, len) == 0) {
                if (!s[len]) s = var;
                break;
            }
        }
    }
    return true;
}

void sudo_status_pack(char out[4], unsigned wstat) noexcept
{
    out[0] = static_cast<char>(wstat >> 24);
    out[1] = static_cast<char>(wstat >> 16);
    out[2] = static_cast<char>(wstat >> 8);
    out[3] = static_cast<char>(wstat);
}

unsigned sudo_status_unpack(char const in[4]) noexcept { return get_u32(in); }

} // namespace sv
