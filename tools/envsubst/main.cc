// envsubst [OPTION] [SHELL-FORMAT]: GNU gettext's envsubst (0.21) for images that have none.
// stdin is copied to stdout with each $NAME and ${NAME} (NAME: a letter or '_', then letters,
// digits and '_') replaced by the value of NAME in the environment (nothing when unset).  With
// SHELL-FORMAT only the names referenced in it are replaced, the others are left as written;
// -v / --variables prints those names instead, one per line, in order, repeats included.
// A "${NAME" that does not close right after NAME is left as written.
//
// The command line is GNU's: options may come after the operand, long options may be
// abbreviated, "--" ends the options, and the messages start with argv[0] as given, in GNU's
// words (exit 1 for every error).  --help and --version answer in our own words with GNU's
// shape (usage line first; "envsubst (s6pp) VERSION" first).
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include <supervise/out.hh>

namespace {

std::string_view name = "envsubst"; // argv[0], for the messages

// After "Usage: " and the program's name, as GNU's --help starts.
constexpr std::string_view help_text =
    " [OPTION] [SHELL-FORMAT]\n"
    "\n"
    "Copies standard input to standard output, replacing $NAME and ${NAME} with the value\n"
    "of the environment variable NAME.\n"
    "\n"
    "Operation mode:\n"
    "  -v, --variables             list the variables that SHELL-FORMAT references\n"
    "\n"
    "Informative output:\n"
    "  -h, --help                  display this help and exit\n"
    "  -V, --version               output version information and exit\n"
    "\n"
    "Without SHELL-FORMAT every reference is replaced; with it, only the references to the\n"
    "variables that SHELL-FORMAT names.  With --variables, standard input is not read and\n"
    "those variables are printed, one per line.\n";

constexpr std::string_view version_text =
    "envsubst (s6pp) " S6PP_VERSION "\n"
    "A reimplementation of GNU gettext's envsubst for s6pp.\n";

// "NAME: " then the parts then a newline, on stderr (GNU's form: no "fatal:").
void say(std::initializer_list<std::string_view> parts) noexcept
{
    sv::out_buf err{2};
    err.put(name).put(": ");
    for (auto p : parts)
        err.put(p);
    err.put('\n');
}

[[noreturn]] void die_try(std::initializer_list<std::string_view> parts) noexcept
{
    say(parts);
    sv::out_buf err{2};
    err.put("Try '").put(name).put(" --help' for more information.\n");
    err.flush();
    std::_Exit(1);
}

bool name_start(char c) noexcept
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

bool name_char(char c) noexcept
{
    return name_start(c) || (c >= '0' && c <= '9');
}

// A reference at s[i] == '$': the name, its extent [i, end), and whether it is well formed
// (a "${" must close with '}' right after the name).  name is empty if no name follows.
struct ref
{
    std::string_view name;
    std::size_t end;
    bool brace, valid;
};

ref scan_ref(std::string_view s, std::size_t i) noexcept
{
    ref r{{}, i + 1, false, false};
    std::size_t j = i + 1;
    if (j < s.size() && s[j] == '{') r.brace = true, ++j;
    if (j >= s.size() || !name_start(s[j])) {
        r.end = j;
        return r;
    }
    std::size_t k = j;
    while (k < s.size() && name_char(s[k]))
        ++k;
    r.name = s.substr(j, k - j);
    r.valid = !r.brace || (k < s.size() && s[k] == '}');
    r.end = r.brace && r.valid ? k + 1 : k;
    return r;
}

// The well-formed references of a SHELL-FORMAT, in order.
std::vector<std::string_view> find_names(std::string_view fmt)
{
    std::vector<std::string_view> names;
    for (std::size_t i = 0; i < fmt.size();) {
        if (fmt[i] != '$') {
            ++i;
            continue;
        }
        ref const r = scan_ref(fmt, i);
        if (r.valid) names.push_back(r.name);
        // GNU goes on right after the name (a '}' can hold no '$').
        i = r.name.empty() ? i + 1 : r.end;
    }
    return names;
}

// Copies in to out, replacing the references that allowed lets through (all when null).
void substitute(std::string_view in, std::set<std::string, std::less<>> const *allowed,
                sv::out_buf &out)
{
    std::string buf;
    for (std::size_t i = 0; i < in.size();) {
        std::size_t const d = in.find('$', i);
        out.put(in.substr(i, d == std::string_view::npos ? std::string_view::npos : d - i));
        if (d == std::string_view::npos) break;
        ref const r = scan_ref(in, d);
        if (r.valid && (!allowed || allowed->count(r.name))) {
            buf.assign(r.name);
            if (char const *v = std::getenv(buf.c_str())) out.put(v);
        } else {
            out.put(in.substr(d, r.end - d));
        }
        i = r.end;
    }
}

// Where the text in buf can be substituted up to without waiting for more input: all of it,
// unless its last '$' starts a reference that may go on in the next read ("$", "${", or a
// name that reaches the end).  References hold no '$', so only the last one can be cut.
std::size_t complete_up_to(std::string_view buf) noexcept
{
    std::size_t const d = buf.rfind('$');
    if (d == std::string_view::npos) return buf.size();
    ref const r = scan_ref(buf, d);
    // A well-formed "${NAME}" is complete; anything else that reaches the end may grow.
    bool const closed = r.valid && r.brace;
    return !closed && r.end == buf.size() ? d : buf.size();
}

// Substitutes stdin into out as it comes, so that a stream that never ends (a pipe from a
// long-lived program) is not held back: GNU's works a character at a time.
void stream(std::set<std::string, std::less<>> const *allowed, sv::out_buf &out)
{
    std::string buf;
    char chunk[8192];
    for (;;) {
        ssize_t const r = ::read(0, chunk, sizeof chunk);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            say({"error while reading \"standard input\": ", std::strerror(errno)});
            std::_Exit(1);
        }
        buf.append(chunk, static_cast<std::size_t>(r));
        std::size_t const done = r == 0 ? buf.size() : complete_up_to(buf);
        substitute(std::string_view(buf).substr(0, done), allowed, out);
        buf.erase(0, done);
        if (r == 0) return;
        out.flush();
    }
}

} // namespace

