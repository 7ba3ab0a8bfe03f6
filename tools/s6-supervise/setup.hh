// s6-supervise's service directory, as it finds and prepares it (setup.cc): the numeric
// service files, the supervise/ and event/ directories, and lock-fd's lock.
#pragma once
#include <cstdint>

namespace svd {

// Reads a numeric service file, warning as s6 does when it is invalid or unreadable.
bool read_number(char const *name, std::uint32_t &v) noexcept;

// Makes DIR/name a directory for supervise/ and event/: creates it if missing or a dangling
// symlink (then the link's target, relative to DIR, one level); an existing directory is used
// as is.  Returns false if name exists and is not a directory.
bool make_ctl_dir(char const *name, bool fifodir) noexcept;

// lock-fd: opens (creating) supervise/service-lock and takes an open-file-description lock,
// which the service inherits on fd N and keeps for its whole life.  -1 if it cannot (warned;
// busy set when another process holds it).
int take_service_lock(bool &busy) noexcept;

} // namespace svd
