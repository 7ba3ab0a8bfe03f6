// s6-permafailon: a chain-loader for finish scripts that declares a service permanently failed,
// as s6 2.11.3.2's s6-permafailon does.  It reads supervise/death_tally relative to the
// working directory (the service directory, where s6-supervise runs finish) and counts the
// deaths of the last `seconds` seconds whose exit code or signal is in statuslist
// (supervise/permafail.hh).  If there are deathcount of them (capped at 4096, the tally's own
// limit) it prints "PERMANENT FAILURE triggered after ..." as an info line and exits 125,
// which tells s6-supervise not to restart the service.  Otherwise, and whenever the tally
// cannot be read (a warning then), it execs prog..., or exits 0 when there is no prog.
#include <string_view>
#include <sys/stat.h>
#include <vector>

#include <supervise/death_tally.hh>
#include <supervise/diag.hh>
#include <supervise/exec.hh>
#include <supervise/opts.hh>
#include <supervise/permafail.hh>
#include <supervise/tai64n.hh>

namespace {

constexpr std::string_view usage = "s6-permafailon seconds deathcount statuslist prog...";
constexpr char const *tally = "supervise/death_tally";

// True if the deaths recorded in ./supervise/death_tally are a permanent failure, after
// printing the announcement.  Any problem with the tally is a warning and a false.
bool failed_permanently(unsigned seconds, unsigned count, sv::status_list const &list)
{
    struct stat st;
    if (stat(tally, &st) < 0) {
        sv::warn_sys("unable to stat ", tally);
        return false;
    }
    auto const size = static_cast<std::size_t>(st.st_size);
    if (size % sv::death_record_size || size > sv::death_record_size * sv::death_tally_max) {
        sv::warn("invalid ", tally);
        return false;
    }
    std::vector<sv::death_record> deaths(size / sv::death_record_size);
    ssize_t const r = sv::death_tally_read(".", deaths);
    if (r <= 0) {
        if (r < 0) sv::warn_sys("unable to read ", tally);
        return false;
    }
    if (static_cast<std::size_t>(r) < count) return false;
    deaths.resize(static_cast<std::size_t>(r));

    sv::tain since = sv::tain_now();
    since.sec -= seconds;
    std::ptrdiff_t const at = sv::permafail_find(deaths, list, since, count);
    if (at < 0) return false;
    sv::death_record const &d = deaths[static_cast<std::size_t>(at)];
    sv::info("PERMANENT FAILURE triggered after ", sv::dec(count), " events involving ",
             d.sig ? "signal " : "exit code ", sv::dec(d.sig ? d.sig : d.exitcode), " in the last ",
             sv::dec(seconds), " seconds");
    return true;
}

} // namespace

int permafailon_main(int argc, char **argv)
{
    sv::prog = "s6-permafailon";
    if (argc < 4) sv::die_usage(usage);
    unsigned seconds = 0, count = 0;
    if (!sv::scan_uint(argv[1], seconds)) sv::die_usage(usage);
    if (!sv::scan_uint(argv[2], count) || !count) sv::die_usage(usage);
    if (count > sv::death_tally_max) count = sv::death_tally_max;
    sv::status_list list;
    if (auto e = sv::status_list_scan(argv[3], list); e != sv::status_list_error::none)
        sv::die(sv::exitcode::usage, sv::status_list_message(e));

    if (failed_permanently(seconds, count, list)) return 125;
    // Like skalibs' xexec0, nothing to run is a success.
    if (!argv[4]) return 0;
    sv::exec_or_die(argv + 4);
}
