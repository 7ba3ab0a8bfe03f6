// s6-connlimit prog...
//
// The per-client connection cap of a UCSPI server, as s6 2.11.3.2 has it: reads $PROTO, then
// ${PROTO}CONNNUM (how many connections this client already has, set by the super-server)
// and ${PROTO}CONNMAX (the cap, usually set by an access rule), and exits 1 if CONNNUM is
// greater than CONNMAX, else execs prog.  Stock's quirks kept: the refusal is "greater than",
// not "at least" as the HTML page says; CONNNUM must be set and valid even when CONNMAX is
// unset (100 otherwise); a CONNMAX that is set but empty is invalid (100); with no prog at
// all it exits 0.
#include <cstdlib>
#include <string_view>

#include <supervise/diag.hh>
#include <supervise/exec.hh>
#include <supervise/opts.hh>

namespace {
// Longest PROTO we accept; longer ones are a usage error rather than a heap allocation.
constexpr std::size_t proto_max = 4000;
} // namespace

int connlimit_main(int argc, char **argv)
{
    sv::prog = "s6-connlimit";
    char const *proto = std::getenv("PROTO");
    if (!proto) sv::die(sv::exitcode::usage, "PROTO not set");
    std::string_view p = proto;
    if (p.empty()) sv::die(sv::exitcode::usage, "empty PROTO");
    if (p.size() > proto_max) sv::die(sv::exitcode::usage, "invalid PROTO");

    char name[proto_max + 8];
    p.copy(name, p.size());
    std::string_view const num_suffix = "CONNNUM";
    num_suffix.copy(name + p.size(), num_suffix.size());
    name[p.size() + num_suffix.size()] = 0;
    std::string_view var{name, p.size() + num_suffix.size()};

    char const *x = std::getenv(name);
    if (!x) sv::die(sv::exitcode::usage, var, " not set");
    unsigned num = 0;
    if (!sv::scan_uint(x, num)) sv::die(sv::exitcode::usage, "invalid ", var);

    std::string_view const max_suffix = "MAX";
    max_suffix.copy(name + p.size() + 4, max_suffix.size()); // CONNNUM -> CONNMAX
    x = std::getenv(name);
    if (x) {
        unsigned max = 0;
        if (!sv::scan_uint(x, max)) sv::die(sv::exitcode::usage, "invalid ", var);
        if (num > max)
            sv::die(sv::exitcode::negative, "number of connections from this client limited to ",
                    std::string_view{x});
    }
    if (argc < 2) return sv::exitcode::ok;
    sv::exec_or_die(argv + 1);
}
