// The syslog line shaping of s6-socklog and ucspilogd (libsupervise/syslog.cc): a datagram
// made one line, its "<PRI>" turned into "facility.priority: ", the line formatted into a
// buffer of exactly the documented size (ASan catches a byte past it), and the TAI64N label
// test.  Input: 1 byte of flags (bit 0 raw, bit 1 cut), 1 byte giving the length of the
// peer's "from" prefix (taken from what follows, modulo 32), then the datagram.
#include "fuzz.hh"

#include <cstring>
#include <memory>

#include <supervise/syslog.hh>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const *data, std::size_t size)
{
    if (size < 2) return 0;
    bool const raw = data[0] & 1, cut = data[0] & 2;
    std::string_view rest = fz::view(data + 2, size - 2);
    std::size_t const from_len = std::min<std::size_t>(data[1] % 32, rest.size());
    std::string_view const from = rest.substr(0, from_len);
    rest.remove_prefix(from_len);

    // One datagram, one line: no NUL or newline left, never longer.
    std::unique_ptr<char[]> msg(new char[rest.size() + 1]);
    std::memcpy(msg.get(), rest.data(), rest.size());
    std::size_t const len = sv::syslog_clean(msg.get(), rest.size());
    fz::check(len <= rest.size());
    for (std::size_t i = 0; i < len; i++) fz::check(msg[i] != 0 && msg[i] != '\n');
    std::string_view const line(msg.get(), len);

    // The priority, if any, is "<digits>" at the start, and the prefix fits its bound.
    unsigned pri = 0;
    std::size_t const n = sv::syslog_scan_pri(line, pri);
    if (n) fz::check(n >= 3 && line[0] == '<' && line[n - 1] == '>');
    char prefix[sv::syslog_prefix_max];
    std::size_t consumed = 99;
    std::size_t const plen = sv::syslog_prefix(line, prefix, &consumed);
    fz::check(consumed == n && (plen == 0) == (n == 0) && plen <= sv::syslog_prefix_max);
    if (plen) fz::check(prefix[plen - 2] == ':' && prefix[plen - 1] == ' ');

    // The whole output line, in a buffer of the size syslog.hh asks for and not one byte more.
    std::size_t const room = from.size() + sv::syslog_prefix_max + line.size() + 4;
    std::unique_ptr<char[]> out(new char[room]);
    std::size_t const olen = sv::syslog_format_line(from, line, raw, cut, out.get());
    fz::check(olen >= 1 && olen <= room && out[olen - 1] == '\n');
    fz::check(std::string_view(out.get(), from.size()) == from);
    if (raw || !n)
        fz::check(olen == from.size() + line.size() + (cut ? 3 : 0) + 1);

    std::size_t const stamp = sv::syslog_stamp_len(line);
    fz::check(stamp == 0 || (stamp == 26 && line[0] == '@' && line[25] == ' '));
    return 0;
}
