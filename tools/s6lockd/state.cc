#include "state.hh"

#include <cerrno>
#include <memory>
#include <utility>

namespace lkd {

namespace {

void answer(table &d, unsigned char code) noexcept
{
    char c = static_cast<char>(code);
    d.answers->put({&c, 1}); // room checked by can_take_request before the request was taken
}

void event(table &d, std::uint16_t id, unsigned char code) noexcept
{
    char m[sv::s6lock_event_size];
    sv::s6lock_pack_event(m, id, code);
    d.events->put({m, sizeof m}); // room checked by can_send_event by every caller
}

slot *find(table &d, std::uint16_t id) noexcept
{
    for (std::size_t i = 0; i < d.n; i++)
        if (d.tab[i].id == id) return &d.tab[i];
    return nullptr;
}

// Lets go of slot i (the helper goes, and with it the lock), moving the last slot into it.
void remove(table &d, std::size_t i) noexcept
{
    slot &s = d.tab[i];
    s.ack.reset();
    s.hold.reset();
    if (s.pid > 0) sys::stop_helper(s.pid);
    if (i != d.n - 1) s = std::move(d.tab[d.n - 1]);
    std::destroy_at(d.tab + --d.n);
}

void acquire(table &d, sv::s6lock_request const &r) noexcept
{
    if (find(d, r.id)) return answer(d, EEXIST);
    // As stock: the path is taken relative to the lock directory, even with a leading '/'.
    sv::path_buf path("./", r.path);
    if (!path.ok()) return answer(d, ENAMETOOLONG);
    sv::lockhelper_child child;
    if (!sys::start_helper(path.c_str(), r.exclusive, child))
        return answer(d, static_cast<unsigned char>(errno));
    slot &s = *std::construct_at(d.tab + d.n++);
    s.id = r.id;
    s.held = false;
    s.pid = child.pid;
    s.ack = std::move(child.ack);
    s.hold = std::move(child.hold);
    s.deadline = sv::s6lock_limit_deadline(r.limit, sys::now_tain(), sys::now_ms());
    answer(d, 0);
}

} // namespace

void init(table &d, slot *tab, sv::text_sender &answers, sv::text_sender &events) noexcept
{
    d.tab = tab;
    d.n = 0;
    d.answers = &answers;
    d.events = &events;
}

outcome handle_request(table &d, std::string_view msg) noexcept
{
    sv::s6lock_request r;
    switch (sv::s6lock_parse_request(msg, r)) {
    case sv::s6lock_parse::invalid: return outcome::invalid;
    case sv::s6lock_parse::malformed: answer(d, EPROTO); return outcome::ok;
    case sv::s6lock_parse::ok: break;
    }
    if (r.op == sv::s6lock_request::kind::release) {
        slot *s = find(d, r.id);
        if (!s) {
            answer(d, ENOENT);
            return outcome::ok;
        }
        remove(d, static_cast<std::size_t>(s - d.tab));
        answer(d, 0);
        return outcome::ok;
    }
    // Every id can be in use at once; beyond that, the client reuses one (EEXIST above).
    if (d.n == max_locks) {
        answer(d, EMFILE);
        return outcome::ok;
    }
    acquire(d, r);
    return outcome::ok;
}

bool can_take_request(table const &d) noexcept
{
    return d.answers->room() >= answer_cost;
}

bool can_send_event(table const &d) noexcept
{
    return d.events->room() >= event_cost;
}

bool handle_helper(table &d, std::size_t i) noexcept
{
    slot &s = d.tab[i];
    unsigned char code;
    switch (sv::lockhelper_read(s.ack.get())) {
    case sv::lockhelper_answer::pending: return false;
    case sv::lockhelper_answer::acquired:
        if (!s.held) {
            s.held = true;
            s.deadline = -1;
            event(d, s.id, 0);
            return false;
        }
        code = EPROTO; // a helper speaks once
        break;
    case sv::lockhelper_answer::garbage: code = EPROTO; break;
    default: code = static_cast<unsigned char>(errno); break; // closed: EPIPE
    }
    event(d, s.id, code);
    remove(d, i);
    return true;
}

std::int64_t next_deadline(table const &d) noexcept
{
    std::int64_t best = -1;
    for (std::size_t i = 0; i < d.n; i++) {
        std::int64_t t = d.tab[i].deadline;
        if (t >= 0 && (best < 0 || t < best)) best = t;
    }
    return best;
}

void expire(table &d, std::int64_t now) noexcept
{
    for (std::size_t i = 0; i < d.n && can_send_event(d);) {
        slot &s = d.tab[i];
        if (s.deadline < 0 || s.deadline > now) {
            i++;
            continue;
        }
        event(d, s.id, ETIMEDOUT);
        remove(d, i); // the last slot moved into i: look at it next
    }
}

void clear(table &d) noexcept
{
    while (d.n) remove(d, d.n - 1);
}

} // namespace lkd
