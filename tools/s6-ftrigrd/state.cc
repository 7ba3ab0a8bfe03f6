// s6-ftrigrd's decisions: requests in, answers and events out (see state.hh).
#include "state.hh"

#include <cerrno>
#include <new>

namespace ftd {

namespace {

void remove_at(helper &h, std::size_t i) noexcept
{
    delete h.subs[i]; // unlinks the FIFO, frees the regex
    h.subs[i] = h.subs[--h.n];
    h.subs[h.n] = nullptr;
}

bool answer(helper &h, int err) noexcept
{
    char const c = static_cast<char>(err);
    return h.answers->put(std::string_view(&c, 1));
}

struct match_ctx {
    helper *h;
    std::uint16_t id;
};

void on_match(void *p, char c) noexcept
{
    auto *m = static_cast<match_ctx *>(p);
    char ev[sv::ftrigr_event_size];
    sv::ftrigr_pack_event(ev, {m->id, '!', static_cast<unsigned char>(c)});
    // can_read_fifo() reserved room for every match one read can make.
    m->h->events->put(std::string_view(ev, sizeof ev));
}

outcome subscribe(helper &h, sv::ftrigr_request const &r) noexcept
{
    if (h.n >= sv::ftrigr_max) return answer(h, ENFILE) ? outcome::ok : outcome::no_room;
    auto *s = new (std::nothrow) slot;
    if (!s) return answer(h, ENOMEM) ? outcome::ok : outcome::no_room;
    if (int e = s->sub.subscribe(r.path, r.regex, r.options)) {
        delete s;
        return answer(h, e) ? outcome::ok : outcome::no_room;
    }
    s->id = r.id;
    h.subs[h.n++] = s;
    return answer(h, 0) ? outcome::ok : outcome::no_room;
}

outcome unsubscribe(helper &h, std::uint16_t id) noexcept
{
    for (std::size_t i = 0; i < h.n; i++) {
        if (h.subs[i]->id != id) continue;
        remove_at(h, i);
        return answer(h, 0) ? outcome::ok : outcome::no_room;
    }
    return answer(h, EINVAL) ? outcome::ok : outcome::no_room;
}

} // namespace

void init(helper &h, sv::text_sender &answers, sv::text_sender &events) noexcept
{
    clear(h);
    h.answers = &answers;
    h.events = &events;
}

bool can_take_request(helper const &h) noexcept { return h.answers->room() >= answer_cost; }

bool can_read_fifo(helper const &h) noexcept { return h.events->room() >= read_cost; }

outcome handle_request(helper &h, std::string_view msg) noexcept
{
    if (!can_take_request(h)) return outcome::no_room;
    sv::ftrigr_request const r = sv::ftrigr_parse(msg);
    switch (r.what) {
    case sv::ftrigr_request::kind::invalid: return outcome::invalid;
    case sv::ftrigr_request::kind::malformed:
        return answer(h, EPROTO) ? outcome::ok : outcome::no_room;
    case sv::ftrigr_request::kind::unsubscribe: return unsubscribe(h, r.id);
    case sv::ftrigr_request::kind::subscribe: return subscribe(h, r);
    }
    return outcome::invalid;
}

bool handle_fifo(helper &h, std::size_t i) noexcept
{
    slot &s = *h.subs[i];
    match_ctx ctx{&h, s.id};
    for (int reads = 0; reads < sv::ftrig_reads_per_wakeup && can_read_fifo(h); reads++) {
        switch (s.sub.read(1, on_match, &ctx)) {
        case sv::ftrig_sub::status::drained: return false;
        case sv::ftrig_sub::status::more: continue;
        case sv::ftrig_sub::status::error: {
            char ev[sv::ftrigr_event_size];
            sv::ftrigr_pack_event(ev, {s.id, 'd', static_cast<unsigned char>(errno)});
            h.events->put(std::string_view(ev, sizeof ev));
            break;
        }
        case sv::ftrig_sub::status::ended: break;
        }
        remove_at(h, i);
        return true;
    }
    return false;
}

void clear(helper &h) noexcept
{
    while (h.n) remove_at(h, h.n - 1);
}

} // namespace ftd
