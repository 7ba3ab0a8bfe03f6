// What the stages of /init share (context.cc): the run-time directory and the paths under it,
// the S6_* settings, the progress and error lines, and stage 1's file-system set-up
// (runtime.cc: the run-time dir, the environment dump, s6-overlay's links, the catch-all
// logger).
#pragma once

#include <string>
#include <string_view>

#include <supervise/diag.hh>
#include <supervise/fd.hh>

namespace init {

// The run-time directory: /run, or S6_RUNTIME_DIR (for a non-root USER that may not write
// /run).  Everything /init creates lives under it, with s6-overlay's names.
extern std::string run_dir;
inline std::string under_run(std::string_view rel) { return run_dir + std::string(rel); }
inline std::string scan_dir() { return under_run("/service"); }
inline std::string exitcode_path() { return under_run("/s6-linux-init-container-results/exitcode"); }
inline std::string env_dir() { return under_run("/s6/container_environment"); }

// Where the four .d directories are: /etc, or /etc/cont-profile.d/$S6_RUNTIME_PROFILE.
extern std::string etc_dir;

extern bool keep_env;       // S6_KEEP_ENV
extern unsigned verbosity;  // S6_VERBOSITY: 0 errors, 1 and warnings, 2 and progress lines
extern bool link_exec;      // the run-time dir is noexec: link services' programs, don't copy
extern int console_out;     // with the catch-all logger: the container's own stdout and stderr
extern int console_err;
extern unsigned logging;    // S6_LOGGING

// An error line on stderr, in the form of s6-overlay's progress lines ("[cont-init.d] NAME:
// exited 0."), printed whatever the verbosity.
template <class... A>
void complain(A const &...a) noexcept
{
    std::string line;
    (line.append(std::string_view(a)), ...);
    line += '\n';
    sv::write_full(2, line);
}

// A progress line, printed at verbosity 2.
template <class... A>
void say(A const &...a) noexcept
{
    if (verbosity >= 2) complain(a...);
}

template <class... A>
void warning(A const &...a) noexcept
{
    if (verbosity >= 1) sv::warn(a...);
}

template <class... A>
void warning_sys(A const &...a) noexcept
{
    if (verbosity >= 1) sv::warn_sys(a...);
}

// An S6_* setting.  Read late, like v2's printcontenv: from the container environment dump
// (so a cont-init script can change it), or from our own environment under S6_KEEP_ENV.
bool setting(char const *name, std::string &out) noexcept;
// A numeric setting: unset or empty gives def; anything but decimal digits gives def and a
// warning (s6-overlay silently falls back; we say so).
unsigned num_setting(char const *name, unsigned def) noexcept;
// The same, for the settings stage 1 needs before the dump exists: they come from our own
// environment, as s6-overlay v3's preinit and stage0 read them.
unsigned live_setting(char const *name, unsigned def) noexcept;

void write_exitcode(int code) noexcept;

// The path of our program name (next to us, else in the compile-time bindir), or just the
// name, to be looked up in $PATH, if neither has it (a copied /init).
std::string our_program(char const *name, bool &search) noexcept;

// runtime.cc: stage 1's file-system work, in the order stage 1 calls them.

// Chooses and prepares the run-time directory (run_dir); exits 100 if there is none.
void setup_run_dir() noexcept;
// /var/run -> /run, as s6-overlay makes it (root only, and only for the real /run).
void make_var_run() noexcept;
// s6-overlay v2's paths under the run-time dir, as links to ours.
void v2_links() noexcept;
// v2's RUN/s6/etc/*.d links (once etc_dir is known).
void v2_etc_links() noexcept;
// RUN/s6/basedir/bin/{halt,poweroff,reboot,shutdown}, s6-overlay v3's paths.
void link_hpr() noexcept;
// The environment, one file per variable, in env_dir().
void dump_env() noexcept;
// S6_LOGGING: starts the catch-all logger and sends our stdout and stderr to it.
void start_logger() noexcept;
// Stage 3's end: back to the console, and the logger left to drain and exit.
void release_logger() noexcept;

} // namespace init
