// ucspilogd [ -D default ] [ var... ]: the per-connection syslog reader of s6 2.11.3.2, run by
// a UCSPI server (s6-ipcserver on a stream socket) with the client on stdin.  Each record on
// stdin, ended by a newline or a NUL (the last one also by end of file), becomes one line on
// stdout: a leading TAI64N label ("@" + 24 characters + space) is kept in front, then the value
// of each environment variable var followed by ": " (default when var is unset, itself
// "<undefined>" by default), then "<PRI>" as "facility.priority: ", then the rest.
//
// Like stock, output is buffered and written out before each read of stdin; a write that
// fails there is reported as "unable to read from stdin" (that is stock's wording, since the
// failure surfaces in its read), one that fails while a record is put out as "unable to write
// to stdout".  Exit 0 at end of input, 100 on a bad option (stock takes -D, not the -d its
// page names), 111 on an error.
#include <cerrno>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include <supervise/diag.hh>
#include <supervise/opts.hh>
#include <supervise/out.hh>
#include <supervise/syslog.hh>

namespace {

constexpr std::string_view usage = "ucspilogd [ -D default ] [ var... ]";

// One record (without its terminator) as its output line.
void put_record(sv::out_buf &out, std::string_view rec, std::vector<std::string_view> const &vals)
{
    std::size_t const stamp = sv::syslog_stamp_len(rec);
    out.put(rec.substr(0, stamp));
    rec.remove_prefix(stamp);
    for (std::string_view v : vals)
        out.put(v).put(": ");
    char prefix[sv::syslog_prefix_max];
    std::size_t used = 0;
    out.put({prefix, sv::syslog_prefix(rec, prefix, &used)});
    rec.remove_prefix(used);
    out.put(rec).put('\n');
    if (out.failed()) {
        out.flush(); // sets errno to the write's
        sv::die_sys(sv::exitcode::system, "unable to write to stdout");
    }
}

} // namespace

int ucspilogd_main(int argc, char **argv)
{
    sv::prog = "ucspilogd";
    char const *dflt = "<undefined>";
    sv::opt_parser opts{argc, argv, "D:"};
    while (int c = opts.next()) {
        if (c != 'D') sv::die_usage(usage);
        dflt = opts.arg();
    }
    std::vector<std::string_view> vals;
    for (char const *name : opts.operands()) {
        char const *v = std::getenv(name);
        vals.emplace_back(v ? v : dflt);
    }

    sv::out_buf out{1};
    std::string rec; // the record being read: records have no length limit
    char buf[8192];
    for (;;) {
        if (!out.flush()) sv::die_sys(sv::exitcode::system, "unable to read from stdin");
        ssize_t const r = ::read(0, buf, sizeof buf);
        if (r < 0) {
            if (errno == EINTR) continue;
            sv::die_sys(sv::exitcode::system, "unable to read from stdin");
        }
        if (r == 0) break;
        std::string_view in{buf, static_cast<std::size_t>(r)};
        while (!in.empty()) {
            std::size_t const end = in.find_first_of(std::string_view("\n\0", 2));
            if (end == std::string_view::npos) {
                rec.append(in);
                break;
            }
            rec.append(in.substr(0, end));
            put_record(out, rec, vals);
            rec.clear();
            in.remove_prefix(end + 1);
        }
    }
    if (!rec.empty()) put_record(out, rec, vals);
    // Stock flushes this last line before its next read, whose failure it reports.
    if (!out.flush()) sv::die_sys(sv::exitcode::system, "unable to read from stdin");
    return 0;
}
