// Writing service directories for other programs to run: what s6 2.11.3.2's s6-instance-maker
// and s6-usertree-maker share (libs6's s6_auto_write_service and s6_auto_write_logger).  The
// files and their bytes are stock's, so a directory made by either suite runs under either:
//
//   DIR/                mkdir 0755 whatever the umask (an existing DIR is an error)
//   DIR/notification-fd "N\n"                                     (0666 minus the umask)
//   DIR/run             the script given                          (0666 minus the umask, then
//                       chmod to that plus x where r is set, unless DIR is for s6-rc)
//   DIR/type            "longrun\n"                               (s6-rc source directories only)
//   DIR/producer-for    "LOGGER\n", or for a logger DIR/consumer-for "SERVICE\n" and
//                       DIR/pipeline-name "PIPELINE\n"            (s6-rc only, when given)
//
// A logger's run script is execline: an optional s6-setuidgid, then
//   s6-log -bd3 -- [t ][T ]nNFILES sFILESIZE [SMAXSIZE ][pPREFIX ]"LOGDIR"
// The prefix goes in unquoted, as stock writes it.
//
// The scripts name programs by absolute path, as stock does (/usr/bin/s6-svscan on Debian):
// ours write the path of OUR program, the one beside the running executable (or in the
// install bindir), so the directory runs our suite; installed in /usr/bin that is byte for byte
// stock's text.  The execline parts (the #! line, fdmove, export...) use the directories the
// build was configured with (meson options execline_shebangdir, execline_bindir; Debian's
// /usr/bin and /usr/lib/execline/bin by default): the scripts need execline, like stock's.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sv {

// Quotes s for an execline script as skalibs' string_quote does: in double quotes, with \"
// and \\, \a \b \t \n \v \f \r for those controls, and \0xHH (two lowercase hex digits) for
// every other byte outside printable ASCII.
std::string script_quote(std::string_view s);
// Appends s to out with those escapes but no quotes, a backslash before each byte of also
// (script_quote's is "\""): s6-fdholder-list prints ids this way, with nothing in also.
void quote_escapes(std::string &out, std::string_view s, std::string_view also = {});

// Where the programs named in a generated script live.
struct script_paths {
    std::string_view shebang_dir;  // execlineb for the #! line: "/usr/bin"
    std::string_view execline_dir; // fdmove, export, homeof...: "/usr/lib/execline/bin"

    // "#!" + shebang_dir + "/execlineb -P\n".
    std::string shebang() const;
    // execline_dir + "/" + name.
    std::string execline(std::string_view name) const;
    // The absolute path of our program name (sv::our_program).
    std::string s6(std::string_view name) const;
};

// The directories the build was configured with (meson options execline_shebangdir and
// execline_bindir).
extern script_paths const configured_paths;

// What s6-log is told in a generated logger (s6-instance-maker and s6-usertree-maker options
// -l -t -n -s -S -P, and the logdir).
struct logger_conf {
    char const *user = nullptr;   // -l: run s6-log under this account (s6-setuidgid)
    std::string_view dir;         // the logdir (absolute)
    unsigned stamptype = 1;       // -t: bit 0 TAI64N (t), bit 1 ISO 8601 (T)
    unsigned nfiles = 10;         // -n
    std::uint64_t filesize = 1000000; // -s
    std::uint64_t maxsize = 0;    // -S: 0 = no S directive
    char const *prefix = nullptr; // -P: a p directive
};

// The run script of a logger, as described above.
std::string logger_run(script_paths const &p, logger_conf const &c);

// Takes the logger option opt (-l -t -n -s -S -P) with its argument into c.  False if opt is
// not one of them; ok is cleared if its number does not parse.
bool logger_option(int opt, char const *arg, logger_conf &c, bool &ok) noexcept;

// The names that -r SERVICE[/LOGGER[/PIPELINE]] asks for, as s6-rc source directories.
struct rc_names {
    std::string service, logger, pipeline;
    bool has_logger = false, has_pipeline = false;
};

// Splits -r's argument with stock's checks, in stock's order, and dies (100) with stock's
// messages.  With logger_required (s6-usertree-maker), SERVICE alone is refused; without it
// (s6-instance-maker), a LOGGER needs a logdir (have_logdir, -L) and a logdir needs a LOGGER.
rc_names parse_rc_names(std::string_view arg, bool logger_required, bool have_logdir);

// What went wrong in a write_* call: print "unable to VERB PATH" with errno's text.
struct write_failure {
    char const *verb = "";
    std::string path;
};

// Makes the service directory dir with notification-fd (if nfd is not 0) and run.  For an
// s6-rc source directory (rc_logger not null) it writes type, and producer-for if rc_logger
// is not empty, and leaves run without its x bits; otherwise it chmods run executable.  A umask
// that takes the owner's read bit earns s6's warning "weird umask, check permissions manually
// on DIR/run".  False with errno set and f filled on failure.
bool write_service(std::string const &dir, unsigned nfd, std::string_view run,
                   char const *rc_logger, write_failure &f) noexcept;

// Makes the logger directory dir (notification-fd 3, run = logger_run).  For s6-rc
// (rc_service not null) it writes type, consumer-for and, if rc_pipeline is not null,
// pipeline-name, and leaves run as written; otherwise it chmods run executable, with the
// same warning.  False with errno set and f filled on failure.
bool write_logger(std::string const &dir, std::string_view run, char const *rc_service,
                  char const *rc_pipeline, write_failure &f) noexcept;

} // namespace sv
