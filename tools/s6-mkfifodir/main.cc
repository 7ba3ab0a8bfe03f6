// s6-mkfifodir: create a fifodir, as s6 2.11.3.2's s6-mkfifodir does (skalibs'
// ftrigw_fifodir_make).  Without -g the fifodir is public: mode 01733, anyone may subscribe.
// -g gid: only members of gid may subscribe: chown to that group, mode 03730.  An existing
// directory is left as it is, unless -f: then it gets the mode (and group) asked for; it
// must belong to our real uid (else EACCES) and be a directory (else ENOTDIR).  Exit 0, 100
// on usage (including a gid that is not a plain decimal number), 111 on failure ("unable to
// create fifodir at FIFODIR").
#include <string_view>
#include <sys/types.h>

#include <supervise/diag.hh>
#include <supervise/fifodir.hh>
#include <supervise/opts.hh>

namespace {
constexpr std::string_view usage = "s6-mkfifodir [ -f ] [ -g gid ] fifodir";
}

int mkfifodir_main(int argc, char **argv)
{
    sv::prog = "s6-mkfifodir";
    bool force = false;
    gid_t gid = static_cast<gid_t>(-1);
    sv::opt_parser opts{argc, argv, "fg:"};
    while (int c = opts.next()) {
        unsigned g;
        switch (c) {
        case 'f': force = true; break;
        case 'g':
            if (!sv::scan_uint(opts.arg(), g)) sv::die_usage(usage);
            gid = g;
            break;
        default: sv::die_usage(usage);
        }
    }
    auto const args = opts.operands();
    if (args.empty()) sv::die_usage(usage);
    if (!sv::fifodir_make_group(args[0], gid, force))
        sv::die_sys(sv::exitcode::system, "unable to create fifodir at ", args[0]);
    return 0;
}
