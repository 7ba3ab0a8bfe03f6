// The fd-holder protocol's pack and unpack (layout in fdholder.hh).
#include <supervise/fdholder.hh>

#include <cerrno>
#include <cstring>
#include <memory>

#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/ipc.hh>
#include <supervise/opts.hh>
#include <supervise/unixmessage.hh>

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

// ---- The tools' start.

std::span<char const *const> timeout_and_operands(int argc, char **argv, std::size_t min,
                                                 std::string_view usage, unsigned &timeout_ms)
{
    timeout_ms = 0;
    opt_parser opts{argc, argv, "t:"};
    while (int c = opts.next())
        if (c != 't' || !scan_uint(opts.arg(), timeout_ms)) die_usage(usage);
    if (opts.operands().size() < min) die_usage(usage);
    return opts.operands();
}

std::int64_t deadline_in(unsigned ms) noexcept { return ms ? mono_ms() + ms : -1; }

int connect_or_die(char const *path, std::int64_t deadline_ms, std::string_view what) noexcept
{
    int const sock = ipc_connect_until(path, deadline_ms);
    if (sock < 0) die_sys(exitcode::system, "unable to connect to ", what, " at ", path);
    return sock;
}

// ---- Client calls.

namespace {

// A receiver for one client call: room for the largest answer a daemon with a million ids
// could send a list of.  Pages never written are never touched.
struct receiver {
    static constexpr std::size_t size = std::size_t{1} << 24;
    std::unique_ptr<char[]> buf;
    int fds[umsg_max_fds + 1];
    umsg_receiver rx;
    explicit receiver(int sock)
        : buf(new char[size]), rx({buf.get(), size}, {fds, umsg_max_fds + 1}, sock)
    {
    }
};

// Sends data (with fds) and waits for the answer.
bool exchange(int sock, receiver &r, std::string_view data, std::span<int const> fds,
              umsg &m, std::int64_t deadline_ms)
{
    if (!umsg_send(sock, data, fds, deadline_ms)) return false;
    return umsg_receive_until(r.rx, m, deadline_ms);
}

// What a parse_* result means for the caller: true for 0, else false with errno set.
bool outcome(int e, umsg const &m)
{
    if (e == 0) return true;
    for (int fd : m.fds) ::close(fd);
    errno = e < 0 ? EPROTO : e;
    return false;
}

// As in libs6, only a length over id_max is refused here; an empty id goes out as it is and
// the daemon drops the connection (the caller then sees EPIPE, as stock's clients do).
bool check_id(std::string_view id)
{
    if (id.size() <= id_max) return true;
    errno = ENAMETOOLONG;
    return false;
}

} // namespace

bool store(int sock, int fd, std::string_view id, tain limit, std::int64_t deadline_ms)
{
    if (!check_id(id)) return false;
    char buf[request_max];
    receiver r(sock);
    umsg m;
    if (!exchange(sock, r, {buf, pack_store(buf, limit, id)}, {&fd, 1}, m, deadline_ms))
        return false;
    return outcome(parse_status(m.data, m.fds.size()), m);
}

bool remove(int sock, std::string_view id, std::int64_t deadline_ms)
{
    if (!check_id(id)) return false;
    char buf[request_max];
    receiver r(sock);
    umsg m;
    if (!exchange(sock, r, {buf, pack_delete(buf, id)}, {}, m, deadline_ms)) return false;
    return outcome(parse_status(m.data, m.fds.size()), m);
}

int retrieve(int sock, std::string_view id, bool del, std::int64_t deadline_ms)
{
    if (!check_id(id)) return -1;
    char buf[request_max];
    receiver r(sock);
    umsg m;
    if (!exchange(sock, r, {buf, pack_retrieve(buf, id, del)}, {}, m, deadline_ms)) return -1;
    if (!outcome(parse_retrieve_answer(m.data, m.fds.size()), m)) return -1;
    return m.fds[0];
}

bool list(int sock, std::vector<std::string> &ids, std::int64_t deadline_ms)
{
    receiver r(sock);
    umsg m;
    if (!exchange(sock, r, "L", {}, m, deadline_ms)) return false;
    std::uint32_t n = 0;
    std::string_view all;
    if (!outcome(parse_list_answer(m.data, m.fds.size(), n, all), m)) return false;
    while (!all.empty()) {
        std::size_t const end = all.find('\0');
        ids.emplace_back(all.substr(0, end));
        all.remove_prefix(end + 1);
    }
    return true;
}

bool getdump(int sock, std::vector<dump_entry> &out, std::int64_t deadline_ms)
{
    receiver r(sock);
    umsg m;
    if (!exchange(sock, r, "?", {}, m, deadline_ms)) return false;
    std::uint32_t t = 0, n = 0;
    if (!outcome(parse_getdump_head(m.data, m.fds.size(), t, n), m)) return false;
    std::size_t const first = out.size();
    auto undo = [&] {
        for (std::size_t i = first; i < out.size(); i++) ::close(out[i].fd);
        out.resize(first);
        return false;
    };
    for (std::uint32_t i = 0; i < t; i++) {
        if (!umsg_receive_until(r.rx, m, deadline_ms)) return undo();
        std::string_view rest = m.data;
        bool ok = out.size() - first + m.fds.size() <= n;
        std::size_t k = 0;
        for (; ok && k < m.fds.size(); k++) {
            tain limit;
            std::string_view id;
            if (!next_entry(rest, limit, id)) break;
            out.push_back({m.fds[k], limit, std::string(id)});
        }
        if (k < m.fds.size()) {
            for (std::size_t j = k; j < m.fds.size(); j++) ::close(m.fds[j]);
            undo();
            errno = EPROTO;
            return false;
        }
    }
    return true;
}

bool setdump(int sock, std::span<dump_entry const> dump, std::int64_t deadline_ms)
{
    if (dump.empty()) return true;
    for (auto const &e : dump)
        if (!id_valid(e.id)) {
            errno = EINVAL;
            return false;
        }
    receiver r(sock);
    umsg m;
    char head[5];
    auto const n = static_cast<std::uint32_t>(dump.size());
    if (!exchange(sock, r, {head, pack_setdump(head, n)}, {}, m, deadline_ms)) return false;
    std::uint32_t t = 0;
    if (!outcome(parse_setdump_answer(m.data, m.fds.size(), t), m)) return false;
    if (t != trips(n)) {
        errno = EPROTO;
        return false;
    }
    // The daemon counts fds, not messages: each message carries at most what one sendmsg
    // can (setdump_fds_per_message), so that a daemon reading a message while its last fds
    // are still on their way never sees it.
    std::string data;
    std::vector<int> fds;
    for (std::size_t from = 0; from < dump.size(); from += setdump_fds_per_message) {
        std::size_t const k = std::min(setdump_fds_per_message, dump.size() - from);
        data.assign(1, static_cast<char>(op::setdump_data));
        fds.clear();
        for (std::size_t j = from; j < from + k; j++) {
            char e[entry_max];
            data.append(e, pack_entry(e, dump[j].limit, dump[j].id));
            fds.push_back(dump[j].fd);
        }
        if (!exchange(sock, r, data, fds, m, deadline_ms)) return false;
        int const e = parse_status(m.data, m.fds.size());
        // Every answer but the last must be EAGAIN (more expected), the last 0.
        bool const last = from + k == dump.size();
        if (e < 0 || (last && e == EAGAIN) || (!last && e == 0)) return outcome(-1, m);
        if (last || e != EAGAIN) {
            if (!outcome(e, m)) return false;
        }
    }
    return true;
}

} // namespace sv::fdh
