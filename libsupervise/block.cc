#include <supervise/block.hh>

#include <cstdlib>

#include <supervise/diag.hh>

namespace sv {

unsigned block_strictness() noexcept
{
    char const *s = std::getenv("EXECLINE_STRICT");
    unsigned v = 0;
    // Leading digits only, saturating instead of wrapping: any huge value is still "strict".
    for (; s && *s >= '0' && *s <= '9'; s++)
        v = v > 100000 ? v : v * 10 + unsigned(*s - '0');
    return v;
}

std::ptrdiff_t block_scan(char const **argv, unsigned block_number, unsigned strict) noexcept
{
    for (std::ptrdiff_t i = 0;; i++) {
        char const *w = argv[i];
        if (!w) return -1;
        if (!*w) return i;
        if (*w == ' ') {
            argv[i] = w + 1;
        } else if (strict) {
            dec const block(block_number), pos(i);
            if (strict >= 2)
                die(exitcode::usage, "unquoted argument ", w, " at block ", block, " position ",
                    pos);
            warn("unquoted argument ", w, " at block ", block, " position ", pos);
        }
    }
}

} // namespace sv
