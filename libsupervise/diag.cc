#include <supervise/diag.hh>

#include <cerrno>
#include <cstring>
#include <sys/uio.h>
#include <unistd.h>

namespace sv {

std::string_view prog = "s6pp";

namespace detail {

namespace {

// One line: PROG, then suffix (" (child)" or nothing), then ": KIND: " and the parts.
void line(std::string_view suffix, std::string_view kind, bool with_errno,
          std::string_view const *parts, std::size_t n) noexcept
{
    int const saved = errno;
    constexpr std::size_t max_parts = 24;
    iovec v[max_parts + 7];
    std::size_t k = 0;
    auto add = [&](std::string_view s) {
        if (!s.empty() && k < max_parts + 7)
            v[k++] = {const_cast<char *>(s.data()), s.size()};
    };
    add(prog);
    add(suffix);
    add(": ");
    add(kind);
    add(": ");
    for (std::size_t i = 0; i < n && i < max_parts; i++) add(parts[i]);
    if (with_errno) {
        add(": ");
        add(std::strerror(saved));
    }
    add("\n");
    // One writev, so concurrent writers to the same stderr do not interleave within a line.
    while (writev(2, v, static_cast<int>(k)) < 0 && errno == EINTR) {}
    errno = saved;
}

} // namespace

void emit(std::string_view kind, bool with_errno, std::string_view const *parts,
          std::size_t n) noexcept
{
    line({}, kind, with_errno, parts, n);
}

void emit_child(std::string_view kind, bool with_errno, std::string_view const *parts,
                std::size_t n) noexcept
{
    line(" (child)", kind, with_errno, parts, n);
}

void quit(int code) noexcept { _exit(code); }

} // namespace detail

void die_usage(std::string_view usage) noexcept
{
    detail::emit("usage", false, &usage, 1);
    detail::quit(exitcode::usage);
}

} // namespace sv
