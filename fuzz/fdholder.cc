// The fd-holder protocol decoders (libsupervise/fdholder.cc): s6-fdholderd's reading of
// store, delete, retrieve and setdump requests and of a dump's entries, and the clients'
// reading of every answer.  Input: one byte choosing the fd count that came with the message,
// then the message (its first byte the request letter, as the daemon dispatches on it).
#include "fuzz.hh"

#include <supervise/fdholder.hh>

namespace {
// What the decoders give: a view into the body, cut at its first NUL as stock's C strings
// are (so possibly empty: stock stores such an id too).
void check_id(std::string_view id, std::string_view body)
{
    fz::check(id.size() <= sv::fdh::id_max && id.find('\0') == id.npos);
    fz::check(id.data() >= body.data() && id.data() + id.size() <= body.data() + body.size());
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const *data, std::size_t size)
{
    if (!size) return 0;
    std::size_t nfds = data[0] % 4;
    std::string_view msg = fz::view(data + 1, size - 1);
    std::string_view body = msg.empty() ? msg : msg.substr(1);
    sv::tain limit;
    std::string_view id;
    bool del;
    std::uint32_t n, trips;
    if (sv::fdh::parse_store(body, limit, id)) check_id(id, body);
    if (sv::fdh::parse_delete(body, id)) check_id(id, body);
    if (sv::fdh::parse_retrieve(body, id, del)) check_id(id, body);
    sv::fdh::parse_setdump(body, n);
    std::string_view rest = body;
    for (int i = 0; i < 1000 && sv::fdh::next_entry(rest, limit, id); i++) {
        check_id(id, body);
        fz::check(rest.data() >= body.data() &&
                  rest.data() + rest.size() == body.data() + body.size());
    }
    sv::fdh::parse_status(msg, nfds);
    sv::fdh::parse_retrieve_answer(msg, nfds);
    std::string_view ids;
    if (sv::fdh::parse_list_answer(msg, nfds, n, ids) == 0)
        fz::check(ids.data() >= msg.data() && ids.data() + ids.size() <= msg.data() + msg.size());
    sv::fdh::parse_getdump_head(msg, nfds, trips, n);
    sv::fdh::parse_setdump_answer(msg, nfds, trips);
    return 0;
}