namespace {

struct command
{
    bool help = false, version = false, variables = false;
    std::vector<char const *> operands;
};

// One long option (arg is what follows "--"), matched as getopt_long does: exactly, or by a
// prefix that names one option only.
void long_option(std::string_view arg, command &c) noexcept
{
    constexpr std::string_view names[] = {"help", "variables", "version"};
    std::size_t const eq = arg.find('=');
    std::string_view const opt = arg.substr(0, eq);
    int found = -1, matches = 0;
    for (int i = 0; i < 3; ++i) {
        if (names[i] == opt) {
            found = i, matches = 1;
            break;
        }
        if (names[i].substr(0, opt.size()) == opt) found = i, ++matches;
    }
    if (matches == 0) die_try({"unrecognized option '--", arg, "'"});
    if (matches > 1) {
        std::string list; // "'--variables' '--version'"
        for (auto n : names)
            if (n.substr(0, opt.size()) == opt)
                list += (list.empty() ? "'--" : " '--") + std::string(n) + "'";
        die_try({"option '--", opt, "' is ambiguous; possibilities: ", list});
    }
    if (eq != std::string_view::npos)
        die_try({"option '--", names[found], "' doesn't allow an argument"});
    (found == 0 ? c.help : found == 1 ? c.variables : c.version) = true;
}

// GNU getopt_long over argv, permuting: the operands are collected wherever they are.
command parse(int argc, char **argv) noexcept
{
    command c;
    bool options = true;
    for (int i = 1; i < argc; ++i) {
        std::string_view const a = argv[i];
        if (!options || a.size() < 2 || a[0] != '-') {
            c.operands.push_back(argv[i]);
        } else if (a == "--") {
            options = false;
        } else if (a[1] == '-') {
            long_option(a.substr(2), c);
        } else {
            for (char ch : a.substr(1)) {
                switch (ch) {
                case 'h':
                    c.help = true;
                    break;
                case 'v':
                    c.variables = true;
                    break;
                case 'V':
                    c.version = true;
                    break;
                default:
                    die_try({"invalid option -- '", std::string_view(&ch, 1), "'"});
                }
            }
        }
    }
    return c;
}

[[noreturn]] void finish(sv::out_buf &out) noexcept
{
    if (!out.flush()) {
        say({"write error: ", std::strerror(errno)});
        std::_Exit(1);
    }
    std::_Exit(0);
}

} // namespace

int envsubst_main(int argc, char **argv)
{
    if (argc > 0 && argv[0][0]) name = argv[0];
    command const c = parse(argc, argv);
    sv::out_buf out{1};
    if (c.version) out.put(version_text), finish(out);
    if (c.help) out.put("Usage: ").put(name).put(help_text), finish(out);
    if (c.operands.size() > 1) say({"too many arguments"}), std::_Exit(1);
    if (c.variables) {
        if (c.operands.empty()) say({"missing arguments"}), std::_Exit(1);
        for (auto n : find_names(c.operands[0]))
            out.put(n).put('\n');
        finish(out);
    }
    std::set<std::string, std::less<>> allowed;
    if (!c.operands.empty())
        for (auto n : find_names(c.operands[0]))
            allowed.emplace(n);
    stream(c.operands.empty() ? nullptr : &allowed, out);
    finish(out);
}
