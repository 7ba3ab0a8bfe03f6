#include <supervise/ftrigr.hh>

namespace sv {

namespace {

std::uint32_t get32(char const *p) noexcept
{
    auto const *u = reinterpret_cast<unsigned char const *>(p);
    return std::uint32_t{u[0]} << 24 | std::uint32_t{u[1]} << 16 | std::uint32_t{u[2]} << 8 | u[3];
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

std::uint16_t get16(char const *p) noexcept
{
    auto const *u = reinterpret_cast<unsigned char const *>(p);
    return static_cast<std::uint16_t>(u[0] << 8 | u[1]);
}

} // namespace

ftrigr_request ftrigr_parse(std::string_view msg) noexcept
{
    ftrigr_request r;
    if (msg.size() < 3) return r; // invalid
    r.id = get16(msg.data());
    switch (msg[2]) {
    case 'U': r.what = ftrigr_request::kind::unsubscribe; return r;
    case 'L': break;
    default: return r; // invalid
    }
    r.what = ftrigr_request::kind::malformed;
    if (msg.size() < 19) return r;
    r.options = get32(msg.data() + 3);
    std::uint64_t const pathlen = get32(msg.data() + 7);
    std::uint64_t const relen = get32(msg.data() + 11);
    // Computed wide: stock adds in 32 bits, which only matters for lengths near 4 GiB that no
    // message can carry anyway.
    if (pathlen + relen + 17 != msg.size() || msg[15 + pathlen] || msg.back()) return r;
    r.what = ftrigr_request::kind::subscribe;
    r.path = msg.data() + 15;
    r.regex = msg.data() + 16 + pathlen;
    return r;
}

void ftrigr_pack_subscribe(char out[ftrigr_subscribe_header], std::uint16_t id,
                           std::uint32_t options, std::uint32_t pathlen,
                           std::uint32_t relen) noexcept
{
    put16(out, id);
    out[2] = 'L';
    put32(out + 3, options);
    put32(out + 7, pathlen);
    put32(out + 11, relen);
}

void ftrigr_pack_unsubscribe(char out[ftrigr_unsubscribe_size], std::uint16_t id) noexcept
{
    put16(out, id);
    out[2] = 'U';
}

void ftrigr_pack_event(char out[ftrigr_event_size], ftrigr_event const &e) noexcept
{
    put16(out, e.id);
    out[2] = e.what;
    out[3] = static_cast<char>(e.info);
}

bool ftrigr_unpack_event(std::string_view msg, ftrigr_event &e) noexcept
{
    if (msg.size() != ftrigr_event_size || (msg[2] != '!' && msg[2] != 'd')) return false;
    e.id = get16(msg.data());
    e.what = msg[2];
    e.info = static_cast<unsigned char>(msg[3]);
    return true;
}

} // namespace sv
