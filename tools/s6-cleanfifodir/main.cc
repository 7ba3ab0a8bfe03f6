// s6-cleanfifodir: remove the stale listener FIFOs of a fifodir, as s6's documentation says
// s6-cleanfifodir does: the FIFOs of listeners that died without unsubscribing (opening them
// for writing finds no reader).  Live subscriptions are left alone.  Exit 0, 100 on usage,
// 111 when the fifodir cannot be read or a FIFO cannot be removed ("unable to clean up
// fifodir at FIFODIR").  No options are parsed.
//
// Deliberate difference: stock 2.11.3.2's s6-cleanfifodir removes nothing at all, because it
// looks for 49-character names where listener FIFOs have 39 (fixed upstream in 2.13.0.0).
// We do what the documentation promises.
#include <string_view>

#include <supervise/diag.hh>
#include <supervise/fifodir.hh>

namespace {
constexpr std::string_view usage = "s6-cleanfifodir fifodir";
}

int cleanfifodir_main(int argc, char **argv)
{
    sv::prog = "s6-cleanfifodir";
    if (argc < 2) sv::die_usage(usage);
    if (sv::fifodir_clean(argv[1]) < 0)
        sv::die_sys(sv::exitcode::system, "unable to clean up fifodir at ", argv[1]);
    return 0;
}
