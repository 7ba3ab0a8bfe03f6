// s6-applyuidgid: set the supplementary groups, gid and uid given by -u/-g/-G or taken from
// UID, GID and GIDLIST (-U), optionally remove those variables (-z), then exec the rest of
// the command line, as s6 2.11.3.2 does.  Options apply in command-line order; groups are set
// only when a list was given (gid first, added unless listed; the current egid when gid is
// 0), and setgid/setuid are skipped for 0.  The engine lives in libsupervise (uidgid.cc),
// shared with s6-setuidgid.
#include <supervise/diag.hh>
#include <supervise/exec.hh>
#include <supervise/uidgid.hh>

int applyuidgid_main(int argc, char **argv)
{
    sv::prog = "s6-applyuidgid";
    sv::exec_or_die(sv::applyuidgid_main(argc, argv));
}
