#include <supervise/instance.hh>

#include <cerrno>
#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/fd.hh>
#include <supervise/lock.hh>

namespace sv {

bool instance_name_ok(std::string_view name) noexcept
{
    return !name.empty() && name[0] != '.' && name.find_first_of(" \t\f\r\n") == name.npos;
}

void svscan_running_or_die(char const *lock, std::string_view shown,
                           std::string_view not_running, std::string_view who) noexcept
{
    switch (lock_probe(lock)) {
    case lock_state::held: return;
    case lock_state::free: die(exitcode::negative, not_running, who);
    case lock_state::missing:
    case lock_state::error: break;
    }
    die_sys(exitcode::system, "unable to open ", shown, "/.s6-svscan/lock");
}

void instance_chdir_or_die(std::string_view service) noexcept
{
    if (service.empty()) die(exitcode::usage, "invalid service path");
    path_buf dir(service, "/instance");
    if (!dir.ok()) errno = ENAMETOOLONG;
    if (!dir.ok() || ::chdir(dir.c_str()) < 0)
        die_sys(exitcode::system, "unable to chdir to ", dir.view());
    svscan_running_or_die(".s6-svscan/lock", dir.view(), "instanced service not running on ",
                          service);
}

} // namespace sv
