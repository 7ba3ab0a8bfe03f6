// The fd-holder protocol's pack and unpack (layout in fdholder.hh).
#include <supervise/fdholder.hh>

#include <cstring>

namespace sv::fdh {

namespace {

void put32(char *out, std::uint32_t v) noexcept
{
    out[0] = static_cast<char>(v >> 24);
    out[1] = static_cast<char>(v >> 16);
    out[2] = static_cast<char>(v >> 8);
    out[3] = static_cast<char>(v);
}

std::uint32_t get32(char const *in) noexcept
{
    auto const *u = reinterpret_cast<unsigned char const *>(in);
    return std::uint32_t{u[0]} << 24 | std::uint32_t{u[1]} << 16 | std::uint32_t{u[2]} << 8 |
           u[3];
}

// idlen(1) id NUL at out; the length written.
std::size_t put_id(char *out, std::string_view id) noexcept
{
    out[0] = static_cast<char>(static_cast<unsigned char>(id.size()));
    std::memcpy(out + 1, id.data(), id.size());
    out[1 + id.size()] = 0;
    return id.size() + 2;
}

// An id at the front of s (idlen id NUL), where it must fill s exactly.  As in stock, the id
// is what a C string reading finds: up to its first NUL.
bool take_exact_id(std::string_view s, std::string_view &id) noexcept
{
    if (s.size() < 3) return false;
    std::size_t const len = static_cast<unsigned char>(s[0]);
    if (len + 2 != s.size() || s[len + 1] != 0) return false;
    id = s.substr(1, len);
    id = id.substr(0, id.find('\0'));
    return true;
}

} // namespace

tain limit_infinite(tain now) noexcept { return {now.sec + (std::uint64_t{1} << 61), now.nano}; }

bool limit_is_infinite(tain limit, tain now) noexcept
{
    return !(limit < tain{now.sec + (std::uint64_t{1} << 60), now.nano});
}

bool id_valid(std::string_view id) noexcept
{
    return !id.empty() && id.size() <= id_max && id.find('\0') == id.npos;
}

std::uint32_t trips(std::uint32_t n) noexcept
{
    return n ? 1 + (n - 1) / static_cast<std::uint32_t>(fds_per_trip) : 0;
}

std::size_t pack_store(char *out, tain limit, std::string_view id) noexcept
{
    out[0] = static_cast<char>(op::store);
    return 1 + pack_entry(out + 1, limit, id);
}

std::size_t pack_delete(char *out, std::string_view id) noexcept
{
    out[0] = static_cast<char>(op::del);
    return 1 + put_id(out + 1, id);
}

std::size_t pack_retrieve(char *out, std::string_view id, bool del) noexcept
{
    out[0] = static_cast<char>(op::retrieve);
    out[1] = del ? 1 : 0;
    return 2 + put_id(out + 2, id);
}

std::size_t pack_setdump(char *out, std::uint32_t n) noexcept
{
    out[0] = static_cast<char>(op::setdump);
    put32(out + 1, n);
    return 5;
}

std::size_t pack_entry(char *out, tain limit, std::string_view id) noexcept
{
    tain_pack(out, limit);
    return tain_pack_size + put_id(out + tain_pack_size, id);
}

bool parse_store(std::string_view body, tain &limit, std::string_view &id) noexcept
{
    if (body.size() < tain_pack_size + 3) return false;
    if (!take_exact_id(body.substr(tain_pack_size), id)) return false;
    limit = tain_unpack(body.data());
    return true;
}

bool parse_delete(std::string_view body, std::string_view &id) noexcept
{
    return take_exact_id(body, id);
}

bool parse_retrieve(std::string_view body, std::string_view &id, bool &del) noexcept
{
    if (body.size() < 4 || !take_exact_id(body.substr(1), id)) return false;
    del = body[0] != 0;
    return true;
}

bool parse_setdump(std::string_view body, std::uint32_t &n) noexcept
{
    if (body.size() != 4) return false;
    n = get32(body.data());
    return true;
}

bool next_entry(std::string_view &rest, tain &limit, std::string_view &id) noexcept
{
    if (rest.size() < tain_pack_size + 3) return false;
    std::size_t const len = static_cast<unsigned char>(rest[tain_pack_size]);
    std::size_t const whole = tain_pack_size + 2 + len;
    if (rest.size() < whole || rest[whole - 1] != 0) return false;
    limit = tain_unpack(rest.data());
    id = rest.substr(tain_pack_size + 1, len);
    id = id.substr(0, id.find('\0'));
    rest.remove_prefix(whole);
    return true;
}

std::size_t pack_getdump_head(char *out, std::uint32_t n) noexcept
{
    out[0] = 0;
    put32(out + 1, trips(n));
    put32(out + 5, n);
    return 9;
}

std::size_t pack_setdump_ok(char *out, std::uint32_t n) noexcept
{
    out[0] = 0;
    put32(out + 1, trips(n));
    return 5;
}

std::size_t pack_list_head(char *out, std::uint32_t n) noexcept
{
    out[0] = 0;
    put32(out + 1, n);
    return 5;
}

int parse_status(std::string_view data, std::size_t nfds) noexcept
{
    if (data.size() != 1 || nfds) return -1;
    return static_cast<unsigned char>(data[0]);
}

int parse_retrieve_answer(std::string_view data, std::size_t nfds) noexcept
{
    if (data.size() != 1) return -1;
    if (data[0]) return nfds ? -1 : static_cast<unsigned char>(data[0]);
    return nfds == 1 ? 0 : -1;
}

int parse_list_answer(std::string_view data, std::size_t nfds, std::uint32_t &n,
                      std::string_view &ids) noexcept
{
    if (nfds || data.empty()) return -1;
    if (data[0]) return static_cast<unsigned char>(data[0]);
    if (data.size() < 5) return -1;
    n = get32(data.data() + 1);
    ids = data.substr(5);
    std::size_t nuls = 0;
    for (char c : ids) nuls += c == 0;
    return nuls == n ? 0 : -1;
}

int parse_getdump_head(std::string_view data, std::size_t nfds, std::uint32_t &t,
                       std::uint32_t &n) noexcept
{
    if (nfds || data.empty()) return -1;
    if (data[0]) return static_cast<unsigned char>(data[0]);
    if (data.size() != 9) return -1;
    t = get32(data.data() + 1);
    n = get32(data.data() + 5);
    return t == trips(n) ? 0 : -1;
}

int parse_setdump_answer(std::string_view data, std::size_t nfds, std::uint32_t &t) noexcept
{
    if (nfds || data.empty()) return -1;
    if (data[0]) return static_cast<unsigned char>(data[0]);
    if (data.size() != 5) return -1;
    t = get32(data.data() + 1);
    return 0;
}

} // namespace sv::fdh
