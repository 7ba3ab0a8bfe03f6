// Blocks on a command line, in execline's convention, for the programs that take a list of
// words followed by a program to run: s6-svlisten { servicedir... } prog..., and the
// s6-ftrig-listen family.
//
// execlineb hands a block { a b } to a program as the words " a" " b" "": every word inside
// is quoted with one leading space, and an empty word ends the block.  A reader strips the
// quoting space from each word and stops at the first empty word.  Words without the space
// are accepted too (a block written by hand in a shell); the EXECLINE_STRICT variable decides
// what happens to them, as in execline 2.9: unset or 0, nothing; 1, a warning each
//     PROG: warning: unquoted argument WORD at block N position P
// 2 or more, the same line as a fatal error, exit 100.
#pragma once

#include <cstddef>

namespace sv {

// The value of EXECLINE_STRICT: its leading decimal digits, as execline reads it ("2x" is 2,
// " 2" and "abc" are 0); 0 when unset.
unsigned block_strictness() noexcept;

// Scans the block that starts at argv[0] (argv is NULL-terminated) and returns the number of
// words before the empty word that ends it, or -1 if no empty word comes.  Each word of the
// block that starts with a space loses it in place (argv[i] is advanced by one character).
// Unquoted words are reported according to strict (see above); block_number is the block's
// rank on the command line, from 1, for those messages.
std::ptrdiff_t block_scan(char const **argv, unsigned block_number, unsigned strict) noexcept;

} // namespace sv
