// Diagnostics in s6's form: one line per message on fd 2, written with a single writev.
//
//   PROG: fatal: unable to VERB OBJECT: strerror(errno)
//   PROG: warning: ...
//   PROG: usage: USAGE
//
// The three switches skalibs has (fatal or warning, "unable to" or not, errno text or not)
// are spelled out in the function names: warn / warn_sys / die / die_sys.  The caller writes
// "unable to" itself where s6 does, so the wording can be copied from s6 exactly.
#pragma once

#include <charconv>
#include <cstdint>
#include <string_view>
#include <type_traits>

namespace sv {

// Name printed before every message.  Set it as the first statement of main().
extern std::string_view prog;

// A decimal rendering of an integer that converts to string_view; lives until the end of the
// full expression, which is all a diagnostic needs: warn("pid ", dec(pid)).
struct dec {
    char buf[24];
    unsigned len;
    template <class T, class = std::enable_if_t<std::is_integral_v<T>>>
    explicit dec(T v) noexcept
    {
        len = static_cast<unsigned>(std::to_chars(buf, buf + sizeof buf, v).ptr - buf);
    }
    operator std::string_view() const noexcept { return {buf, len}; }
};

namespace detail {
// kind: "fatal", "warning", "info" or "usage".  with_errno appends ": strerror(errno)".
void emit(std::string_view kind, bool with_errno, std::string_view const *parts,
          std::size_t n) noexcept;
// The same, as "PROG (child): KIND: ...".
void emit_child(std::string_view kind, bool with_errno, std::string_view const *parts,
                std::size_t n) noexcept;
[[noreturn]] void quit(int code) noexcept;
}

template <class... A>
void warn(A const &...a) noexcept
{
    std::string_view parts[] = {std::string_view(a)..., {}};
    detail::emit("warning", false, parts, sizeof...(A));
}

template <class... A>
void warn_sys(A const &...a) noexcept
{
    std::string_view parts[] = {std::string_view(a)..., {}};
    detail::emit("warning", true, parts, sizeof...(A));
}

template <class... A>
[[noreturn]] void die(int code, A const &...a) noexcept
{
    std::string_view parts[] = {std::string_view(a)..., {}};
    detail::emit("fatal", false, parts, sizeof...(A));
    detail::quit(code);
}

template <class... A>
[[noreturn]] void die_sys(int code, A const &...a) noexcept
{
    std::string_view parts[] = {std::string_view(a)..., {}};
    detail::emit("fatal", true, parts, sizeof...(A));
    detail::quit(code);
}

// "PROG: fatal: ..." without exiting, for the paths that must still clean up, report to a
// parent, or exec a crash script before they end: the line a die() would print, and no more.
template <class... A>
void fatal_line(A const &...a) noexcept
{
    std::string_view parts[] = {std::string_view(a)..., {}};
    detail::emit("fatal", false, parts, sizeof...(A));
}

template <class... A>
void fatal_line_sys(A const &...a) noexcept
{
    std::string_view parts[] = {std::string_view(a)..., {}};
    detail::emit("fatal", true, parts, sizeof...(A));
}

// fatal_line_sys in the voice of a forked child of ours: "PROG (child): fatal: ...: ERR".
// s6's programs fork, and the child prints this when its exec fails, then dies; sv::spawn
// reports that failure to the parent instead, which says the child's line with this.
template <class... A>
void child_fatal_line_sys(A const &...a) noexcept
{
    std::string_view parts[] = {std::string_view(a)..., {}};
    detail::emit_child("fatal", true, parts, sizeof...(A));
}

// "PROG: info: ...", as s6's servers log what they allow and deny.
template <class... A>
void info(A const &...a) noexcept
{
    std::string_view parts[] = {std::string_view(a)..., {}};
    detail::emit("info", false, parts, sizeof...(A));
}

template <class... A>
void info_sys(A const &...a) noexcept
{
    std::string_view parts[] = {std::string_view(a)..., {}};
    detail::emit("info", true, parts, sizeof...(A));
}

// "PROG: usage: USAGE", exit 100.
[[noreturn]] void die_usage(std::string_view usage) noexcept;

// Exit codes shared by every tool (s6's conventions).
namespace exitcode {
inline constexpr int ok = 0;
inline constexpr int negative = 1;
// 1 again, for the programs that stand in for an execline script (logutil-*): whatever step
// fails ends them with 1, as execline's `if` does.
inline constexpr int step_failed = 1;
inline constexpr int timeout = 99;
// The s6-ftrig-* programs end a wait that timed out with 1, not 99.
inline constexpr int event_timeout = 1;
inline constexpr int usage = 100;
inline constexpr int bug = 101;
inline constexpr int system = 111;
inline constexpr int exec_failed = 126;
inline constexpr int exec_not_found = 127;
}

} // namespace sv
