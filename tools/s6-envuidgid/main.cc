// s6-envuidgid: put an account's uid, gid and supplementary gid list into the environment
// (UID, GID, GIDLIST), then exec the rest of the command line, as s6 2.11.3.2 does.
// Every option of 2.11 is supported, quirks included: -n also drops GIDLIST (so "-n NAME"
// parses NAME as user:group), -D takes "uid:gid:gidlist" with any part empty, -i is the
// default, and the group is looked up before the user.  Accounts come from /etc/passwd and
// /etc/group, read directly (never NSS).  The engine lives in libsupervise (uidgid.cc) because
// s6-setuidgid and fix-attrs resolve accounts the same way.
#include <supervise/diag.hh>
#include <supervise/exec.hh>
#include <supervise/uidgid.hh>

int envuidgid_main(int argc, char **argv)
{
    sv::prog = "s6-envuidgid";
    sv::exec_or_die(sv::envuidgid_main(argc, argv));
}
