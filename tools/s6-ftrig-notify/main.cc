// s6-ftrig-notify: send events to the listeners of a fifodir, as s6 2.11.3.2's
// s6-ftrig-notify does: every byte of MESSAGE, in one write, to every listener FIFO in
// FIFODIR (stale FIFOs are removed on the way).  No options are parsed: the first two words
// are the fifodir and the message.  Exit 0 (even with no listener), 100 on usage, 111 if the
// fifodir cannot be read ("unable to notify FIFODIR").
#include <csignal>
#include <cstring>
#include <string_view>

#include <supervise/diag.hh>
#include <supervise/fifodir.hh>

namespace {
constexpr std::string_view usage = "s6-ftrig-notify fifodir message";
}

int ftrig_notify_main(int argc, char **argv)
{
    sv::prog = "s6-ftrig-notify";
    if (argc < 3) sv::die_usage(usage);
    // A listener that goes away between our open and our write must not kill us.
    std::signal(SIGPIPE, SIG_IGN);
    if (sv::fifodir_notify(argv[1], {argv[2], std::strlen(argv[2])}) < 0)
        sv::die_sys(sv::exitcode::system, "unable to notify ", argv[1]);
    return 0;
}
