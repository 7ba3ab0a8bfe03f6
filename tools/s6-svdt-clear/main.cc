// s6-svdt-clear: empty the death tally of a service, as s6 2.11.3.2's s6-svdt-clear does:
// DIR/supervise/death_tally is replaced, through death_tally.new and rename(), by an empty
// file.  It does not check that a supervisor is running.  Like stock it parses no options:
// the first argument is the service directory, extra ones are ignored.
// Exit: 0; 100 without an argument; 111 on failure (e.g. no DIR/supervise).
#include <supervise/death_tally.hh>
#include <supervise/diag.hh>

int svdt_clear_main(int argc, char **argv)
{
    sv::prog = "s6-svdt-clear";
    if (argc < 2) sv::die_usage("s6-svdt-clear servicedir");
    if (!sv::death_tally_clear(argv[1]))
        sv::die_sys(sv::exitcode::system, "unable to clear death tally for service ", argv[1]);
    return 0;
}
