// Command-line options parsed the way skalibs' subgetopt does (POSIX, no permutation):
// flags may be grouped ("-uwU" is -u then -w with argument "U"), an argument may be attached
// ("-T5000") or be the next word, and parsing stops at "--" or at the first word that is not
// an option; everything after that is operands.
#pragma once

#include <span>
#include <string_view>

namespace sv {

class opt_parser {
public:
    // spec lists the option letters; a letter followed by ':' takes an argument.
    opt_parser(int argc, char const *const *argv, std::string_view spec) noexcept
        : argc_(argc), argv_(argv), spec_(spec)
    {
    }

    // The next option letter, '?' for an unknown option or a missing argument (bad() tells
    // which letter), or 0 at the end of the options.
    int next() noexcept;

    // The argument of the option just returned (when it takes one).
    char const *arg() const noexcept { return arg_; }
    char bad() const noexcept { return bad_; }

    // The words after the options.  Valid once next() has returned 0.
    std::span<char const *const> operands() const noexcept
    {
        return {argv_ + index_, static_cast<std::size_t>(argc_ - index_)};
    }

private:
    int argc_;
    char const *const *argv_;
    std::string_view spec_;
    int index_ = 1;
    int pos_ = 0; // position inside a group of flags; 0 = at the start of a word
    char const *arg_ = nullptr;
    char bad_ = 0;
};

// Parses an unsigned decimal number that makes up the whole of s; false if it does not.
bool scan_uint(std::string_view s, unsigned &out) noexcept;
bool scan_uint64(std::string_view s, unsigned long long &out) noexcept;
// The same for an octal number (file modes given on the command line).
bool scan_octal(std::string_view s, unsigned &out) noexcept;

} // namespace sv
