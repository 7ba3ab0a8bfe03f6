// s6-fdholderd's decisions (state.hh), request by request as stock's daemon takes them:
// a malformed request drops the client (EPROTO), a refused one gets a one-byte errno answer.
#include "state.hh"

#include <cerrno>
#include <cstring>

namespace fdhd {

namespace {

bool answer(state &s, client &c, int e) noexcept
{
    char const b = static_cast<char>(e);
    std::string_view part(&b, 1);
    return s.io->send(c.fd, {&part, 1}, {});
}

// regexec wants a C string: the ids are NUL-terminated where they came from.
bool matches(regex_t const &re, std::string_view id) noexcept
{
    char buf[sv::fdh::id_max + 1];
    std::memcpy(buf, id.data(), id.size());
    buf[id.size()] = 0;
    return regexec(&re, buf, 0, nullptr, 0) == 0;
}

// Pops the slot freed last (s.nfree > 0).  A fresh slot is always s.top itself (the stack
// hands them out in order), so every slot below s.top has been written.
held &take_slot(state &s) noexcept
{
    std::uint32_t const i = s.free[--s.nfree];
    if (i >= s.top) s.top = i + 1;
    return s.fds[i];
}

// The slots ever used: the others have never been written (nor their pages touched).
std::span<held> slots(state &s) noexcept { return s.fds.first(s.top); }

void put(state &s, held &h, int fd, sv::tain limit, std::string_view id) noexcept
{
    h.fd = fd;
    h.limit = limit;
    h.idlen = static_cast<std::uint8_t>(id.size());
    std::memcpy(h.id, id.data(), id.size());
    h.id[id.size()] = 0;
    s.nfds++;
}

void forget(state &s, held &h, bool close_it) noexcept
{
    if (close_it) s.io->close(h.fd);
    h.fd = -1;
    s.nfds--;
    s.free[s.nfree++] = static_cast<std::uint32_t>(&h - s.fds.data());
}

void close_fds(state &s, sv::umsg const &m) noexcept
{
    for (int fd : m.fds) s.io->close(fd);
}

bool fail(state &s, sv::umsg const &m) noexcept
{
    close_fds(s, m);
    errno = EPROTO;
    return false;
}

bool do_store(state &s, client &c, sv::umsg const &m, std::string_view body) noexcept
{
    sv::tain limit;
    std::string_view id;
    if (c.dumping || m.fds.size() != 1 || !sv::fdh::parse_store(body, limit, id))
        return fail(s, m);
    int e = 0;
    if (!matches(c.wre, id)) e = EPERM;
    else if (s.nfds >= s.fds.size() || !s.nfree) e = ENFILE;
    else if (find(s, id)) e = EBUSY;
    if (e) {
        close_fds(s, m);
        return answer(s, c, e);
    }
    if (!answer(s, c, 0)) return fail(s, m);
    // As in stock, whose index of limits wants them distinct: a limit some held fd already
    // has moves on by a nanosecond, as often as needed.  (A setdump's limits stay as sent.)
    for (bool taken = true; taken;) {
        taken = false;
        for (held const &h : slots(s))
            if (h.fd >= 0 && h.limit == limit) taken = true;
        if (taken) limit = ++limit.nano < 1000000000 ? limit : sv::tain{limit.sec + 1, 0};
    }
    put(s, take_slot(s), m.fds[0], limit, id);
    return true;
}

bool do_delete(state &s, client &c, sv::umsg const &m, std::string_view body) noexcept
{
    std::string_view id;
    if (c.dumping || !m.fds.empty() || !sv::fdh::parse_delete(body, id)) return fail(s, m);
    if (!matches(c.wre, id)) return answer(s, c, EPERM);
    held *h = find(s, id);
    if (!h) return answer(s, c, ENOENT);
    if (!answer(s, c, 0)) return false;
    forget(s, *h, true);
    return true;
}

bool do_retrieve(state &s, client &c, sv::umsg const &m, std::string_view body) noexcept
{
    std::string_view id;
    bool del = false;
    if (c.dumping || !m.fds.empty() || !sv::fdh::parse_retrieve(body, id, del))
        return fail(s, m);
    // Retrieving with deletion needs both rights, as in stock.
    if (!matches(c.rre, id) || (del && !matches(c.wre, id))) return answer(s, c, EPERM);
    held *h = find(s, id);
    if (!h) return answer(s, c, ENOENT);
    char const zero = 0;
    std::string_view part(&zero, 1);
    int const fd = h->fd;
    if (!s.io->send(c.fd, {&part, 1}, {&fd, 1})) return false;
    if (del) forget(s, *h, true);
    return true;
}

bool do_list(state &s, client &c, sv::umsg const &m, std::string_view body) noexcept
{
    if (c.dumping || !body.empty() || !m.fds.empty()) return fail(s, m);
    if (!(c.flags & may_list)) return answer(s, c, EPERM);
    // One part, whatever the number of ids (a part per id would pass sendmsg's iovec limit).
    char *const out = s.scratch.data();
    std::size_t n = sv::fdh::pack_list_head(out, s.nfds);
    for (held const &h : slots(s)) {
        if (h.fd < 0) continue;
        std::memcpy(out + n, h.id, h.idlen + 1u); // with its NUL
        n += h.idlen + 1u;
    }
    std::string_view const all(out, n);
    return s.io->send(c.fd, {&all, 1}, {});
}

bool do_getdump(state &s, client &c, sv::umsg const &m, std::string_view body) noexcept
{
    if (c.dumping || !body.empty() || !m.fds.empty()) return fail(s, m);
    if (!(c.flags & may_getdump)) return answer(s, c, EPERM);
    char head[9];
    std::string_view hp(head, sv::fdh::pack_getdump_head(head, s.nfds));
    if (!s.io->send(c.fd, {&hp, 1}, {})) return false;
    // The entries in slot order, 255 fds to a message, each message packed in the scratch.
    std::size_t k = 0, len = 0;
    auto trip = [&] {
        std::string_view const data(s.scratch.data(), len);
        bool const ok = s.io->send(c.fd, {&data, 1}, s.fdlist.first(k));
        k = len = 0;
        return ok;
    };
    for (held const &h : slots(s)) {
        if (h.fd < 0) continue;
        len += sv::fdh::pack_entry(s.scratch.data() + len, h.limit, h.name());
        s.fdlist[k++] = h.fd;
        if (k == sv::fdh::fds_per_trip && !trip()) return false;
    }
    return !k || trip();
}

bool do_setdump(state &s, client &c, sv::umsg const &m, std::string_view body) noexcept
{
    std::uint32_t n = 0;
    if (c.dumping || !m.fds.empty() || !sv::fdh::parse_setdump(body, n)) return fail(s, m);
    if (!(c.flags & may_setdump)) return answer(s, c, EPERM);
    if (n > s.fds.size() || n + s.nfds > s.fds.size()) return answer(s, c, ENFILE);
    c.dumping = n;
    char ok[5];
    std::string_view part(ok, sv::fdh::pack_setdump_ok(ok, n));
    return s.io->send(c.fd, {&part, 1}, {});
}

bool do_setdump_data(state &s, client &c, sv::umsg const &m, std::string_view body) noexcept
{
    std::size_t const k = m.fds.size();
    if (!k || k > c.dumping || body.size() < k * (sv::tain_pack_size + 3)) return fail(s, m);
    if (!(c.flags & may_setdump)) {
        close_fds(s, m);
        return answer(s, c, EPERM);
    }
    if (s.nfds + k > s.fds.size()) {
        close_fds(s, m);
        return answer(s, c, ENFILE);
    }
    // Check the whole message before taking anything: a bad entry drops the client.
    std::string_view rest = body;
    sv::tain limit;
    std::string_view id;
    for (std::size_t i = 0; i < k; i++)
        if (!sv::fdh::next_entry(rest, limit, id)) return fail(s, m);
    if (!rest.empty()) return fail(s, m);
    rest = body;
    for (std::size_t i = 0; i < k; i++) {
        sv::fdh::next_entry(rest, limit, id);
        // A dumped id replaces one already held, as in stock, which takes the new slot
        // before it frees the old one.
        held &slot = take_slot(s);
        if (held *old = find(s, id)) forget(s, *old, true);
        put(s, slot, m.fds[i], limit, id);
    }
    c.dumping -= static_cast<std::uint32_t>(k);
    return answer(s, c, c.dumping ? EAGAIN : 0);
}

} // namespace

void init_slots(state &s) noexcept
{
    s.top = 0;
    s.nfree = static_cast<std::uint32_t>(s.fds.size());
    for (std::uint32_t i = 0; i < s.nfree; i++) s.free[i] = s.nfree - 1 - i;
}

held *find(state &s, std::string_view id) noexcept
{
    for (held &h : slots(s))
        if (h.fd >= 0 && h.name() == id) return &h;
    return nullptr;
}

bool handle(state &s, client &c, sv::umsg const &m) noexcept
{
    if (m.data.empty()) return fail(s, m);
    std::string_view const body = m.data.substr(1);
    switch (static_cast<sv::fdh::op>(m.data[0])) {
    case sv::fdh::op::store: return do_store(s, c, m, body);
    case sv::fdh::op::del: return do_delete(s, c, m, body);
    case sv::fdh::op::retrieve: return do_retrieve(s, c, m, body);
    case sv::fdh::op::list: return do_list(s, c, m, body);
    case sv::fdh::op::getdump: return do_getdump(s, c, m, body);
    case sv::fdh::op::setdump: return do_setdump(s, c, m, body);
    case sv::fdh::op::setdump_data: return do_setdump_data(s, c, m, body);
    }
    return fail(s, m);
}

sv::tain expire(state &s, sv::tain now) noexcept
{
    for (;;) {
        held *first = nullptr;
        for (held &h : slots(s))
            if (h.fd >= 0 && (!first || h.limit < first->limit)) first = &h;
        if (!first) return {};
        if (now < first->limit) return first->limit;
        forget(s, *first, true);
    }
}

void drop(state &s, client &c) noexcept
{
    s.io->close(c.fd);
    c.fd = -1;
    c.dumping = 0;
    regfree(&c.rre);
    regfree(&c.wre);
    s.nclients--;
}

int exit_code(state const &s) noexcept { return (s.nfds ? 1 : 0) | (s.nclients ? 2 : 0); }

} // namespace fdhd
