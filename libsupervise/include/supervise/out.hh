// A small fixed-buffer output writer for the tools (no stdio, no iostreams).
#pragma once

#include <charconv>
#include <cstddef>
#include <string_view>
#include <type_traits>

namespace sv {

class out_buf {
public:
    explicit out_buf(int fd) noexcept : fd_(fd) {}
    out_buf(out_buf const &) = delete;
    out_buf &operator=(out_buf const &) = delete;
    ~out_buf() { flush(); }

    out_buf &put(std::string_view s) noexcept;
    out_buf &put(char c) noexcept { return put(std::string_view(&c, 1)); }
    template <class T, class = std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, char>>>
    out_buf &num(T v) noexcept
    {
        char b[24];
        return put(std::string_view(b, static_cast<std::size_t>(std::to_chars(b, b + sizeof b, v).ptr - b)));
    }
    // Writes out what is buffered.  False (errno set) if any write so far has failed.
    bool flush() noexcept;
    // Whether a write has failed so far (flush() then says how).
    bool failed() const noexcept { return failed_; }

private:
    int fd_;
    bool failed_ = false;
    int err_ = 0; // errno of the failed write, given back by every later flush()
    std::size_t len_ = 0;
    char buf_[4096];
};

} // namespace sv
