// execline's lexer (see execlex.hh for the rules).  One pass over the bytes with a small
// state machine; cur holds the bytes of the word being built, including the spaces that
// mark its block level.  (After a '{' or '}' that began a word, a backslash makes the
// level's spaces go in again after the brace, as execlineb's do.)
#include <supervise/execlex.hh>

#include <cstdint>

namespace sv {
namespace {

enum class st {
    start,
    comment,
    open_brace,  // after a '{' that started a word
    close_brace, // after a '}' that started a word
    word,
    bs_blank,    // after a backslash where a word starts
    bs_word,     // after a backslash inside an unquoted word
    quoted,
    bs_quoted,   // after a backslash inside quotes
    oct,         // after \0
    num1,        // after the first digit of \0O, \D or \0xH
    num2,        // after the second
    hex,         // after \0x
    num_end      // after the last digit
};

bool is_blank(unsigned char c) noexcept { return c != 0 && c <= ' '; }
bool is_oct(unsigned char c) noexcept { return c >= '0' && c <= '7'; }
bool is_dec(unsigned char c) noexcept { return c >= '0' && c <= '9'; }
bool is_hex(unsigned char c) noexcept
{
    return is_dec(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

char control_for(unsigned char c) noexcept
{
    switch (c) {
    case 'a': return '\a';
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    default: return '\v';
    }
}

struct lexer {
    std::vector<std::string> &argv;
    std::string cur;
    unsigned level = 0;
    std::size_t mark = 0; // where the digits of a numeric escape start in cur
    unsigned base = 10;

    void begin_word() { cur.append(level, ' '); }
    void end_word()
    {
        argv.push_back(std::move(cur));
        cur.clear();
    }
    // Replaces the digits since mark by the byte they stand for; false if it is 0 or > 255.
    bool scan()
    {
        unsigned v = 0;
        for (std::size_t i = mark; i < cur.size(); i++) {
            unsigned char d = static_cast<unsigned char>(cur[i]);
            unsigned dv = is_dec(d) ? d - '0' : (d | 0x20) - 'a' + 10;
            v = v * base + dv;
        }
        cur.resize(mark);
        if (v == 0 || v > 255) return false;
        cur += static_cast<char>(v);
        return true;
    }
    // The byte after a numeric escape's digits (the digits are scanned first): as in quotes.
    st after_number(unsigned char c, bool &ok)
    {
        ok = scan();
        if (c == '"') return st::word;
        if (c == '\\') return st::bs_quoted;
        cur += static_cast<char>(c);
        return st::quoted;
    }
};

} // namespace

lex_status execline_lex(std::string_view text, std::vector<std::string> &argv) noexcept
{
    argv.clear();
    lexer lx{argv, {}};
    st s = st::start;
    bool ok = true;
    for (std::size_t i = 0;; i++) {
        unsigned char const c = i < text.size() ? static_cast<unsigned char>(text[i]) : 0;
        bool const end = c == 0;
        switch (s) {
        case st::start:
            if (end) return lx.level ? lex_status::unmatched_open : lex_status::ok;
            if (is_blank(c)) break;
            if (c == '#') { s = st::comment; break; }
            if (c == '\\') { s = st::bs_blank; break; } // the word begins after it
            lx.begin_word();
            if (c == '"') s = st::quoted;
            else {
                lx.cur += static_cast<char>(c);
                s = c == '{' ? st::open_brace : c == '}' ? st::close_brace : st::word;
            }
            break;
        case st::comment:
            if (end) return lx.level ? lex_status::unmatched_open : lex_status::ok;
            if (c == '\n') s = st::start;
            break;
        case st::open_brace:
            if (end) return lex_status::syntax_error;
            if (is_blank(c)) {
                lx.level++;
                lx.cur.resize(lx.cur.size() - lx.level); // the '{' and its level's spaces
                s = st::start;
            } else if (c == '"') s = st::quoted;
            else if (c == '\\') s = st::bs_blank;
            else { lx.cur += static_cast<char>(c); s = st::word; }
            break;
        case st::close_brace:
            if (end || is_blank(c)) {
                if (!lx.level) return lex_status::unmatched_close;
                lx.level--;
                lx.cur.resize(lx.cur.size() - 2); // the '}' and one space
                lx.end_word();
                if (end) return lx.level ? lex_status::unmatched_open : lex_status::ok;
                s = st::start;
            } else if (c == '"') s = st::quoted;
            else if (c == '\\') s = st::bs_blank;
            else { lx.cur += static_cast<char>(c); s = st::word; }
            break;
        case st::word:
            if (end || is_blank(c)) {
                lx.end_word();
                if (end) return lx.level ? lex_status::unmatched_open : lex_status::ok;
                s = st::start;
            } else if (c == '"') s = st::quoted;
            else if (c == '\\') s = st::bs_word;
            else lx.cur += static_cast<char>(c);
            break;
        case st::bs_blank:
            // The word is dropped at the end, and a backslash-newline continues the line.
            if (end) return lx.level ? lex_status::unmatched_open : lex_status::ok;
            if (c == '\n') { s = st::start; break; }
            lx.begin_word();
            lx.cur += static_cast<char>(c);
            s = st::word;
            break;
        case st::bs_word:
            if (end) return lex_status::syntax_error;
            lx.cur += static_cast<char>(c);
            s = st::word;
            break;
        case st::quoted:
            if (end) return lex_status::syntax_error;
            if (c == '"') s = st::word;
            else if (c == '\\') s = st::bs_quoted;
            else lx.cur += static_cast<char>(c);
            break;
        case st::bs_quoted:
            if (end) return lex_status::syntax_error;
            s = st::quoted;
            if (c == '0') { lx.base = 8; s = st::oct; }
            else if (c >= '1' && c <= '9') {
                lx.base = 10;
                lx.mark = lx.cur.size();
                lx.cur += static_cast<char>(c);
                s = st::num1;
            } else if (c == '\n') {} // a continuation inside quotes
            else if (c == 'a' || c == 'b' || c == 'f' || c == 'n' || c == 'r' || c == 't' ||
                     c == 'v')
                lx.cur += control_for(c);
            else lx.cur += static_cast<char>(c);
            break;
        case st::oct:
            if (c == 'x') { lx.base = 16; s = st::hex; break; }
            if (!is_oct(c)) return lex_status::syntax_error;
            lx.mark = lx.cur.size();
            lx.cur += static_cast<char>(c);
            s = st::num1;
            break;
        case st::hex:
            if (!is_hex(c)) return lex_status::syntax_error;
            lx.mark = lx.cur.size();
            lx.cur += static_cast<char>(c);
            s = st::num1;
            break;
        case st::num1:
        case st::num2:
        case st::num_end: {
            bool const digit = s != st::num_end &&
                               (lx.base == 8 ? is_oct(c) : lx.base == 10 ? is_dec(c) : is_hex(c));
            if (digit) {
                lx.cur += static_cast<char>(c);
                // Three digits at most, two in hex.
                s = s == st::num1 && lx.base != 16 ? st::num2 : st::num_end;
                break;
            }
            if (end) {
                if (!lx.scan()) return lex_status::syntax_error;
                lx.end_word();
                return lx.level ? lex_status::unmatched_open : lex_status::ok;
            }
            s = lx.after_number(c, ok);
            if (!ok) return lex_status::syntax_error;
            break;
        }
        }
    }
}

} // namespace sv
