// s6-svok: tell whether a service directory is supervised, as s6 2.11.3.2's s6-svok does.
// It probes the POSIX record lock that s6-supervise holds on DIR/supervise/lock: exit 0 if
// it is held, 1 if not (or if the lock file does not exist), 111 if the probe fails for any
// other reason.  Like stock, it parses no options: the first argument is the service
// directory whatever it looks like ("--" included), and extra arguments are ignored.
#include <cerrno>
#include <string_view>

#include <supervise/diag.hh>
#include <supervise/fd.hh>
#include <supervise/lock.hh>

int svok_main(int argc, char **argv)
{
    sv::prog = "s6-svok";
    if (argc < 2) sv::die_usage("s6-svok servicedir");
    std::string_view const dir = argv[1];
    sv::path_buf lock(dir, "/supervise/lock");
    if (!lock.ok()) {
        errno = ENAMETOOLONG;
        sv::die_sys(sv::exitcode::system, "unable to check ", dir);
    }
    switch (sv::lock_probe(lock.c_str())) {
    case sv::lock_state::held:
        return sv::exitcode::ok;
    case sv::lock_state::free:
    case sv::lock_state::missing:
        return sv::exitcode::negative;
    case sv::lock_state::error:
        break;
    }
    sv::die_sys(sv::exitcode::system, "unable to check ", dir);
}
