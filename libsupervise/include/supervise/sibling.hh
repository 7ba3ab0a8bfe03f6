// Finding the programs that ship with us.  s6 hard-codes S6_BINPREFIX ("/usr/bin/" on Debian)
// when s6-svscan starts s6-supervise; we look next to our own executable first, so a build
// tree or a non-standard install always runs its own s6-supervise and never the stock one
// by accident.  /init uses the same lookup to start s6-svscan.
#pragma once

#include <string>
#include <string_view>

#include <supervise/fd.hh>

namespace sv {

// Sets out to DIR/name, where DIR is the directory of the running executable (read from
// /proc/self/exe), if that file exists and is executable.  Otherwise (no /proc, no such
// sibling) out becomes fallback_dir/name, which is normally the compile-time bindir.
// Returns false, with errno set to ENAMETOOLONG, only if no candidate fits in PATH_MAX.
// Allocates nothing; call it once at start-up and keep out.
bool sibling_path(std::string_view name, std::string_view fallback_dir, path_buf &out) noexcept;

// The directory our programs are installed in (meson's prefix/bindir, e.g. /usr/bin).
extern std::string_view const install_bindir;

// The absolute path of our program name, for the one-shot tools that run one (s6-instance-
// control runs s6-svc) or name one in a script they write: sibling_path with install_bindir
// as the fallback.  It allocates.
std::string our_program(std::string_view name);

} // namespace sv
