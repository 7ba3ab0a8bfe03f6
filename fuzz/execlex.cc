// execline's lexer (libsupervise/execlex.cc), as s6-rc's source reader runs it on a
// oneshot's up and down files: any text lexes to a status without a crash, and a text that
// lexes is stable: its words, written back quoted, lex to the same words.
#include "fuzz.hh"

#include <string>
#include <vector>

#include <supervise/execlex.hh>

namespace {

// word as one double-quoted execline word: every byte that the quotes would change is
// written as \0xHH (words hold no NUL: the lexer refuses \0 and a NUL ends the script).
void quote(std::string const &word, std::string &out)
{
    static char const hex[] = "0123456789abcdef";
    out += '"';
    for (unsigned char c : word) {
        if (c == '"' || c == '\\' || c < 32 || c == 127) {
            out += "\\0x";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    out += "\" ";
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const *data, std::size_t size)
{
    std::vector<std::string> argv;
    sv::lex_status const st = sv::execline_lex(fz::view(data, size), argv);
    if (st != sv::lex_status::ok) return 0;
    std::string again;
    for (auto const &w : argv) {
        fz::check(w.find('\0') == std::string::npos);
        quote(w, again);
    }
    std::vector<std::string> argv2;
    fz::check(sv::execline_lex(again, argv2) == sv::lex_status::ok);
    fz::check(argv2 == argv);
    return 0;
}
