// s6-softlimit [ -h | -H ] [ -a n ] [ -c n ] [ -d n ] [ -f n ] [ -l n ] [ -m n ] [ -o n ]
//              [ -p n ] [ -r n ] [ -s n ] [ -t n ] prog...
//
// Sets resource limits, then execs prog, as s6 2.11.3.2 does.  Options act in command-line
// order, each one a getrlimit / change / setrlimit.  By default only the soft limit changes
// and it is clamped to the hard limit; after -h (undocumented in s6) only the hard limit
// changes; after -H both become n.  The value "=" means soft := hard by default, and
// hard := infinity under -h (both infinity under -H).  A value that is not a plain decimal
// number is a usage error (100); a failing setrlimit is fatal (111).  Like stock, unknown
// options are silently ignored (s6-softlimit has no default case in its option switch).
#include <sys/resource.h>

#include <supervise/diag.hh>
#include <supervise/exec.hh>
#include <supervise/opts.hh>

namespace {
constexpr std::string_view usage =
    "s6-softlimit [ -a allbytes ] [ -c corebytes ] [ -d databytes ] [ -f filebytes ] "
    "[ -l lockbytes ] [ -m membytes ] [ -o openfiles ] [ -p processes ] [ -r residentbytes ] "
    "[ -s stackbytes ] [ -t cpusecs ] prog...";

enum class which { soft, hard, both };

void set_limit(int res, std::string_view arg, which w) noexcept
{
    rlimit r;
    if (getrlimit(res, &r) < 0) sv::die_sys(sv::exitcode::system, "unable to getrlimit");
    if (arg == "=") {
        if (w == which::soft)
            r.rlim_cur = r.rlim_max;
        else {
            r.rlim_max = RLIM_INFINITY;
            if (w == which::both) r.rlim_cur = RLIM_INFINITY;
        }
    } else {
        unsigned long long n;
        if (!sv::scan_uint64(arg, n)) sv::die_usage(usage);
        rlim_t v = static_cast<rlim_t>(n);
        if (w == which::soft) r.rlim_cur = v > r.rlim_max ? r.rlim_max : v;
        if (w != which::soft) r.rlim_max = v;
        if (w == which::both) r.rlim_cur = v;
    }
    if (setrlimit(res, &r) < 0) sv::die_sys(sv::exitcode::system, "unable to setrlimit");
}
} // namespace

int softlimit_main(int argc, char **argv)
{
    sv::prog = "s6-softlimit";
    which w = which::soft;
    sv::opt_parser opts{argc, argv, "hHa:c:d:f:l:m:o:p:r:s:t:"};
    while (int c = opts.next()) {
        char const *a = opts.arg();
        switch (c) {
        case 'h':
            w = which::hard;
            break;
        case 'H':
            w = which::both;
            break;
        case 'a':
            set_limit(RLIMIT_AS, a, w);
            break;
        case 'c':
            set_limit(RLIMIT_CORE, a, w);
            break;
        case 'd':
            set_limit(RLIMIT_DATA, a, w);
            break;
        case 'f':
            set_limit(RLIMIT_FSIZE, a, w);
            break;
        case 'l':
            set_limit(RLIMIT_MEMLOCK, a, w);
            break;
        case 'm': // every memory limit, in stock's order
            set_limit(RLIMIT_DATA, a, w);
            set_limit(RLIMIT_STACK, a, w);
            set_limit(RLIMIT_MEMLOCK, a, w);
            set_limit(RLIMIT_AS, a, w);
            break;
        case 'o':
            set_limit(RLIMIT_NOFILE, a, w);
            break;
        case 'p':
            set_limit(RLIMIT_NPROC, a, w);
            break;
        case 'r':
            set_limit(RLIMIT_RSS, a, w);
            break;
        case 's':
            set_limit(RLIMIT_STACK, a, w);
            break;
        case 't':
            set_limit(RLIMIT_CPU, a, w);
            break;
        default:
            break; // unknown options and missing arguments are ignored, as in stock
        }
    }
    auto rest = opts.operands();
    if (rest.empty()) sv::die_usage(usage);
    sv::exec_or_die(rest.data());
}
