// s6-svdt: print the death tally of a service, as s6 2.11.3.2's s6-svdt does: one line per
// death of ./run, oldest first, "@TAI64N exitcode N" or, when run was killed,
// "@TAI64N signal SIGNAME" (-S, the default) / "@TAI64N signal N" (-s).  -n keeps only the
// newest entries (default and cap 4096; -n 0 prints nothing and touches nothing).  It does
// not check for a supervisor; the shared reader creates a missing death_tally and empties a
// malformed one, as s6's does.  Exit: 0; 100 usage; 111 on a read or write error.
#include <memory>
#include <new>
#include <string_view>

#include <supervise/death_tally.hh>
#include <supervise/diag.hh>
#include <supervise/opts.hh>
#include <supervise/out.hh>
#include <supervise/signame.hh>
#include <supervise/tai64n.hh>

namespace {
constexpr std::string_view usage = "s6-svdt [ -S | -s ] [ -n maxentries ] servicedir";
}

int svdt_main(int argc, char **argv)
{
    sv::prog = "s6-svdt";
    unsigned n = sv::death_tally_max;
    bool numeric = false;

    sv::opt_parser opts{argc, argv, "Ssn:"};
    while (int c = opts.next()) {
        switch (c) {
        case 'S':
            numeric = false;
            break;
        case 's':
            numeric = true;
            break;
        case 'n':
            if (!sv::scan_uint(opts.arg(), n)) sv::die_usage(usage);
            break;
        default:
            sv::die_usage(usage);
        }
    }
    if (opts.operands().empty()) sv::die_usage(usage);
    char const *dir = opts.operands()[0];
    if (n > sv::death_tally_max) n = sv::death_tally_max;
    if (!n) return 0;

    std::unique_ptr<sv::death_record[]> tab(new sv::death_record[n]);
    ssize_t r = sv::death_tally_read(dir, {tab.get(), n});
    if (r < 0) sv::die_sys(sv::exitcode::system, "unable to read death tally for service ", dir);

    sv::out_buf out(1);
    for (ssize_t i = 0; i < r; i++) {
        sv::death_record const &d = tab[static_cast<std::size_t>(i)];
        char stamp[sv::tain_label_size];
        sv::tain_fmt(stamp, d.stamp);
        out.put({stamp, sizeof stamp}).put(' ');
        if (d.sig) {
            out.put("signal ");
            if (numeric)
                out.num(unsigned{d.sig});
            else
                out.put("SIG").put(sv::sig_name(d.sig));
        } else
            out.put("exitcode ").num(unsigned{d.exitcode});
        out.put('\n');
    }
    if (!out.flush()) sv::die_sys(sv::exitcode::system, "unable to write to stdout");
    return 0;
}
