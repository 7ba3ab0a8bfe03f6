// The S6_* settings and the exit-code file (see context.hh).  Decisions only: the files are
// read and written through the seam.
#include "context.hh"
#include "sys.hh"

#include <cstdlib>

#include <supervise/opts.hh>

namespace init {

bool setting(context const &c, char const *name, std::string &out) noexcept
{
    out.clear();
    if (c.cfg.keep_env) {
        char const *v = getenv(name);
        if (!v) return false;
        out = v;
        return true;
    }
    if (!sys::read_file(c.cfg.env_dir() + "/" + name, out)) return false;
    if (!out.empty() && out.back() == '\n') out.pop_back();
    return true;
}

namespace {

unsigned num_value(context const &c, char const *name, char const *v, unsigned def) noexcept
{
    if (!v || !*v) return def;
    unsigned u;
    if (sv::scan_uint(v, u)) return u;
    warning(c, "invalid value for ", name, ": ", v, " (not a number); using the default ",
            sv::dec(def));
    return def;
}

} // namespace

unsigned num_setting(context const &c, char const *name, unsigned def) noexcept
{
    std::string v;
    if (!setting(c, name, v)) return def;
    return num_value(c, name, v.c_str(), def);
}

unsigned live_setting(context const &c, char const *name, unsigned def) noexcept
{
    return num_value(c, name, getenv(name), def);
}

std::string profile_etc(context const &c) noexcept
{
    std::string profile;
    if (setting(c, "S6_RUNTIME_PROFILE", profile) && !profile.empty())
        return "/etc/cont-profile.d/" + profile;
    return "/etc";
}

std::vector<std::string> sh_fields(std::string_view text) noexcept
{
    std::vector<std::string> words;
    std::size_t i = 0;
    while (i < text.size()) {
        auto j = text.find_first_of(" \t\n", i);
        if (j == text.npos) j = text.size();
        if (j > i) words.emplace_back(text.substr(i, j - i));
        i = j + 1;
    }
    return words;
}

void write_exitcode(context const &c, int code) noexcept
{
    std::string const path = c.cfg.exitcode_path();
    if (!sys::write_file(path, std::string(sv::dec(code)) + "\n"))
        warning_sys(c, "unable to write ", path);
}

int read_exitcode(context const &c) noexcept
{
    std::string txt;
    std::string const path = c.cfg.exitcode_path();
    if (!sys::read_file(path, txt)) txt.clear();
    txt = txt.substr(0, txt.find('\n'));
    while (!txt.empty() && (txt.back() == ' ' || txt.back() == '\t' || txt.back() == '\r'))
        txt.pop_back();
    if (txt.empty()) return 0;
    unsigned long long v;
    if (!sv::scan_uint64(txt, v)) {
        sv::warn("invalid exit code in ", path, ": ", txt);
        return sv::exitcode::usage;
    }
    return static_cast<int>(v % 256);
}

} // namespace init
