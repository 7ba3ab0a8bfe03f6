// Environment directories, read exactly as s6-envdir 2.11.3.2 (skalibs 2.13 envdir_internal)
// reads them; shared by s6-envdir, with-contenv and printcontenv.
//
// Every entry of the directory whose name neither starts with '.' nor contains '=' is opened
// and read, in readdir order.  A file of 0 bytes unsets its variable.  Otherwise the value is:
//
//   flags            value
//   (none)           at most 4095 bytes read; cut at the first '\n'; trailing ' ', '\t' and
//                    '\r' removed
//   nochomp (-n)     at most 4095 bytes; cut at the first '\n'; nothing removed
//   verbatim (-f)    at most 4095 bytes; one trailing '\n' removed
//   -fn              at most 4095 bytes, as they are
//   noclamp (-L)     no size limit; otherwise as above, with one stock quirk kept on purpose:
//                    in first-line mode (-L without -f) a file whose only line has no final
//                    '\n' gives the EMPTY value when chomping (-L), and the whole line with -Ln.
//
// In every mode NUL bytes of the value then become nullis ('\n' unless -c says otherwise).
// s6-overlay's with-contenv uses noclamp|verbatim: the whole file, one trailing '\n' removed.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sv {

namespace envdir_flag {
inline constexpr unsigned verbatim = 0x01; // -f: the whole file, not the first line
inline constexpr unsigned nochomp = 0x02;  // -n: do not trim
inline constexpr unsigned noclamp = 0x04;  // -L: no 4095-byte limit
} // namespace envdir_flag

// The most bytes read from each file without noclamp.
inline constexpr std::size_t envdir_clamp = 4095;

// One change an envdir asks for: set name to value, or remove name if unset.
struct env_change
{
    std::string name;
    std::string value;
    bool unset = false;
};

// True if a directory entry with this name is read (no leading '.', no '=').
bool envdir_name_ok(std::string_view name) noexcept;

// Computes a variable's value from the file's whole content, per the table above (the clamp
// is applied here).  Returns false if the variable is to be unset.
bool envdir_value(std::string_view content, unsigned flags, char nullis, std::string &out) noexcept;

// Reads every variable file of dir into out (appending).  False with errno set on failure:
// EINVAL if nullis is 0, EIDRM if a listed file vanished before it could be opened, or the
// error of opendir/open/read (EISDIR for a subdirectory).  On failure out is left as it was.
bool envdir_read(char const *dir, unsigned flags, char nullis,
                 std::vector<env_change> &out) noexcept;
// The same for the directory name relative to dirfd (openat's rules).
bool envdir_read_at(int dirfd, char const *name, unsigned flags, char nullis,
                    std::vector<env_change> &out) noexcept;

// This process's environment with changes applied, in the order skalibs' env_merge gives:
// for each change in turn, the first entry of its name is taken out and the last entry
// moved into its place; a change that sets a variable appends it.
std::vector<std::string> env_merged(std::span<env_change const> changes) noexcept;

// The same merge on pointers, as skalibs' env_mergen does it: v holds an environment; each
// modification ("NAME=VALUE" sets, "NAME" unsets) takes the first entry of its name out of v,
// moving the last entry into its place, and a set appends the modification's own pointer
// (so a daemon can merge once and rewrite the values in place later).
void env_merge_into(std::vector<char const *> &v, std::span<char const *const> modifs);

// The changes in skalibs' modification-list form ("NAME=VALUE\0" sets, "NAME\0" unsets), as
// access rules carry them.  A last entry without its NUL counts as if it had one.
std::vector<env_change> env_changes_parse(std::string_view list);

// Execs argv (exec.hh's search and exit codes) with this environment merged with changes.
[[noreturn]] void exec_changed_or_die(char const *const *argv,
                                      std::span<env_change const> changes) noexcept;

// Replaces this process's environment (environ) with env_merged(changes), so that what it
// execs next sees stock's order.  False with errno set on failure.
bool env_replace_merged(std::span<env_change const> changes) noexcept;

// Applies changes to this process's environment (setenv / unsetenv, in order).  False with
// errno set on failure.
bool env_apply(std::span<env_change const> changes) noexcept;

// s6-overlay's container environment (one file per variable, read like s6-envdir -Lf).
inline constexpr char const *container_env_path = "/run/s6/container_environment";
inline constexpr char const *container_env_path_v2 = "/var/run/s6/container_environment";

// The container environment directory: $S6_RUNTIME_DIR/s6/container_environment when /init
// runs with its run-time dir moved there; else container_env_path, or container_env_path_v2
// when only that one exists (a v2-style layout where /var/run is not a link to /run).
char const *container_env_dir() noexcept;

// Whether S6_KEEP_ENV's value (nullptr when unset) asks to keep the environment: set, not
// empty and not a decimal 0.  s6-overlay tests "0$S6_KEEP_ENV -eq 0", so "", "0" and "00"
// mean no, while "1" means yes; so does any other text here (with-contenv's reading).
bool keep_env(char const *value) noexcept;

} // namespace sv
