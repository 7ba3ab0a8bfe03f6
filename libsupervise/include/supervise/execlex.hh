// Lexing a script as execlineb does, into the argv it would exec: what s6-rc-compile does to
// a oneshot's up and down files, so that s6-rc can run them later without a shell or an
// execlineb (a oneshot's argv is exec'd as it is).
//
// The rules (execline 2.9's lexer, checked against execlineb -P on the same text):
//   - words are separated by blanks: space, tab, newline and every other control byte
//     (1 to 31); a NUL byte ends the script
//   - '#' where a word could start comments out the rest of the line ('#' inside a word is
//     an ordinary byte)
//   - a backslash outside quotes takes the next byte literally; at the start of a word, a
//     backslash-newline is a line continuation
//   - "double quotes" make one word (joined to any unquoted bytes next to them); inside,
//     \a \b \f \n \r \t \v are those controls, \" \\ and \x (any other byte) that byte,
//     backslash-newline nothing, \DDD (1 to 3 decimal digits, not starting with 0), \0OOO (1
//     to 3 octal digits after the 0) and \0xHH (1 or 2 hex digits) the byte of that value,
//     which must be 1 to 255
//   - a '{' or '}' standing alone as a word opens or closes a block.  A block's words come
//     out prefixed by one space per level of nesting, and the closing brace becomes a word of
//     (level - 1) spaces: "foreground { echo a } echo b" gives
//     foreground, " echo", " a", "", echo, b
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sv {

enum class lex_status {
    ok,
    syntax_error,   // an unterminated quote, a bad \ sequence, a '{' at the end
    unmatched_open, // a block was never closed
    unmatched_close // a '}' with no block open
};

// Lexes text into argv (replacing its contents).  On an error argv is unspecified.
lex_status execline_lex(std::string_view text, std::vector<std::string> &argv) noexcept;

} // namespace sv
