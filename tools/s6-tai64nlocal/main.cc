// s6-tai64nlocal: turns the TAI64N stamps at the start of lines into local time, as s6
// 2.11.3.2's s6-tai64nlocal does.
//
// A line is converted when it is longer than 25 bytes (its newline counted) and starts with
// '@' and 24 hex digits (either case) that stand for a time s6 can show: the nanoseconds
// below 10^9, the date from 1970 on and within what localtime_r can represent.  Those 25
// bytes become "YYYY-MM-DD HH:MM:SS.nnnnnnnnn" and the rest of the line is kept as it is.
// Other lines are copied unchanged; a final line without a newline stays without one.
// The time zone is TZ / /etc/localtime (localtime_r); -g prints UTC.  Operands are ignored.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/fd.hh>
#include <supervise/opts.hh>
#include <supervise/tai64n.hh>
#include <supervise/timestamp.hh>

namespace {

constexpr std::string_view usage = "s6-tai64nlocal [ -g ]";
constexpr std::size_t in_size = 65536;

char in[in_size];
char out[2 * in_size];
std::size_t out_len = 0;
bool utc = false;

void flush()
{
    if (out_len && !sv::write_full(1, out, out_len))
        sv::die_sys(sv::exitcode::system, "unable to write to stdout");
    out_len = 0;
}

void put(char const *s, std::size_t n)
{
    if (out_len + n > sizeof out) flush();
    if (n > sizeof out) {
        if (!sv::write_full(1, s, n))
            sv::die_sys(sv::exitcode::system, "unable to write to stdout");
        return;
    }
    std::memcpy(out + out_len, s, n);
    out_len += n;
}

// The ISO form of a label, or 0 if s6 would leave the line alone.
std::size_t convert(char const *label, char *iso)
{
    sv::tain t;
    if (!sv::tain_scan({label, sv::tain_label_size}, t)) return 0;
    if (t.nano >= 1000000000 || t.sec < sv::tai64_base + 10 || t.sec >= sv::tai64_base * 2)
        return 0;
    time_t u = static_cast<time_t>(sv::unix_from_tain(t));
    std::tm tm{};
    if (!(utc ? gmtime_r(&u, &tm) : localtime_r(&u, &tm))) return 0;
    return sv::fmt_iso(iso, tm, t.nano);
}

// One line (or the start of a line that goes on in the next read, when first is false for
// the continuation): stamps are only looked for at the start.
void line(char const *p, std::size_t n)
{
    char iso[sv::iso_stamp_max];
    std::size_t k;
    if (n > sv::tain_label_size && (k = convert(p, iso))) {
        put(iso, k);
        put(p + sv::tain_label_size, n - sv::tain_label_size);
    } else
        put(p, n);
}

} // namespace

int tai64nlocal_main(int argc, char **argv)
{
    sv::prog = "s6-tai64nlocal";
    sv::opt_parser opts{argc, argv, "g"};
    while (int c = opts.next()) {
        if (c == 'g')
            utc = true;
        else
            sv::die_usage(usage);
    }
    // A line is handled once it is complete, or once 26 bytes of it are known (enough to
    // decide); what follows on a long line is copied through.
    static char head[sv::tain_label_size + 1];
    std::size_t head_len = 0;
    bool in_line = false; // inside a line whose start has been handled
    for (;;) {
        ssize_t r = read(0, in, sizeof in);
        if (r < 0) {
            if (errno == EINTR) continue;
            sv::die_sys(sv::exitcode::system, "unable to read from stdin");
        }
        if (!r) break;
        char const *p = in, *e = in + r;
        while (p < e) {
            auto const *nl =
                static_cast<char const *>(std::memchr(p, '\n', static_cast<std::size_t>(e - p)));
            char const *stop = nl ? nl + 1 : e;
            if (in_line) {
                put(p, static_cast<std::size_t>(stop - p));
            } else if (head_len == 0 && static_cast<std::size_t>(stop - p) > sv::tain_label_size) {
                line(p, static_cast<std::size_t>(stop - p));
                if (!nl) in_line = true;
            } else {
                // Gather the start of the line until it is complete or long enough.
                std::size_t take = std::min<std::size_t>(static_cast<std::size_t>(stop - p),
                                                         sizeof head - head_len);
                std::memcpy(head + head_len, p, take);
                head_len += take;
                bool done = head[head_len - 1] == '\n';
                if (done || head_len == sizeof head) {
                    line(head, head_len);
                    head_len = 0;
                    in_line = !done;
                }
                stop = p + take;
            }
            if (nl && stop == nl + 1) in_line = false;
            p = stop;
        }
        flush();
    }
    if (head_len) put(head, head_len); // a short unterminated last line: unchanged
    flush();
    return 0;
}
