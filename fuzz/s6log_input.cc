// s6-log's input splitting: stdin read in chunks into the line buffer (tools/s6-log/input.cc)
// and cut into lines at '\n', NUL and the line limit, including the SIGTERM path that
// finishes the line in progress one byte at a time.  Input: 2 bytes of line limit (0: none),
// 1 byte of chunk size, 1 byte saying after how many chunks SIGTERM comes (0: never), then
// what arrives on stdin.
#include "fuzz.hh"

#include <fcntl.h>

#include <supervise/logscript.hh>

#include "../tools/s6-log/input.hh"

namespace s6log {
unsigned verbosity = 0; // logdir.cc's, which this target does not link: no warnings
}

namespace {
std::size_t limit, taken;

// Takes every line the buffer holds; `term`: they may be one byte longer than the limit
// (the line SIGTERM let finish is cut after the byte that passed it).
void drain(s6log::input &in, bool term)
{
    char *line;
    std::size_t len;
    while (in.next(line, len)) {
        if (limit) fz::check(len <= limit + (term ? 1 : 0));
        taken += len;
        in.pop();
    }
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const *data, std::size_t size)
{
    if (size < 4) return 0;
    limit = (data[0] << 8 | data[1]) % 2048;
    std::size_t chunk = data[2] ? data[2] : 1;
    unsigned term_after = data[3];
    data += 4;
    size -= 4;
    taken = 0;

    int p[2];
    fz::check(pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0);
    s6log::input in;
    fz::check(in.init(limit));
    std::size_t off = 0;
    unsigned chunks = 0;
    bool term = false;
    while (off < size && !term) {
        std::size_t n = std::min(chunk, size - off);
        fz::check(write(p[1], data + off, n) == static_cast<ssize_t>(n));
        off += n;
        while (in.can_fill() && in.fill(p[0]) == s6log::input::got::data) drain(in, false);
        drain(in, false);
        if (term_after && ++chunks == term_after) term = true;
    }
    if (term) {
        // SIGTERM: the rest of the current line, byte by byte, and nothing after it.
        drain(in, false);
        std::size_t rest = size - off;
        fz::check(write(p[1], data + off, rest) == static_cast<ssize_t>(rest));
        close(p[1]);
        if (!in.pending() || in.fill_last(p[0]) != s6log::input::got::again) in.end();
        drain(in, true);
    } else {
        close(p[1]);
        while (in.fill(p[0]) == s6log::input::got::data) drain(in, false);
        drain(in, false);
    }
    fz::check(taken <= size);
    fz::check(!in.pending());
    close(p[0]);
    return 0;
}
