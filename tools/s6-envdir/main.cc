// s6-envdir [ -I | -i ] [ -n ] [ -f ] [ -L ] [ -c nullchar ] dir prog...
//
// Changes the environment from the files of an environment directory, then execs prog, as
// s6 2.11.3.2 does: one variable per file (names starting with '.' or holding '=' skipped), a
// 0-byte file unsets its variable, and the value rules of -n (no trimming), -f (whole file),
// -L (no 4095-byte limit) and -c (what NUL bytes become) are skalibs' envdir_internal, kept
// in libsupervise/envdir.cc with the stock quirks documented there.  -I tolerates a missing
// directory (ENOENT only); every other failure is "unable to envdir DIR", exit 111.
#include <cerrno>
#include <vector>

#include <supervise/diag.hh>
#include <supervise/envdir.hh>
#include <supervise/opts.hh>

namespace {
constexpr std::string_view usage =
    "s6-envdir [ -I | -i ] [ -n ] [ -f ] [ -L ] [ -c nullchar ] dir prog...";
}

int envdir_main(int argc, char **argv)
{
    sv::prog = "s6-envdir";
    bool insist = true;
    unsigned flags = 0;
    char nullis = '\n';
    sv::opt_parser opts{argc, argv, "IinfLc:"};
    while (int c = opts.next()) {
        switch (c) {
        case 'I':
            insist = false;
            break;
        case 'i':
            insist = true;
            break;
        case 'n':
            flags |= sv::envdir_flag::nochomp;
            break;
        case 'f':
            flags |= sv::envdir_flag::verbatim;
            break;
        case 'L':
            flags |= sv::envdir_flag::noclamp;
            break;
        case 'c':
            nullis = *opts.arg();
            break; // "" gives NUL, refused below with EINVAL
        default:
            sv::die_usage(usage);
        }
    }
    auto rest = opts.operands();
    if (rest.size() < 2) sv::die_usage(usage);

    std::vector<sv::env_change> changes;
    if (!sv::envdir_read(rest[0], flags, nullis, changes)) {
        if (insist || errno != ENOENT)
            sv::die_sys(sv::exitcode::system, "unable to envdir ", rest[0]);
        changes.clear();
    }
    // The new environment goes to prog only: prog is looked up in our own PATH, as in stock,
    // even when the directory sets PATH.
    sv::exec_changed_or_die(rest.data() + 1, changes);
}
