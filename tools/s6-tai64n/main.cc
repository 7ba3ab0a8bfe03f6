// s6-tai64n: prefixes every line of stdin with the TAI64N stamp of the moment it is read
// ('@' + 24 hex digits, then one space), as s6 2.11.3.2's s6-tai64n does.
//
// A final line without a newline gets one.  Output is flushed whenever the next read could
// block: we flush after handling each read(), which gives the same latency.  Arguments are
// ignored.  Like s6's, a failing flush before a read is reported as a read error (s6 flushes
// from inside its input buffer), and a failing final flush as a write error; both exit 111.
#include <cerrno>
#include <cstring>
#include <ctime>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/fd.hh>
#include <supervise/tai64n.hh>
#include <supervise/timestamp.hh>

namespace {

constexpr std::size_t in_size = 65536;
constexpr std::size_t out_size = 2 * in_size;

char in[in_size];
char out[out_size];
std::size_t out_len = 0;
sv::tai_stamper stamper;

void put(char const *s, std::size_t n, char const *verb)
{
    if (out_len + n > out_size) {
        if (!sv::write_full(1, out, out_len)) sv::die_sys(sv::exitcode::system, "unable to ", verb);
        out_len = 0;
    }
    if (n > out_size) {
        if (!sv::write_full(1, s, n)) sv::die_sys(sv::exitcode::system, "unable to ", verb);
        return;
    }
    std::memcpy(out + out_len, s, n);
    out_len += n;
}

// The stamp and a space, for the line that starts now.
void stamp(char const *verb)
{
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char label[sv::tain_label_size + 1];
    stamper.fmt(label, ts);
    label[sv::tain_label_size] = ' ';
    put(label, sizeof label, verb);
}

} // namespace

int tai64n_main(int, char **)
{
    sv::prog = "s6-tai64n";
    bool at_start = true; // the next byte starts a line
    for (;;) {
        ssize_t r = read(0, in, sizeof in);
        if (r < 0) {
            if (errno == EINTR) continue;
            sv::die_sys(sv::exitcode::system, "unable to read from stdin");
        }
        if (!r) break;
        char const *p = in, *e = in + r;
        while (p < e) {
            if (at_start) stamp("read from stdin");
            auto const *nl =
                static_cast<char const *>(std::memchr(p, '\n', static_cast<std::size_t>(e - p)));
            char const *stop = nl ? nl + 1 : e;
            put(p, static_cast<std::size_t>(stop - p), "read from stdin");
            at_start = nl != nullptr;
            p = stop;
        }
        if (out_len && !sv::write_full(1, out, out_len))
            sv::die_sys(sv::exitcode::system, "unable to read from stdin");
        out_len = 0;
    }
    if (!at_start) put("\n", 1, "write to stdout");
    if (out_len && !sv::write_full(1, out, out_len))
        sv::die_sys(sv::exitcode::system, "unable to write to stdout");
    return 0;
}
