#include <supervise/s6lock.hh>

#include <cstring>

namespace sv {

namespace {

std::uint32_t get32(char const *p) noexcept
{
    auto const *u = reinterpret_cast<unsigned char const *>(p);
    return std::uint32_t{u[0]} << 24 | std::uint32_t{u[1]} << 16 | std::uint32_t{u[2]} << 8 | u[3];
}

std::uint16_t get16(char const *p) noexcept
{
    auto const *u = reinterpret_cast<unsigned char const *>(p);
    return static_cast<std::uint16_t>(u[0] << 8 | u[1]);
}

void put32(char *p, std::uint32_t v) noexcept
{
    p[0] = static_cast<char>(v >> 24);
    p[1] = static_cast<char>(v >> 16);
    p[2] = static_cast<char>(v >> 8);
    p[3] = static_cast<char>(v);
}

void put16(char *p, std::uint16_t v) noexcept
{
    p[0] = static_cast<char>(v >> 8);
    p[1] = static_cast<char>(v);
}

} // namespace

s6lock_parse s6lock_parse_request(std::string_view msg, s6lock_request &req) noexcept
{
    if (msg.size() < 3) return s6lock_parse::invalid;
    req.id = get16(msg.data());
    switch (msg[2]) {
    case s6lock_op_release:
        // libs6 sends exactly 3 bytes; like stock, anything after them is ignored.
        req.op = s6lock_request::kind::release;
        return s6lock_parse::ok;
    case s6lock_op_acquire:
        break;
    default:
        return s6lock_parse::invalid;
    }
    req.op = s6lock_request::kind::acquire;
    if (msg.size() < s6lock_acquire_head + 1) return s6lock_parse::malformed;
    std::uint32_t const pathlen = get32(msg.data() + 19);
    if (msg.size() - s6lock_acquire_head - 1 != pathlen || msg.back() != 0)
        return s6lock_parse::malformed;
    req.exclusive = get32(msg.data() + 3) & s6lock_option_exclusive;
    req.limit = tain_unpack(msg.data() + 7);
    req.path = msg.substr(s6lock_acquire_head, pathlen);
    // The path goes to open() as a C string: a NUL inside would silently cut it.
    if (std::memchr(req.path.data(), 0, req.path.size())) return s6lock_parse::malformed;
    return s6lock_parse::ok;
}

void s6lock_pack_acquire(char out[s6lock_acquire_head], std::uint16_t id, bool exclusive,
                         tain limit, std::uint32_t pathlen) noexcept
{
    put16(out, id);
    out[2] = s6lock_op_acquire;
    put32(out + 3, exclusive ? s6lock_option_exclusive : 0);
    tain_pack(out + 7, limit);
    put32(out + 19, pathlen);
}

void s6lock_pack_release(char out[s6lock_release_size], std::uint16_t id) noexcept
{
    put16(out, id);
    out[2] = s6lock_op_release;
}

void s6lock_pack_event(char out[s6lock_event_size], std::uint16_t id, unsigned char code) noexcept
{
    put16(out, id);
    out[2] = static_cast<char>(code);
}

bool s6lock_parse_event(std::string_view msg, std::uint16_t &id, unsigned char &code) noexcept
{
    if (msg.size() != s6lock_event_size) return false;
    id = get16(msg.data());
    code = static_cast<unsigned char>(msg[2]);
    return true;
}

std::int64_t s6lock_limit_deadline(tain limit, tain now_wall, std::int64_t now_mono) noexcept
{
    if (limit.sec == 0) return -1;
    if (limit <= now_wall) return now_mono;
    // Beyond about ten years (skalibs' "infinite" stamps included) there is no point waking.
    constexpr std::uint64_t far = std::uint64_t{10} * 366 * 86400;
    if (limit.sec - now_wall.sec > far) return -1;
    std::int64_t const ns = static_cast<std::int64_t>(limit.sec - now_wall.sec) * 1000000000 +
                            (static_cast<std::int64_t>(limit.nano) - now_wall.nano);
    return now_mono + (ns + 999999) / 1000000; // rounded up: never wake before the limit
}

} // namespace sv
