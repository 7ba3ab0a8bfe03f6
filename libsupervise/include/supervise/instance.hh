// Instanced services (s6-instance-maker's layout), as s6 2.11.3.2's s6-instance-* tools see
// them:
//
//   SERVICE/run          runs "s6-svscan -d3 -cMAX -- instance" (readiness on fd 3)
//   SERVICE/template/    the service directory every instance is copied from
//   SERVICE/instances/NAME/   one copy of the template per instance
//   SERVICE/instance/    the inner scan directory; instance/NAME -> ../instances/NAME
//
// An instance is controlled and watched through SERVICE/instance/NAME like any service.
#pragma once

#include <string_view>

namespace sv {

// Whether name may name an instance: not empty, not starting with '.', and free of space,
// tab, form feed, carriage return and newline (a '/' is not refused, as in stock).
bool instance_name_ok(std::string_view name) noexcept;

// Exits unless an s6-svscan holds lock (its .s6-svscan/lock, as a path to open): 111 with
// "unable to open SHOWN/.s6-svscan/lock" if it cannot be opened (or probed), 1 with
// "NOT_RUNNING WHO" if nobody holds it.  s6-svlink: shown = who = the scan directory,
// not_running = "s6-svscan not running on ".
void svscan_running_or_die(char const *lock, std::string_view shown,
                           std::string_view not_running, std::string_view who) noexcept;

// s6_instance_chdirservice: refuses an empty service path (100, "invalid service path"),
// chdirs to SERVICE/instance (111, "unable to chdir to SERVICE/instance"), then requires a
// running s6-svscan there (svscan_running_or_die: 1, "instanced service not running on
// SERVICE").
void instance_chdir_or_die(std::string_view service) noexcept;

} // namespace sv
