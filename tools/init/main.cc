// /init [ CMD... ]: a container's PID 1 with s6-overlay's stages (the v2 layout and the v3
// paths).  halt, poweroff, reboot and shutdown are in hpr.cc.  The state is one
// init::context (context.hh); stages 2 and 3 decide over it with the system behind a seam
// (sys.hh), which tests/unit/init_stage_test.cc replaces.
//
// Unlike s6-overlay, which execs s6-svscan as PID 1 and runs stage 2 and the CMD as
// unsupervised children, /init stays PID 1 itself (or a child subreaper when it is not PID
// 1): it reaps everything, starts our s6-svscan (the one installed next to it) as a child in
// its own session, runs the stages in order, and so always knows the CMD's real status.
//
//   stage 1  dump the environment to /run/s6/container_environment (unless S6_KEEP_ENV),
//            make /run/s6, /run/service and /var/run -> /run, and /run/service's control
//            FIFO, held open so that commands wait there for s6-svscan, which starts when
//            stage 2 first needs it (services; else the CMD's first command to it, or 20 ms
//            after the CMD)
//   stage 2  /etc/fix-attrs.d/*, /etc/cont-init.d/* (sorted), copy /etc/services.d/* into
//            the scan dir and rescan, optionally wait for them, then run the CMD in its own
//            process group with the container environment; signals are forwarded to it
//   stage 3  /etc/cont-finish.d/*, services down, TERM to everything, KILL after the grace
//            time (which is an upper bound: stage 3 ends as soon as nothing is left)
//
// The exit code is the content of /run/s6-linux-init-container-results/exitcode (0 by
// default), as in s6-overlay v3, where the CMD's status (128+signal if it was killed) is
// written when it exits, unless halt and friends stopped it.
#include "runtime.hh"
#include "stages.hh"

#include <sys/prctl.h>
#include <unistd.h>

#include <supervise/diag.hh>

#include "entries.hh"

int init_main(int argc, char **argv)
{
    sv::prog = "init";
    if (getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        sv::die_sys(sv::exitcode::system, "unable to become a child subreaper");
    init::context c; // all of /init's state, for as long as it runs
    init::signals_init(c);
    c.cmd.assign(argv + 1, argv + argc);
    init::stage1(c);
    init::stage2(c);
    return init::stage3(c);
}
