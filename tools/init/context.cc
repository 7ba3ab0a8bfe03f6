// The settings, messages and run-time paths the stages share (see context.hh).
#include "context.hh"

#include <cstdlib>
#include <unistd.h>

#include <supervise/opts.hh>
#include <supervise/sibling.hh>

#include "sys.hh"

#ifndef S6PP_BINDIR
#define S6PP_BINDIR "/usr/local/bin"
#endif

namespace init {

std::string run_dir = "/run";
std::string etc_dir = "/etc";
bool keep_env = false;
unsigned verbosity = 2;
bool link_exec = false;
int console_out = -1;
int console_err = -1;
unsigned logging = 0;

bool setting(char const *name, std::string &out) noexcept
{
    out.clear();
    if (keep_env) {
        char const *v = getenv(name);
        if (!v) return false;
        out = v;
        return true;
    }
    std::string path = env_dir() + "/" + name;
    if (!read_file(path.c_str(), out)) return false;
    if (!out.empty() && out.back() == '\n') out.pop_back();
    return true;
}

namespace {

unsigned num_value(char const *name, char const *v, unsigned def) noexcept
{
    if (!v || !*v) return def;
    unsigned u;
    if (sv::scan_uint(v, u)) return u;
    warning("invalid value for ", name, ": ", v, " (not a number); using the default ",
            sv::dec(def));
    return def;
}

} // namespace

unsigned num_setting(char const *name, unsigned def) noexcept
{
    std::string v;
    if (!setting(name, v)) return def;
    return num_value(name, v.c_str(), def);
}

unsigned live_setting(char const *name, unsigned def) noexcept
{
    return num_value(name, getenv(name), def);
}

void write_exitcode(int code) noexcept
{
    std::string const path = exitcode_path();
    if (!write_file(path.c_str(), std::string(sv::dec(code)) + "\n"))
        warning_sys("unable to write ", path);
}

std::string our_program(char const *name, bool &search) noexcept
{
    sv::path_buf exe;
    search = !sv::sibling_path(name, S6PP_BINDIR, exe) || access(exe.c_str(), X_OK) < 0;
    return search ? std::string(name) : std::string(exe.view());
}

} // namespace init
