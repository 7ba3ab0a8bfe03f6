// s6lockd-helper: wait for a lock, hold it, and let it go when told, as s6 2.11.3.2's
// s6lockd-helper does for s6-setlock -t and s6lockd (the protocol is in
// supervise/lockhelper.hh).  Usage: s6lockd-helper r|w lockfile; only the first letter of the
// mode counts, 'w' meaning exclusive.  It opens and locks lockfile exactly as s6-setlock does
// (waiting as long as it takes: its parent kills it at the deadline), writes '!' to fd 1, then
// exits 0 as soon as fd 0 gives one byte or EOF, which drops the lock.  It is installed in
// s6pp's libexec directory, not in the PATH, and is equally at home at stock s6's libexec path
// under stock s6-setlock.  Exit codes: 0 lock held and released, 1 lock failed, 100 usage,
// 111 system error.
#include <supervise/diag.hh>
#include <supervise/lockhelper.hh>

int s6lockd_helper_main(int argc, char **argv)
{
    sv::prog = "s6lockd-helper";
    if (argc < 3) sv::die_usage("s6lockd-helper r|w lockfile");
    // Held until exit; the kernel drops the lock with the process.
    sv::lockfile_open_or_die(argv[2], argv[1][0] == 'w', true);
    bool wrote = false;
    if (sv::lockhelper_hold(0, 1, wrote) < 0) {
        if (!wrote) sv::die_sys(sv::exitcode::system, "unable to write to stdout");
        sv::die_sys(sv::exitcode::system, "unable to read from stdin");
    }
    return 0;
}
